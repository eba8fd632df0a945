"""A 13-month spend backfill of four ad accounts from the local fake platforms.

    .venv/bin/python -m bench.spend.backfill [--ads 500] [--days 365]

On a fresh embedded PostgreSQL (bench/results/spend-backfill-data): one organization,
one credential and one ad account per platform (Meta, Google Ads, TikTok, LinkedIn) on
its fake (`tests/fakes/`, each served by a process of its own so that the fakes' JSON work
shares neither the importer's interpreter nor each other's), each fake serving `--ads`
ads. One backfill run per account over `--days` days up to yesterday
(`rastro.analytics.service.spend_import.run_import`, what the `import_spend` job runs),
the four at once. Reports the wall time, the rows stored (`campaign_metrics`, one per ad
and day), rows per second, the CPU seconds of each side during the backfill (the
importer, PostgreSQL's processes, each fake: the fakes stand in for the platforms and would
not run on a deployment) and the time spent inside the trigger functions on the spend and
name tables (PostgreSQL's function statistics).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import SecretStr

from bench.harness import RESULTS, write_report
from rastro.core.embedded import EmbeddedPostgres

DATA = RESULTS / "spend-backfill-data"
TOKENS = {
    "meta": "bench-meta-ads-token-0001",
    "google": "bench-google-ads-token-0001",
    "tiktok": "bench-tiktok-ads-token-0001",
    "linkedin": "bench-linkedin-token-0001",
}
ACCOUNTS = {
    "meta": "1234567890",
    "google": "1234567890",
    "tiktok": "7012345678901234567",
    "linkedin": "508123456",
}
SERVICES = {
    "meta": "meta_ads",
    "google": "google_ads",
    "tiktok": "tiktok_ads",
    "linkedin": "linkedin",
}


FAKE_COMMAND = (sys.executable, "-m", "bench.spend.backfill")


def serve_fake(platform: str, ads: int) -> None:
    """Start one platform's fake, print its URL, stop on a line on stdin."""
    from tests.fakes.ad_reporting import AdCatalog
    from tests.fakes.google_ads_reporting import FakeGoogleAdsReporting
    from tests.fakes.linkedin_analytics import FakeLinkedInAnalytics
    from tests.fakes.meta_insights import FakeMetaInsights
    from tests.fakes.tiktok_reporting import FakeTikTokReporting

    kinds: dict[str, Any] = {
        "meta": FakeMetaInsights,
        "google": FakeGoogleAdsReporting,
        "tiktok": FakeTikTokReporting,
        "linkedin": FakeLinkedInAnalytics,
    }
    fake = kinds[platform](TOKENS[platform], ACCOUNTS[platform], AdCatalog(ads=ads))
    fake.requests = _Forgetful()  # a backfill makes thousands of requests
    fake.start()
    print("FAKE " + fake.url, flush=True)
    sys.stdin.readline()
    fake.stop()


class _Forgetful(list):  # type: ignore[type-arg]
    def append(self, _item: Any) -> None:
        pass


def _tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process, its live children and its ended ones."""
    import psutil

    root = psutil.Process(pid)
    total = sum(root.cpu_times()[:4])  # user, system, children_user, children_system
    for child in root.children(recursive=True):
        with suppress(psutil.NoSuchProcess):
            total += sum(child.cpu_times()[:2])
    return total


def _cpu(postmaster: int, fakes: dict[str, int]) -> dict[str, float]:
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "importer": own.ru_utime + own.ru_stime,
        "postgres": _tree_cpu(postmaster),
        **{f"fake_{platform}": _tree_cpu(pid) for platform, pid in fakes.items()},
    }


# Time inside the trigger functions (PL/pgSQL, their statements included): PostgreSQL's
# function statistics, turned on for the benchmark's BI database only.
TRIGGER_TIME = (
    "SELECT funcname, calls, total_time FROM pg_stat_user_functions "
    "WHERE funcname IN ('rastro_spend_rollup', 'rastro_combination_targets_stale')"
)


def _trigger_ms(server: EmbeddedPostgres, database: str) -> dict[str, dict[str, float]]:
    import psycopg

    with psycopg.connect(server.superuser_conninfo(database), autocommit=True) as conn:
        return {
            name: {"calls": calls, "ms": round(total, 1)}
            for name, calls, total in conn.execute(TRIGGER_TIME)
        }


async def _backfill(urls: dict[str, str], days: int, fakes: dict[str, int]) -> dict[str, Any]:
    from tests.auth.factories import make_account

    from rastro.analytics import spend_schemas
    from rastro.analytics.service import spend, spend_import
    from rastro.analytics.spend import CONNECTORS
    from rastro.auth.service import credentials
    from rastro.config import Settings, generate_encryption_key
    from rastro.core.db import Scope
    from rastro.core.security import Keyring
    from rastro.core.units import TransactionBoundary
    from rastro.modules import load_modules
    from rastro.runtime import make_databases, upgrade_all

    load_modules()
    server = EmbeddedPostgres(DATA)
    server.start()
    stamp = int(time.time())
    crm_name, bi_name = f"rastro_crm_spend_{stamp}", f"rastro_bi_spend_{stamp}"
    server.ensure_databases(crm_name, bi_name)
    settings = Settings(  # type: ignore[call-arg]
        RASTRO_ENV="development",
        RASTRO_DATA_DIR=DATA,
        CRM_DATABASE_URL=server.url(crm_name),
        BI_DATABASE_URL=server.url(bi_name),
        SECRET_KEY=SecretStr("bench-secret-key-" + "x" * 40),
        ENCRYPTION_KEY=SecretStr(generate_encryption_key()),
        LOG_LEVEL="WARNING",
    )
    upgrade_all(settings)
    import psycopg

    with psycopg.connect(server.superuser_conninfo(), autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE {bi_name} SET track_functions = 'pl'")
    databases = make_databases(settings)
    keyring = Keyring(settings.encryption_key_value)
    CONNECTORS["meta"].poll_seconds = 0.2  # type: ignore[attr-defined]
    try:
        account = await make_account(databases)
        scope = Scope.organization(account.organization_id)
        runs: list[uuid.UUID] = []
        async with databases.crm.transaction(scope) as crm, databases.bi.transaction(scope) as bi:
            for platform, url in urls.items():
                credential = await credentials.create_credential(
                    crm,
                    keyring,
                    name=f"{platform} (bench fake)",
                    service=SERVICES[platform],
                    api_key=TOKENS[platform],
                    api_secret=None,
                    api_url=url,
                    settings={"customer_id": ACCOUNTS[platform]} if platform == "google" else {},
                    is_active=True,
                    created_by_id=None,
                )
                ad_account = await spend.create_account(
                    bi,
                    crm,
                    spend_schemas.AdAccountCreate(
                        platform=platform,
                        account_id=ACCOUNTS[platform],  # type: ignore[arg-type]
                        credential_id=credential.id,
                        timezone="America/Sao_Paulo",
                        currency="BRL",
                    ),
                )
                last = datetime.now(UTC).date() - timedelta(days=1)
                run = await spend.create_import(
                    bi,
                    kind="backfill",
                    platform=platform,
                    account=ad_account,
                    date_from=last - timedelta(days=days - 1),
                    date_to=last,
                )
                runs.append(run.id)
        postmaster = int((server.pgdata / "postmaster.pid").read_text().split()[0])
        load_before = os.getloadavg()[0]
        cpu_before = _cpu(postmaster, fakes)
        triggers_before = _trigger_ms(server, bi_name)
        started = time.perf_counter()
        done = await asyncio.gather(
            *(
                spend_import.run_import(
                    TransactionBoundary(databases.crm),
                    TransactionBoundary(databases.bi),
                    keyring,
                    spend_import.ImportConfig(),
                    organization_id=account.organization_id,
                    import_id=run_id,
                )
                for run_id in runs
            )
        )
        seconds = time.perf_counter() - started
        cpu_after = _cpu(postmaster, fakes)
        await databases.bi.engine.dispose()  # backends report their statistics as they end
        await asyncio.sleep(0.5)
        triggers_after = _trigger_ms(server, bi_name)
        async with databases.bi.transaction(scope) as bi:
            from sqlalchemy import func, select

            from rastro.analytics.ad_models import CampaignMetric

            stored = int(await bi.scalar(select(func.count()).select_from(CampaignMetric)) or 0)
            # The monthly rollup the upserts kept in step, against a recount of the rows.
            from bench.analytics.spend_rollup import CHECK

            rollup_differing = int(await bi.scalar(CHECK) or 0)
        per_platform = {
            r.platform: {
                "status": r.status,
                "rows": r.rows,
                "seconds": (r.duration_ms or 0) / 1000,
                "retries": len(r.errors),
            }
            for r in done
            if r is not None
        }
    finally:
        await databases.dispose()
        server.drop_database(crm_name)
        server.drop_database(bi_name)
    return {
        "seconds": round(seconds, 2),
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "rows_stored": stored,
        "rows_per_second": round(stored / seconds),
        "rollup_rows_differing_from_a_recount": rollup_differing,
        # Where the time went: CPU seconds of each side during the backfill.
        "cpu_s": {k: round(cpu_after[k] - cpu_before[k], 1) for k in cpu_after},
        "cpu_s_fakes": round(
            sum(v - cpu_before[k] for k, v in cpu_after.items() if "fake" in k), 1
        ),
        # Wall time inside the triggers (a share of PostgreSQL's time; at load, waits too).
        "trigger_ms": {
            name: {
                "calls": after["calls"] - triggers_before.get(name, {}).get("calls", 0),
                "ms": round(after["ms"] - triggers_before.get(name, {}).get("ms", 0.0)),
            }
            for name, after in triggers_after.items()
        },
        "platforms": per_platform,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ads", type=int, default=500)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--serve-fake", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fake:
        serve_fake(args.serve_fake, args.ads)
        return
    # One process per platform's fake: on a real deployment the platforms answer from
    # elsewhere, so the fakes should not queue behind each other on one interpreter.
    fakes = {
        platform: subprocess.Popen(
            [*FAKE_COMMAND, "--ads", str(args.ads), "--serve-fake", platform],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for platform in TOKENS
    }
    try:
        urls = {}
        for platform, fake in fakes.items():
            assert fake.stdout is not None
            urls[platform] = fake.stdout.readline().strip().removeprefix("FAKE ")
        result = asyncio.run(_backfill(urls, args.days, {p: f.pid for p, f in fakes.items()}))
    finally:
        for fake in fakes.values():
            if fake.stdin is not None:
                fake.stdin.write("\n")
                fake.stdin.flush()
        for fake in fakes.values():
            fake.wait(timeout=30)
    write_report(
        "spend-backfill",
        {
            "ads_per_platform": args.ads,
            "days": args.days,
            "platforms": 4,
            "expected_rows": args.ads * args.days * 4,
            **result,
        },
    )


if __name__ == "__main__":
    main()
