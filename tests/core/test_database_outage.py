"""The database goes away and comes back: the API answers 503 meanwhile and recovers, the
job worker waits for it and then runs the queued jobs. A PostgreSQL of their own, which
these tests stop and start (the session-wide one stays up for the other tests)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from procrastinate.exceptions import ConnectorException
from sqlalchemy import exc as sa_exc

from rastro.app import close_app, create_app
from rastro.config import Settings
from rastro.core.availability import is_database_unavailable
from rastro.core.db import SYSTEM, Databases
from rastro.core.embedded import EmbeddedPostgres
from rastro.core.jobs import enqueue
from rastro.runtime import make_databases, upgrade_all
from tests.conftest import TEST_PGDATA, make_settings
from tests.tracking.factories import batch, collect, event, make_site


@pytest.fixture(scope="module")
def outage_server() -> Iterator[EmbeddedPostgres]:
    # Not under pytest's tmp dir: that one is 0700 root, and PostgreSQL runs as `pgserver`.
    data_dir = TEST_PGDATA.parent / f"outage-{uuid.uuid4().hex[:8]}"
    server = EmbeddedPostgres(data_dir)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def outage_settings(
    outage_server: EmbeddedPostgres, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    urls = outage_server.default_databases()
    settings = make_settings(tmp_path_factory.mktemp("outage"), urls.crm, urls.bi)
    upgrade_all(settings)
    return settings


@pytest.fixture
def restarted(outage_server: EmbeddedPostgres) -> Iterator[EmbeddedPostgres]:
    """The server, started again after the test whatever happened."""
    yield outage_server
    if not outage_server.is_running():
        outage_server.start()


def test_what_counts_as_the_database_being_away() -> None:
    refused = psycopg.OperationalError("connection failed: No such file or directory")
    starting = psycopg.OperationalError("FATAL:  the database system is starting up")
    assert is_database_unavailable(refused)
    assert is_database_unavailable(starting)
    assert is_database_unavailable(psycopg.errors.AdminShutdown())
    assert is_database_unavailable(psycopg.errors.CannotConnectNow())
    assert is_database_unavailable(psycopg.errors.TooManyConnections())
    assert is_database_unavailable(sa_exc.OperationalError("SELECT 1", {}, refused))
    assert is_database_unavailable(sa_exc.TimeoutError("QueuePool limit reached"))
    invalidated = sa_exc.DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True)
    assert is_database_unavailable(invalidated)
    wrapped = ConnectorException()
    wrapped.__cause__ = refused
    assert is_database_unavailable(wrapped)
    # a statement the database refused is not an outage
    assert not is_database_unavailable(psycopg.errors.UniqueViolation())
    assert not is_database_unavailable(psycopg.errors.QueryCanceled())
    assert not is_database_unavailable(
        sa_exc.IntegrityError("INSERT", {}, psycopg.errors.UniqueViolation())
    )
    assert not is_database_unavailable(ValueError("x"))
    assert not is_database_unavailable(None)


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == "database_unavailable"


async def _until_ok(call: Any, deadline: float) -> httpx.Response:
    """Call until it answers below 500; every answer before that is a clean 503."""
    while True:
        response = await call()
        if response.status_code < 500 or time.monotonic() > deadline:
            return response
        _assert_unavailable(response)
        await asyncio.sleep(0.5)


async def test_the_api_answers_503_while_the_database_is_away_then_recovers(
    outage_settings: Settings, restarted: EmbeddedPostgres
) -> None:
    databases = make_databases(outage_settings)
    app = create_app(outage_settings, databases=databases, check_migrations=False)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            site = await make_site(http, databases)

            async def domains() -> httpx.Response:
                return await http.get("/api/domains", headers=site.headers)

            async def collector() -> httpx.Response:
                return await collect(http, batch(site, [event()]))

            async def ready() -> httpx.Response:
                return await http.get("/readyz")

            calls = (domains, collector, ready)
            for call in calls:
                assert (await call()).status_code == 200
            restarted.stop()
            for _ in range(2):  # stale pooled connections first, then refused connections
                for call in calls:
                    _assert_unavailable(await call())
            assert (await ready()).json()["error"]["message"] == "A database is unreachable."
            restarted.start()
            deadline = time.monotonic() + 30
            for call in calls:
                assert (await _until_ok(call, deadline)).status_code == 200
            assert (await collector()).json()["accepted"] == 1
    finally:
        await close_app(app)
        await databases.dispose()


def _job_status(settings: Settings, job_id: int) -> str | None:
    """The job's status, or None while the database cannot be reached."""
    assert settings.crm_database_url
    try:
        with psycopg.connect(settings.crm_database_url, connect_timeout=3) as conn:
            row = conn.execute(
                "SELECT status FROM procrastinate_jobs WHERE id = %s", (job_id,)
            ).fetchone()
    except psycopg.OperationalError:
        return None
    assert row is not None
    return str(row[0])


async def _wait_done(settings: Settings, job_ids: list[int], seconds: float) -> list[str | None]:
    deadline = time.monotonic() + seconds
    while True:
        statuses = [_job_status(settings, job_id) for job_id in job_ids]
        if all(s == "succeeded" for s in statuses) or time.monotonic() > deadline:
            return statuses
        await asyncio.sleep(0.5)


async def _purge_job(databases: Databases, *, delay: float = 0) -> int:
    """A job any worker can run (the auth purge), due now or in `delay` seconds."""
    async with databases.crm.transaction(SYSTEM) as session:
        return await enqueue(
            session,
            "auth:auth.purge_expired",
            args={"timestamp": 0},
            queue="maintenance",
            scheduled_at=datetime.now(UTC) + timedelta(seconds=delay) if delay else None,
        )


def _worker_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRM_", "BI_"))}
    assert settings.crm_database_url
    assert settings.bi_database_url
    env.update(
        {
            "RASTRO_ENV": "test",
            "RASTRO_DATA_DIR": str(settings.data_dir),
            "CRM_DATABASE_URL": settings.crm_database_url,
            "BI_DATABASE_URL": settings.bi_database_url,
            "SECRET_KEY": settings.secret_key_value,
            "ENCRYPTION_KEY": settings.encryption_key_value,
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _start_worker(settings: Settings, log_path: Path) -> subprocess.Popen[bytes]:
    with open(log_path, "w") as log_file:
        return subprocess.Popen(
            [sys.executable, "-m", "rastro", "worker", "--nice", "0"],
            env=_worker_env(settings),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )


async def test_the_worker_waits_for_the_database_and_then_runs_the_queued_jobs(
    outage_settings: Settings, restarted: EmbeddedPostgres, tmp_path: Path
) -> None:
    databases = make_databases(outage_settings)
    log_path = tmp_path / "worker.log"
    worker = _start_worker(outage_settings, log_path)
    try:
        first = await _purge_job(databases)
        assert await _wait_done(outage_settings, [first], 60) == ["succeeded"], log_path.read_text()
        # due while the database is away
        queued = await _purge_job(databases, delay=4)
        await databases.dispose()
        restarted.stop()
        # procrastinate's worker gave up about 7 s after the database left, its heartbeat
        # after 10 s: well past both
        await asyncio.sleep(14)
        assert worker.poll() is None, log_path.read_text()
        restarted.start()
        after = await _purge_job(databases)
        statuses = await _wait_done(outage_settings, [queued, after], 60)
        assert statuses == ["succeeded", "succeeded"], log_path.read_text()
        assert worker.poll() is None, log_path.read_text()
        assert "worker_database_unavailable" in log_path.read_text()
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0, log_path.read_text()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        await databases.dispose()
