"""The embedded PostgreSQL server: a real PostgreSQL 16 (the `pgserver` wheel) in the data dir.

It listens on a Unix socket only (no TCP port). Rastro connects as `rastro_app`, a role
that is neither superuser nor BYPASSRLS, so row-level security applies to it; the
superuser is used only to create that role and the databases.
"""

from __future__ import annotations

import fcntl
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

APP_ROLE = "rastro_app"
CRM_DATABASE = "rastro_crm"
BI_DATABASE = "rastro_bi"

log = logging.getLogger(__name__)

# Server settings that differ from PostgreSQL's defaults:
# * max_connections: every process (server workers, job worker, CLI) keeps pools of its own
#   on both databases; 100, the default, are used up by two server workers and a job worker
#   at full load;
# * wal_init_zero: a new 16 MB WAL file is not filled with zeros first. Under the
#   collector's write load a new file is needed every second or so until old ones are
#   recycled, and every commit waited while one was zero-filled and flushed: that was the
#   slowest 1 % of collector requests (bench/README.md, 2026-12-02: p99 at half rate 59 to 83 ms
#   with it, 15 to 24 ms without). Recycled WAL files are reused as they are.
# * the server log keeps no personal data or secrets (`LOGGED_VALUES_OFF`).
# A failed statement's ERROR line quotes the value it refused (`invalid input syntax for
# type uuid: "…"`), its DETAIL and CONTEXT lines the row or JSON around it, and
# `log_min_error_statement` adds the statement and its parameters. Rastro logs such errors
# itself by class, SQLSTATE and constraint (rastro.core.redaction); the server log keeps
# LOG, FATAL and PANIC lines (start-up, shutdown, checkpoints, crashes) and no statements.
# README.md ("Configuration") lists the same settings for an external server.
LOGGED_VALUES_OFF = {
    "log_min_messages": "log",
    "log_min_error_statement": "panic",
    "log_error_verbosity": "terse",
    "log_parameter_max_length": "0",
    "log_parameter_max_length_on_error": "0",
}
# Memory: PostgreSQL's defaults (shared_buffers 128 MB, effective_cache_size 4 GB) are sized
# for any machine; the embedded server takes a quarter of this one's memory (or its
# cgroup's limit) for shared_buffers, between 128 MB and 4 GB, and tells the planner that
# half of it caches data, as PostgreSQL's documentation suggests for a dedicated server. On
# the analytics benchmark's 13 months (bench/README.md, 2026-12-07) 3 GB instead of 128 MB
# took a 12-month campaign report from 632 to 430 ms (p95) and a campaign-filtered
# landing-page report from 660 to 436 ms; other reports did not move.
MIN_SHARED_BUFFERS = 128 * 1024**2
MAX_SHARED_BUFFERS = 4 * 1024**3
BLOCK = 8192  # the unit PostgreSQL reports both settings in


def machine_memory() -> int:
    """This machine's memory in bytes, or its cgroup's limit when that is lower."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
    except OSError:
        return total
    return min(total, int(limit)) if limit.isdigit() else total


def memory_settings(memory: int) -> dict[str, str]:
    """shared_buffers and effective_cache_size for a machine with `memory` bytes, in
    PostgreSQL's 8 kB blocks (what `pg_settings` reports)."""
    shared = min(max(memory // 4, MIN_SHARED_BUFFERS), MAX_SHARED_BUFFERS)
    cache = max(memory // 2, shared)
    return {"shared_buffers": str(shared // BLOCK), "effective_cache_size": str(cache // BLOCK)}


SETTINGS = {
    "max_connections": "300",
    "wal_init_zero": "off",
    **memory_settings(machine_memory()),
    **LOGGED_VALUES_OFF,
}


@dataclass(frozen=True)
class EmbeddedUrls:
    crm: str
    bi: str


class EmbeddedPostgres:
    """Starts (or attaches to) the server whose data lives in `<data_dir>/postgres`."""

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = (data_dir / "postgres").resolve()
        self._server: object | None = None
        # Whether `start()` started the server (False when it was already running: another
        # process, e.g. `rastro run`, owns it).
        self.started = False

    def start(self) -> None:
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
        from pgserver.postgres_server import get_server

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        logging.getLogger("pgserver").setLevel(logging.WARNING)
        # Processes starting together (test workers) take turns: the first may restart it.
        with open(self.pgdata.parent / ".postgres-start.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self.started = not self.is_running()
            server = get_server(self.pgdata, cleanup_mode=None)
            # pgserver keeps one handle per data dir and process, which does not notice a
            # server stopped since: start it again.
            if not self.is_running():
                server.ensure_postgres_running()
            self._server = server
            if self._configure():  # once per changed setting: some need a restart
                # Same log file as pgserver's start (pg_ctl's restart keeps the options).
                self._pg_ctl("-w", "-m", "fast", "-l", str(self.pgdata / "log"), "restart")

    def _configure(self) -> bool:
        """Apply `SETTINGS` (ALTER SYSTEM); True if any changed."""
        changed = False
        with psycopg.connect(self.superuser_conninfo(), autocommit=True) as conn:
            for name, value in SETTINGS.items():
                row = conn.execute("SELECT setting FROM pg_settings WHERE name = %s", (name,))
                current = row.fetchone()
                if current is None or current[0] != value:
                    conn.execute(
                        sql.SQL("ALTER SYSTEM SET {} = {}").format(
                            sql.Identifier(name), sql.Literal(value)
                        )
                    )
                    changed = True
        return changed

    @property
    def socket_dir(self) -> str:
        from pgserver.utils import PostmasterInfo

        info = PostmasterInfo.read_from_pgdata(self.pgdata)
        if info is None or info.socket_dir is None:
            raise RuntimeError(f"embedded PostgreSQL is not running in {self.pgdata}")
        return str(info.socket_dir)

    def is_running(self) -> bool:
        from pgserver.utils import PostmasterInfo

        info = PostmasterInfo.read_from_pgdata(self.pgdata)
        return info is not None and info.is_running()

    def url(self, database: str, user: str = APP_ROLE) -> str:
        return f"postgresql://{user}@/{database}?host={quote(self.socket_dir, safe='')}"

    def superuser_conninfo(self, database: str = "postgres") -> str:
        return self.url(database, user="postgres")

    def ensure_databases(self, *names: str) -> None:
        """Create the application role and the databases it owns, if missing."""
        with psycopg.connect(self.superuser_conninfo(), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (APP_ROLE,))
            if exists.fetchone() is None:
                conn.execute(
                    sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE").format(
                        sql.Identifier(APP_ROLE)
                    )
                )
            for name in names:
                found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                if found.fetchone() is None:
                    conn.execute(
                        sql.SQL(
                            "CREATE DATABASE {} OWNER {} ENCODING 'UTF8' TEMPLATE template0"
                        ).format(sql.Identifier(name), sql.Identifier(APP_ROLE))
                    )

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.superuser_conninfo(), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def default_databases(self) -> EmbeddedUrls:
        """The URLs of `rastro_crm` and `rastro_bi` on the started server (created if missing)."""
        self.ensure_databases(CRM_DATABASE, BI_DATABASE)
        return EmbeddedUrls(crm=self.url(CRM_DATABASE), bi=self.url(BI_DATABASE))

    def stop(self) -> None:
        """Stop the server cleanly (fast shutdown: open sessions are rolled back)."""
        if not self.is_running():
            return
        self._pg_ctl("-w", "-m", "fast", "stop")

    def _pg_ctl(self, *args: str) -> None:
        from pgserver import _commands

        user = "pgserver" if os.geteuid() == 0 else None
        pg_ctl = _commands.__dict__["pg_ctl"]  # generated at import by pgserver
        pg_ctl(list(args), pgdata=self.pgdata, user=user, timeout=60)
