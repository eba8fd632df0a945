"""Start-up plumbing shared by the CLI commands: settings, database URLs, migrations check."""

from __future__ import annotations

import asyncio
import atexit
import signal
import subprocess
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from sqlalchemy import text

from rastro.config import Settings, encryption_key_file, generate_encryption_key, load_settings
from rastro.core import migrations, personal
from rastro.core.availability import backoff_delays
from rastro.core.db import Database, Databases
from rastro.core.embedded import EmbeddedPostgres
from rastro.core.security import Keyring

log = structlog.get_logger(__name__)


class MigrationsPending(RuntimeError):
    pass


def resolve_database_urls(settings: Settings) -> Settings:
    """Fill the two URLs: as configured, or the embedded server's (started if needed).

    An embedded server this process started is stopped when the process exits, whatever
    the way (a refusal to start, an error, Ctrl-C): nothing is left running orphaned. One
    that was running already (`rastro run`, another command) is left to its owner."""
    if not settings.embedded_database:
        return settings
    server = EmbeddedPostgres(settings.data_dir)
    server.start()
    if server.started:
        atexit.register(server.stop)
    urls = server.default_databases()
    return settings.model_copy(update={"crm_database_url": urls.crm, "bi_database_url": urls.bi})


class SupervisedProcess:
    """A child process started again whenever it dies (ends with a non-zero code or by a
    signal), with backoff, until `stop()`: `rastro run`'s job worker. A child that ends
    with code 0 was asked to stop (Ctrl-C reaches it too) and is left stopped."""

    def __init__(self, command: list[str], *, name: str) -> None:
        self._command = command
        self._name = name
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None
        self._watcher: threading.Thread | None = None

    def start(self) -> None:
        self._process = self._spawn()
        self._watcher = threading.Thread(target=self._watch, name=self._name, daemon=True)
        self._watcher.start()

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(self._command)  # noqa: S603 (our own command line)

    def _watch(self) -> None:
        waits = backoff_delays(first=1.0, longest=30.0)
        while True:
            process = self._process
            assert process is not None
            started = time.monotonic()
            code = process.wait()
            if self._stopping.is_set() or code == 0:
                return
            log.warning("child_process_died", process=self._name, code=code)
            if time.monotonic() - started > 60:  # it had been running fine: restart soon
                waits = backoff_delays(first=1.0, longest=30.0)
            if self._stopping.wait(next(waits)):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                self._process = self._spawn()
            log.info("child_process_restarted", process=self._name, pid=self._process.pid)

    def stop(self, timeout: float = 15) -> None:
        """Ask the child to stop (SIGTERM), kill it after `timeout` seconds."""
        with self._lock:
            self._stopping.set()
            process = self._process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._watcher is not None:
            self._watcher.join(timeout=5)


class PostgresWatchdog:
    """Starts the embedded PostgreSQL again when it stops (killed, crashed) while `rastro
    run` runs; PostgreSQL recovers from its log on start."""

    def __init__(self, server: EmbeddedPostgres, *, interval: float = 1.0) -> None:
        self._server = server
        self._interval = interval
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="postgres", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _watch(self) -> None:
        while not self._stopping.wait(self._interval):
            if self._server.is_running():
                continue
            log.warning("embedded_postgres_down")
            try:
                self._server.start()
            except Exception:  # tried again at the next interval
                log.exception("embedded_postgres_start_failed")
            else:
                log.info("embedded_postgres_restarted")

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=60)


def database_urls(settings: Settings) -> dict[migrations.DatabaseName, str]:
    if not (settings.crm_database_url and settings.bi_database_url):
        raise RuntimeError("resolve the database URLs first (resolve_database_urls)")
    return {"crm": settings.crm_database_url, "bi": settings.bi_database_url}


def configure_personal_data(settings: Settings) -> None:
    """The key ring and blind-index key of the encrypted personal-data columns."""
    personal.configure(Keyring(settings.encryption_key_value), settings.blind_index_key_value)


def make_databases(settings: Settings, *, pre_ping: bool = False) -> Databases:
    """Both databases' pools; `pre_ping` for the job worker (see `Database`)."""
    urls = database_urls(settings)
    configure_personal_data(settings)

    def database(name: migrations.DatabaseName) -> Database:
        return Database(
            name,
            urls[name],
            pool_size=settings.db_pool_size,
            plain_pool_size=settings.db_plain_pool_size,
            pre_ping=pre_ping,
        )

    return Databases(crm=database("crm"), bi=database("bi"))


def upgrade_all(settings: Settings) -> None:
    configure_personal_data(settings)  # migrations encrypt the rows stored before
    for name, url in database_urls(settings).items():
        migrations.upgrade(name, url)


def pending_migrations(settings: Settings) -> list[str]:
    return [
        name
        for name, url in database_urls(settings).items()
        if not migrations.is_current(name, url)
    ]


def ensure_migrated(settings: Settings) -> None:
    pending = pending_migrations(settings)
    if pending:
        raise MigrationsPending(
            f"Database migrations are pending for {', '.join(pending)}: run `rastro db upgrade` "
            "(or `make migrate`) before starting Rastro."
        )


async def migration_status(databases: Databases, expected: dict[str, set[str]]) -> dict[str, bool]:
    """Whether each database is at the head revision (used by /readyz)."""
    status = {}
    for name, database in (("crm", databases.crm), ("bi", databases.bi)):
        async with database.engine.connect() as conn:
            rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
            status[name] = {row[0] for row in rows} == expected[name]
    return status


async def role_bypasses_rls(database: Database) -> bool:
    async with database.engine.connect() as conn:
        row = await conn.execute(
            text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
        )
        return bool(row.scalar())


def rotate_dev_key(settings: Settings) -> Settings:
    """Development: put a new key first in the data-dir key file (old keys still decrypt)."""
    path = encryption_key_file(settings)
    if not path.exists():
        raise SystemExit("ENCRYPTION_KEY comes from the environment: put the new key first there.")
    old = path.read_text().strip()
    path.write_text(f"{generate_encryption_key()},{old}\n")
    return load_settings()


@asynccontextmanager
async def open_databases(
    settings: Settings | None = None, *, rotate_key: bool = False
) -> AsyncIterator[tuple[Databases, Settings]]:
    """Settings, URLs resolved, migrations checked, engines open (for CLI commands)."""
    settings = settings or load_settings()
    if rotate_key:
        settings = rotate_dev_key(settings)
    settings = await asyncio.to_thread(resolve_database_urls, settings)
    await asyncio.to_thread(ensure_migrated, settings)
    databases = make_databases(settings)
    try:
        yield databases, settings
    finally:
        await databases.dispose()
