"""The click redirect `/e/c/{token}` at a fixed rate (issue 20's target: p99 ≤ 10 ms at
2,000 requests/s) against the same run's `/healthz` ceiling, load generator included.

    .venv/bin/python -m bench.email.click [--rate 2000] [--duration 15] [--workers 2]
                                          [--connections 32] [--messages 20000]
                                          [--timings [--writers 2]]

Starts Rastro (`rastro serve --workers N`) on a fresh embedded PostgreSQL, stores one
campaign with three links and `--messages` sent messages to as many contacts (SQL), signs
one click token per message and link with the server's secret key, then drives wrk (one
thread): `/healthz` as fast as it goes (the ceiling), the clicks paced at `--rate`, the
clicks as fast as they go (this machine's click ceiling), and the ceiling again. Each
message also has its `sent` event in BI, as the sending leaves it. Each click verifies its
token, reads the message and its link, queues the click and stores the first-click time
(one CRM commit), answers 302 with the UTMs, `mid` and `rid`; its `click` event is then
written to BI from the queue. After the run the script checks that every acknowledged
click has its event and none is left queued (`stored`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg

from bench.harness import rastro, write_report, wrk
from rastro.core.embedded import EmbeddedPostgres
from rastro.email.service import tokens

SCRIPT = Path(__file__).resolve().parent / "click.lua"

SEED = """
INSERT INTO contacts (contact_id, organization_id, created_at, updated_at)
SELECT ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, %(org)s, now(), now()
FROM generate_series(1, %(n)s) AS g;

INSERT INTO email_contacts (contact_id, organization_id)
SELECT contact_id, %(org)s FROM contacts WHERE organization_id = %(org)s;

INSERT INTO email_campaigns (campaign_id, organization_id, name, subject, from_name,
    from_address, html, status, generation_status, exclusions)
VALUES (%(campaign)s, %(org)s, 'Bench', 'Oferta', 'Loja', 'news@loja.com.br',
    '<a href="https://loja.com.br/a">a</a>', 'sent', 'done', '{}');

INSERT INTO email_links (organization_id, campaign_id, url, position)
SELECT %(org)s, %(campaign)s, 'https://loja.com.br/oferta-' || p || '?cupom=X', p
FROM generate_series(1, 3) AS p;

INSERT INTO email_messages (message_id, organization_id, campaign_id, contact_id, status,
    sent_at)
SELECT gen_random_uuid(), %(org)s, %(campaign)s, contact_id, 'sent',
       now() - interval '1 hour'
FROM contacts WHERE organization_id = %(org)s
"""


def sent_events(server: EmbeddedPostgres, campaign: uuid.UUID) -> None:
    """Each message's `sent` event in BI, as the sending stores it (the click's BI
    statement reads the message's campaign and recipient from its events)."""
    with (
        psycopg.connect(server.superuser_conninfo("rastro_crm")) as crm,
        psycopg.connect(server.superuser_conninfo("rastro_bi"), autocommit=True) as bi,
    ):
        rows = crm.execute(
            "SELECT message_id, organization_id, contact_id, sent_at FROM email_messages"
            " WHERE campaign_id = %s",
            (campaign,),
        ).fetchall()
        with bi.cursor().copy(
            "COPY email_message_events (event_id, organization_id, campaign_id, message_id,"
            " contact_id, type, source, external_id, occurred_at, recorded_at) FROM STDIN"
        ) as copy:
            for message, org, contact, at in rows:
                row = (uuid.uuid4(), org, campaign, message, contact, "sent", "simulated")
                copy.write_row((*row, f"sent:{message}", at, at))
        bi.execute("VACUUM ANALYZE email_message_events")


def drained(data: Path, answered: int) -> dict[str, int]:
    """The clicks' events in BI against the clicks wrk saw answered (at least as many: a
    click committed as wrk stopped is stored, unanswered), once nothing is left queued
    (up to 10 s). An older tree's server has no queue: its events are written before the
    answer."""
    server = EmbeddedPostgres(data)
    with (
        psycopg.connect(server.superuser_conninfo("rastro_crm"), autocommit=True) as crm,
        psycopg.connect(server.superuser_conninfo("rastro_bi"), autocommit=True) as bi,
    ):
        queue = crm.execute("SELECT to_regclass('email_click_queue')").fetchone()[0]  # type: ignore[index]
        left = 0
        for _ in range(100):
            if queue is not None:
                left = crm.execute("SELECT count(*) FROM email_click_queue").fetchone()[0]  # type: ignore[index]
            if not left:
                break
            time.sleep(0.1)
        events = bi.execute(
            "SELECT count(*) FROM email_message_events WHERE type = 'click'"
        ).fetchone()[0]  # type: ignore[index]
    return {"answered": answered, "click_events": events, "left_queued": left}


def seed(data: Path, messages: int) -> list[str]:
    """Store the campaign and its messages; the click paths, one per message and link."""
    server = EmbeddedPostgres(data)
    secret = (data / "secret.key").read_text().strip()
    campaign = uuid.uuid4()
    with psycopg.connect(server.superuser_conninfo("rastro_crm"), autocommit=True) as conn:
        org = conn.execute("SELECT id FROM organizations LIMIT 1").fetchone()[0]  # type: ignore[index]
        params = {"org": org, "n": messages, "campaign": campaign}
        for statement in SEED.split(";\n\n"):
            conn.execute(statement.replace("%(n)s", str(messages)).encode(), params)
        links = [
            r[0]
            for r in conn.execute(
                "SELECT link_id FROM email_links WHERE campaign_id = %s", (campaign,)
            )
        ]
        ids = [r[0] for r in conn.execute("SELECT message_id FROM email_messages")]
        conn.execute("VACUUM ANALYZE email_messages, email_links, contacts, email_contacts")
    sent_events(server, campaign)
    return [
        "/e/c/" + tokens.encode(secret, tokens.TrackingToken("c", org, message, link))
        for message in ids
        for link in links
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=2000)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--port", type=int, default=8941)
    parser.add_argument(
        "--timings",
        action="store_true",
        help="serve bench.email.click_app (the same app, its click writer timed) and report"
        " each phase's split: wait for a group, its commit, the drains after the answers",
    )
    parser.add_argument("--writers", type=int, default=2, help="writers per process (--timings)")
    args = parser.parse_args()
    timings = Path(tempfile.mkdtemp(prefix="click-timings-")) if args.timings else None
    factory = None
    if timings is not None:
        os.environ["BENCH_CLICK_TIMINGS"] = str(timings)
        os.environ["BENCH_CLICK_WRITERS"] = str(args.writers)
        factory = "bench.email.click_app:timed_app"
    phases: dict[str, tuple[float, float]] = {}

    def phase(name: str, **options: Any) -> dict[str, Any]:
        started = time.time()
        result = wrk(SCRIPT, run.base, **options)
        phases[name] = (started, time.time())
        return result

    with rastro("email-click", port=args.port, workers=args.workers, factory=factory) as run:
        paths = seed(run.data, args.messages)
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as out:
            out.write("\n".join(paths))
        clicks = {"PATHS": out.name}
        c, d = args.connections, args.duration
        load_start = os.getloadavg()
        wrk(SCRIPT, run.base, duration=3, connections=c, env={"PAGE": "/healthz"})  # warm-up
        results = {"ceiling": phase("ceiling", duration=d, connections=c, env={"PAGE": "/healthz"})}
        warm = wrk(SCRIPT, run.base, duration=3, connections=c, env=clicks)
        results["clicks_paced"] = phase(
            "clicks_paced", duration=d, connections=c, env={**clicks, "RATE": str(args.rate)}
        )
        results["clicks_max"] = phase("clicks_max", duration=d, connections=c, env=clicks)
        results["ceiling_after"] = phase(
            "ceiling_after", duration=d, connections=c, env={"PAGE": "/healthz"}
        )
        os.unlink(out.name)
        phases_run = (warm, results["clicks_paced"], results["clicks_max"])
        answered = sum(r["requests"] - r["errors_status"] for r in phases_run)
        stored = drained(run.data, answered)
    report = {
        "workers": args.workers,
        "connections": c,
        "duration_s": d,
        "target_rate": args.rate,
        "messages": args.messages,
        "click_paths": len(paths),
        "load_avg_start": load_start,
        "load_avg_end": os.getloadavg(),
        "results": results,
        "stored": stored,
    }
    if timings is not None:  # the servers wrote them when they stopped
        report["writers_per_process"] = args.writers
        report["split"] = split(timings, phases)
        shutil.rmtree(timings)
    write_report("email-click", report)


def split(directory: Path, phases: dict[str, tuple[float, float]]) -> dict[str, Any]:
    """Per click phase, the writers' timings (all worker processes): each click's wait for
    its group to start, each group's commit (when its clicks are answered) and each drain
    of their BI events after the answers."""
    # Imported here: without --timings this script also drives an older tree's server.
    from rastro.email.service.click_writer import spread

    samples: dict[str, list[tuple[float, float]]] = {}
    for path in directory.glob("*.json"):
        for name, values in json.loads(path.read_text()).items():
            samples.setdefault(name, []).extend(values)
    out: dict[str, Any] = {}
    for name in ("clicks_paced", "clicks_max"):
        start, end = phases[name]
        inside = {k: [v for t, v in rows if start <= t <= end] for k, rows in samples.items()}
        sizes = inside.pop("sizes", [])
        drains = inside.pop("drain_sizes", [])
        out[name] = {
            "groups": len(sizes),
            "clicks_per_group": round(sum(sizes) / len(sizes), 2) if sizes else 0,
            "drains": len(drains),
            "clicks_per_drain": round(sum(drains) / len(drains), 2) if drains else 0,
            **{f"{k}_ms": spread(v) for k, v in inside.items()},
        }
    return out


if __name__ == "__main__":
    main()
