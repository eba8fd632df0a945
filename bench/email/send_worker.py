"""One sending process of `bench.email.send`: the campaign's `sending.send_batch` loop with
the simulated sender, as the `send_campaign` job runs it, until nothing is left to claim
or `--seconds` pass. It imports whichever `rastro` its PYTHONPATH names first (the tree
under test, or the `before` commit's), takes its settings from the environment, prints
`ready`, waits for a line on stdin, then prints one JSON line: mails sent, batches, its
own CPU seconds and wall seconds.

`--generic` renders every message on the per-message path (merge, rewrite, footer:
`content.compile_html` made to return None), to tell the compiled rendering's share.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import resource
import sys
import time
import uuid
from typing import Any

from sqlalchemy import text

from rastro.config import Settings
from rastro.core.db import Scope
from rastro.core.units import TransactionBoundary
from rastro.email.senders.base import OutgoingMail, SendResult
from rastro.email.senders.simulated import SimulatedSender
from rastro.email.service import sending
from rastro.modules import load_modules
from rastro.runtime import make_databases


class Counting(SimulatedSender):
    def __init__(self) -> None:
        super().__init__(keep=False)
        self.mails = 0

    async def send(self, mails: list[OutgoingMail]) -> list[SendResult]:
        self.mails += len(mails)
        return await super().send(mails)


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run(args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings()  # type: ignore[call-arg]
    load_modules()
    databases = make_databases(settings)
    if args.generic:
        from rastro.email.service import content

        content.compile_html = lambda _template: None  # type: ignore[assignment]
    scope = Scope.organization(uuid.UUID(args.org))
    crm, bi = TransactionBoundary(databases.crm), TransactionBoundary(databases.bi)
    links = sending.Links(base_url="https://rastro.bench.example", secret="bench-secret-" * 4)
    sender = Counting()
    async with databases.crm.transaction(scope) as session:  # connect before the start
        await session.execute(text("SELECT 1"))
    async with databases.bi.transaction(scope) as session:
        await session.execute(text("SELECT 1"))
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    profile = cProfile.Profile() if args.profile else None
    if profile is not None:
        profile.enable()
    cpu, started, batches, finished = own_cpu(), time.perf_counter(), 0, False
    while time.perf_counter() - started < args.seconds:
        more = await sending.send_batch(
            crm,
            bi,
            scope,
            campaign_id=uuid.UUID(args.campaign),
            sender=sender,
            links=links,
            batch_size=args.batch,
        )
        batches += 1
        if not more:
            finished = True
            break
    if profile is not None:
        profile.disable()
        pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(40)
    result = {
        "mails": sender.mails,
        "batches": batches,
        "finished": finished,
        "cpu_s": round(own_cpu() - cpu, 3),
        "wall_s": round(time.perf_counter() - started, 3),
    }
    await databases.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--org", required=True)
    parser.add_argument("--campaign", required=True)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--generic", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args))), flush=True)


if __name__ == "__main__":
    main()
