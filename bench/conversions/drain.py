"""Draining pending offline conversions against the local fake platforms.

    .venv/bin/python -m bench.conversions.drain [--count 100000] [--platforms meta,google]

On a fresh embedded PostgreSQL: one organization with a credential per platform whose
`api_url` points at that platform's fake (`tests/fakes/`, run in a separate process),
`--count` won leads with their conversions inserted in bulk by SQL (`generate_series`),
spread evenly over the platforms (conversion i goes to platform i mod n, carrying that
platform's click id), each delivery pending and due. Then one worker process runs the
sync (`rastro.conversions.service.sync.run_sync`, what the `sync_due` job runs) until
nothing is due, and reports the wall time of the drain, the requests sent, conversions
per second and its peak RSS. The fakes count what they accepted, as a cross-check.

Platforms: every registered connector (`CONNECTORS`) that has a setup below (its fake,
credential settings and click-id column); a connector without one is skipped and named
in the report. Order postbacks (UTMify: one order per request) are left out unless named
in `--platforms`: they are not ad-platform batches.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg

from bench.harness import RESULTS, write_report
from bench.personal import seal_people
from rastro.config import load_settings
from rastro.core.embedded import EmbeddedPostgres
from rastro.runtime import configure_personal_data

DATA = RESULTS / "conversions-drain-data"


@dataclass(frozen=True)
class PlatformSetup:
    """How the bench gives one platform an account on its fake."""

    token: str
    settings: dict[str, Any]
    # The offline_conversions column holding this platform's click id (None: matched on
    # the e-mail alone).
    click_column: str | None
    fake: Callable[[], Any]  # a started-on-demand tests.fakes server
    counts: Callable[[Any], dict[str, int]] = field(default=lambda fake: {})


def _meta() -> Any:
    from tests.fakes.meta import FakeMeta

    return FakeMeta("bench-meta-token-0001", "1234567890123")


def _utmify() -> Any:
    from tests.fakes.utmify import FakeUtmify

    return FakeUtmify("bench-utmify-token-0001")


def _google() -> Any:
    from tests.fakes.google_data_manager import FakeDataManager

    return FakeDataManager("bench-google-token-0001", "1234567890", actions=("987654321",))


def _linkedin() -> Any:
    from tests.fakes.linkedin import FakeLinkedIn

    return FakeLinkedIn("bench-linkedin-token-0001", {"123456"})


def _tiktok() -> Any:
    from tests.fakes.tiktok import FakeTikTok

    return FakeTikTok("bench-tiktok-token-0001", "CBENCHPIXEL000000001")


# One entry per platform with a fake; connectors added later add theirs here.
SETUPS: dict[str, PlatformSetup] = {
    "meta": PlatformSetup(
        token="bench-meta-token-0001",
        settings={"pixel_id": "1234567890123"},
        click_column="fbclid",
        fake=_meta,
        counts=lambda fake: {"requests": len(fake.event_requests), "accepted": len(fake.accepted)},
    ),
    "google": PlatformSetup(
        token="bench-google-token-0001",
        settings={
            "api": "data_manager",
            "customer_id": "123-456-7890",
            "conversion_action_id": "987654321",
        },
        click_column="gclid",
        fake=_google,
        counts=lambda fake: {
            "requests": len(fake.ingest_requests),
            "accepted": len(fake.accepted),
        },
    ),
    "linkedin": PlatformSetup(
        token="bench-linkedin-token-0001",
        settings={"conversion_rule_id": "123456"},
        click_column="li_fat_id",
        fake=_linkedin,
        counts=lambda fake: {"requests": len(fake.event_requests), "accepted": len(fake.accepted)},
    ),
    "tiktok": PlatformSetup(
        token="bench-tiktok-token-0001",
        settings={"pixel_code": "CBENCHPIXEL000000001"},
        click_column="ttclid",
        fake=_tiktok,
        counts=lambda fake: {"requests": len(fake.event_requests), "accepted": len(fake.accepted)},
    ),
    "utmify": PlatformSetup(
        token="bench-utmify-token-0001",
        settings={},
        click_column=None,
        fake=_utmify,
        counts=lambda fake: {"requests": len(fake.order_requests), "accepted": len(fake.accepted)},
    ),
}


def _env() -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CRM_", "BI_"))},
        "RASTRO_DATA_DIR": str(DATA),
        "RASTRO_ENV": "development",
        "LOG_LEVEL": "WARNING",
    }


# --- the fakes' process -------------------------------------------------------------------------


def serve_fakes(platforms: list[str]) -> None:
    """Start the fakes, print their URLs, and on a line on stdin print what they accepted."""
    fakes = {platform: SETUPS[platform].fake().start() for platform in platforms}
    print("FAKES " + json.dumps({p: fake.url for p, fake in fakes.items()}), flush=True)
    sys.stdin.readline()
    counts = {p: SETUPS[p].counts(fake) for p, fake in fakes.items()}
    print("COUNTS " + json.dumps(counts), flush=True)
    for fake in fakes.values():
        fake.stop()


# --- the worker's process -----------------------------------------------------------------------


async def _drain() -> dict[str, Any]:
    from rastro.config import load_settings
    from rastro.conversions.service.sync import SyncConfig, run_sync
    from rastro.core.security import Keyring
    from rastro.core.units import TransactionBoundary
    from rastro.modules import load_modules
    from rastro.runtime import make_databases, resolve_database_urls

    load_modules()
    settings = resolve_database_urls(load_settings())
    databases = make_databases(settings)
    keyring = Keyring(settings.encryption_key_value)
    config = SyncConfig()
    totals = {"requests": 0, "sent": 0, "retrying": 0, "failed": 0, "expired": 0, "runs": 0}
    started = time.perf_counter()
    try:
        while True:
            report = await run_sync(
                TransactionBoundary(databases.crm),
                TransactionBoundary(databases.bi),
                keyring,
                config,
            )
            totals["runs"] += 1
            for key in ("requests", "sent", "retrying", "failed", "expired"):
                totals[key] += getattr(report, key)
            if report.requests == 0 and report.expired == 0:
                break
    finally:
        elapsed = time.perf_counter() - started
        await databases.dispose()
    totals["seconds"] = round(elapsed, 3)
    # ru_maxrss is in KiB on Linux: the worker's peak resident memory, imports included.
    totals["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return totals


def worker() -> None:
    profile = os.environ.get("BENCH_PROFILE")
    if profile:  # BENCH_PROFILE=path: the worker's cProfile stats, for finding the slow step
        import cProfile

        profiler = cProfile.Profile()
        result = profiler.runcall(lambda: asyncio.run(_drain()))
        profiler.dump_stats(profile)
    else:
        result = asyncio.run(_drain())
    print("RESULT " + json.dumps(result), flush=True)


# --- set-up -------------------------------------------------------------------------------------


def _organization(env: dict[str, str]) -> uuid.UUID:
    command = [sys.executable, "-m", "rastro"]
    subprocess.run([*command, "db", "upgrade"], env=env, check=True, capture_output=True)
    email = f"bench-{int(time.time())}@example.com"
    subprocess.run(
        [
            *command,
            "users",
            "create",
            "--email",
            email,
            "--name",
            "Bench",
            "--organization",
            "Bench conversions",
            "--password",
            "bench password 123",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    with psycopg.connect(EmbeddedPostgres(DATA).superuser_conninfo("rastro_crm")) as conn:
        row = conn.execute("SELECT id FROM organizations LIMIT 1").fetchone()
    assert row is not None
    return uuid.UUID(str(row[0]))


async def _credentials(organization_id: uuid.UUID, urls: dict[str, str]) -> dict[str, uuid.UUID]:
    """One credential per platform, through the vault (encrypted like any other)."""
    from rastro.auth.service import credentials
    from rastro.config import load_settings
    from rastro.conversions.connectors import CONNECTORS
    from rastro.core.db import Scope
    from rastro.core.security import Keyring
    from rastro.modules import load_modules
    from rastro.runtime import make_databases, resolve_database_urls

    load_modules()
    settings = resolve_database_urls(load_settings())
    databases = make_databases(settings)
    found: dict[str, uuid.UUID] = {}
    try:
        async with databases.crm.transaction(Scope.organization(organization_id)) as session:
            for platform, url in urls.items():
                setup = SETUPS[platform]
                created = await credentials.create_credential(
                    session,
                    Keyring(settings.encryption_key_value),
                    name=f"{platform} (bench fake)",
                    service=CONNECTORS[platform].credential_service,
                    api_key=setup.token,
                    api_secret=None,
                    api_url=url,
                    settings=setup.settings,
                    is_active=True,
                    created_by_id=None,
                )
                found[platform] = created.id
    finally:
        await databases.dispose()
    return found


def insert_conversions(
    organization_id: uuid.UUID, count: int, accounts: dict[str, uuid.UUID]
) -> float:
    """`count` contacts, won leads, conversions and due deliveries, by SQL; returns seconds."""
    platforms = sorted(accounts)
    started = time.perf_counter()
    params: dict[str, Any] = {"org": organization_id, "n": count, "p": len(platforms)}
    with psycopg.connect(EmbeddedPostgres(DATA).superuser_conninfo("rastro_crm")) as conn:
        # Set-up only: no triggers (search words) nor foreign-key checks while loading.
        conn.execute("SET session_replication_role = replica")
        conn.execute(
            """
            INSERT INTO contacts (contact_id, organization_id)
            SELECT md5('c' || g)::uuid, %(org)s FROM generate_series(1, %(n)s) g
            """,
            params,
        )
        conn.execute(
            """
            INSERT INTO leads (lead_id, organization_id, contact_id, lead_score, current_stage,
                               source, medium, campaign, stage_value)
            SELECT md5('l' || g)::uuid, %(org)s, md5('c' || g)::uuid, 'B', 'won', 'facebook',
                   'paid_social', 'bench', 100 + g %% 900
            FROM generate_series(1, %(n)s) g
            """,
            params,
        )
        # E-mail, phone and name encrypted as the app stores them (the server's keys).
        configure_personal_data(load_settings())
        seal_people(
            conn,
            organization_id,
            """SELECT md5('c' || g)::uuid, md5('l' || g)::uuid, 'buyer' || g || '@example.com',
                      '+55119' || lpad(g::text, 8, '0'), 'Comprador ' || g, NULL
               FROM generate_series(1, %(n)s) g""",
            params,
        )
        for index, platform in enumerate(platforms):
            column = SETUPS[platform].click_column
            click = f", {column}" if column else ""
            click_value = ", 'bench-click-' || g" if column else ""
            conn.execute(
                f"""
                INSERT INTO offline_conversions (
                    conversion_id, organization_id, lead_id, clicked_at, conversion_value,
                    conversion_currency, conversion_date, conversion_name, order_id, origin,
                    sync_status{click})
                SELECT md5('o' || g)::uuid, %(org)s, md5('l' || g)::uuid,
                       now() - interval '7 hours', 100 + g %% 900, 'BRL',
                       now() - (g %% 3600) * interval '1 second', 'purchase',
                       'BENCH-' || g, 'api', jsonb_build_object(%(platform)s::text, 'pending')
                       {click_value}
                FROM generate_series(1, %(n)s) g WHERE g %% %(p)s = %(k)s
                """,
                {**params, "platform": platform, "k": index},
            )
            conn.execute(
                """
                INSERT INTO offline_conversion_syncs (
                    conversion_id, platform, organization_id, credential_id, status,
                    attempts, next_attempt_at)
                SELECT md5('o' || g)::uuid, %(platform)s, %(org)s, %(credential)s,
                       'pending', 0, now() - interval '1 minute' - g * interval '1 ms'
                FROM generate_series(1, %(n)s) g WHERE g %% %(p)s = %(k)s
                """,
                {**params, "platform": platform, "k": index, "credential": accounts[platform]},
            )
        conn.execute("ANALYZE")
        conn.commit()
    return time.perf_counter() - started


def _pending(organization_id: uuid.UUID) -> dict[str, int]:
    with psycopg.connect(EmbeddedPostgres(DATA).superuser_conninfo("rastro_crm")) as conn:
        rows = conn.execute(
            "SELECT status, count(*) FROM offline_conversion_syncs GROUP BY status"
        ).fetchall()
    return {str(status): int(n) for status, n in rows}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument(
        "--platforms", default="", help="comma-separated; default: every ad-platform connector"
    )
    parser.add_argument("--serve-fakes", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fakes is not None:
        serve_fakes(args.serve_fakes.split(","))
        return
    if args.worker:
        worker()
        return

    from rastro.conversions.connectors import CONNECTORS

    if args.platforms:
        wanted = args.platforms.split(",")
    else:
        wanted = [p for p, c in CONNECTORS.items() if not c.reports_order_status]
    platforms = sorted(p for p in wanted if p in CONNECTORS and p in SETUPS)
    skipped = sorted(set(wanted) - set(platforms))
    if not platforms:
        raise SystemExit(f"no platform with a connector and a fake among {wanted}")

    env = _env()
    os.environ.update(env)
    if DATA.exists():  # a fresh PostgreSQL per run
        if EmbeddedPostgres(DATA).is_running():
            EmbeddedPostgres(DATA).stop()
        shutil.rmtree(DATA)
    fakes = subprocess.Popen(
        [sys.executable, "-m", "bench.conversions.drain", "--serve-fakes", ",".join(platforms)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert fakes.stdout is not None
        assert fakes.stdin is not None
        line = fakes.stdout.readline()
        urls = json.loads(line.removeprefix("FAKES "))
        organization_id = _organization(env)
        accounts = asyncio.run(_credentials(organization_id, urls))
        load_seconds = insert_conversions(organization_id, args.count, accounts)
        load_before = os.getloadavg()
        out = subprocess.run(
            [sys.executable, "-m", "bench.conversions.drain", "--worker"],
            env=env,
            check=True,
            stdout=subprocess.PIPE,  # the worker's errors go to the console
            text=True,
        ).stdout
        load_after = os.getloadavg()
        result = json.loads(
            next(r for r in out.splitlines() if r.startswith("RESULT ")).removeprefix("RESULT ")
        )
        fakes.stdin.write("stop\n")
        fakes.stdin.flush()
        counts = json.loads(
            next(r for r in fakes.stdout if r.startswith("COUNTS ")).removeprefix("COUNTS ")
        )
        states = _pending(organization_id)
    finally:
        if fakes.poll() is None:
            fakes.terminate()
        fakes.wait(timeout=20)
        EmbeddedPostgres(DATA).stop()
    seconds = result["seconds"]
    write_report(
        "conversions-drain",
        {
            "conversions": args.count,
            "platforms": platforms,
            "skipped_platforms_without_fake": skipped,
            "insert_seconds": round(load_seconds, 2),
            "drain_seconds": seconds,
            "conversions_per_second": round(result["sent"] / seconds, 1) if seconds else None,
            "requests_sent": result["requests"],
            "worker_peak_rss_mib": result["peak_rss_mib"],
            "worker": result,
            "fakes": counts,
            "delivery_states_after": states,
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in load_after],
        },
    )


if __name__ == "__main__":
    main()
