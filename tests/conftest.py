"""Test fixtures: one embedded PostgreSQL per run, fresh databases per xdist worker,
tables truncated after every test (so jobs and live servers see committed data)."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
import pytest_asyncio
from argon2 import PasswordHasher
from pydantic import SecretStr

from rastro.app import close_app, create_app
from rastro.config import REPO_ROOT, Settings, generate_encryption_key
from rastro.core import security
from rastro.core.db import BiBase, CrmBase, Databases
from rastro.core.embedded import EmbeddedPostgres
from rastro.modules import load_modules
from rastro.runtime import make_databases, upgrade_all

load_modules()

# Cheap argon2 parameters for the test run only: sign-in tests hash and verify hundreds of
# passwords. Production keeps argon2-cffi's defaults (RFC 9106 low-memory profile).
security._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

TEST_PGDATA = Path(os.environ.get("RASTRO_TEST_DATA_DIR", REPO_ROOT / "var" / "test"))


@dataclass(frozen=True)
class TestDatabases:
    server: EmbeddedPostgres
    crm_name: str
    bi_name: str

    @property
    def crm_url(self) -> str:
        return self.server.url(self.crm_name)

    @property
    def bi_url(self) -> str:
        return self.server.url(self.bi_name)


def _run_id() -> str:
    """Unique per test run and xdist worker, so concurrent runs never share databases."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")[:8] or str(os.getpid())
    return f"{run}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


@pytest.fixture(scope="session")
def pg_server() -> EmbeddedPostgres:
    server = EmbeddedPostgres(TEST_PGDATA)
    server.start()
    return server


@pytest.fixture(scope="session")
def test_databases(pg_server: EmbeddedPostgres) -> Iterator[TestDatabases]:
    run_id = _run_id()
    names = TestDatabases(pg_server, f"rastro_crm_test_{run_id}", f"rastro_bi_test_{run_id}")
    pg_server.ensure_databases(names.crm_name, names.bi_name)
    yield names
    for name in (names.crm_name, names.bi_name):
        pg_server.drop_database(name)


# One encryption key per test process: the personal-data key ring is process-wide
# (`core.personal.configure`, set by every `make_databases`), so settings made by different
# tests in one process must agree on it or data sealed by one is unreadable by the next.
TEST_ENCRYPTION_KEY = generate_encryption_key()


def make_settings(tmp_root: Path, crm_url: str, bi_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "RASTRO_ENV": "test",
        "RASTRO_DATA_DIR": tmp_root,
        "CRM_DATABASE_URL": crm_url,
        "BI_DATABASE_URL": bi_url,
        "SECRET_KEY": SecretStr("test-secret-key-" + "x" * 40),
        "ENCRYPTION_KEY": SecretStr(TEST_ENCRYPTION_KEY),
        "LOG_LEVEL": "WARNING",
        "OUTBOX_GATHER_SECONDS": 0,
        "EMAIL_CLICK_DRAIN_SECONDS": 0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def settings(test_databases: TestDatabases, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = make_settings(
        tmp_path_factory.mktemp("data"), test_databases.crm_url, test_databases.bi_url
    )
    upgrade_all(settings)
    return settings


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def databases(settings: Settings) -> AsyncIterator[Databases]:
    dbs = make_databases(settings)
    yield dbs
    await dbs.dispose()


def _truncate(url: str, tables: list[str]) -> None:
    if not tables:
        return
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


@pytest.fixture(autouse=True)
def _clean_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "settings" not in request.fixturenames:
        return
    test_dbs: TestDatabases = request.getfixturevalue("test_databases")
    crm_tables = [t.name for t in CrmBase.metadata.sorted_tables] + [
        "procrastinate_jobs",
        "procrastinate_periodic_defers",
    ]
    _truncate(test_dbs.crm_url, crm_tables)
    _truncate(test_dbs.bi_url, [t.name for t in BiBase.metadata.sorted_tables])


@pytest_asyncio.fixture(loop_scope="session")
async def app(settings: Settings, databases: Databases):  # type: ignore[no-untyped-def]
    application = create_app(settings, databases=databases, check_migrations=False)
    yield application
    await close_app(application)


@pytest_asyncio.fixture(loop_scope="session")
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


# --- a real server on 127.0.0.1 (browser tests, live updates) ------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    settings: Settings


@pytest.fixture(scope="session")
def live_server(settings: Settings) -> Iterator[LiveServer]:
    """Rastro (API, live updates and the built dashboard) served by uvicorn on 127.0.0.1."""
    import uvicorn

    from rastro.app import create_asgi

    web_dir = REPO_ROOT / "web" / "dist"
    if not (web_dir / "index.html").is_file():
        pytest.fail("web/dist is not built: run `make web` (the test command builds it)")
    port = free_port()
    server_settings = settings.model_copy(update={"web_dir": web_dir, "port": port})
    config = uvicorn.Config(
        create_asgi(server_settings), host="127.0.0.1", port=port, log_config=None, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the live server did not start")
        time.sleep(0.05)
    yield LiveServer(base_url=f"http://127.0.0.1:{port}", settings=server_settings)
    server.should_exit = True
    thread.join(timeout=10)


# Each test run (its controller process) leaves a file here while it runs: a run that
# ends stops the shared test PostgreSQL only when no other run is still using it.
RUNS = TEST_PGDATA.parent / f".test-runs-{TEST_PGDATA.name}"


def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):
        RUNS.mkdir(parents=True, exist_ok=True)
        (RUNS / str(os.getpid())).touch()


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stop the test PostgreSQL once every worker is done (the controller runs last), unless
    another test run started meanwhile is still using it."""
    if hasattr(session.config, "workerinput"):
        return
    (RUNS / str(os.getpid())).unlink(missing_ok=True)
    others = [int(f.name) for f in RUNS.glob("*") if f.name.isdigit()]
    if not any(_running(pid) for pid in others):
        EmbeddedPostgres(TEST_PGDATA).stop()
