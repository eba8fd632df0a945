"""Rastro's settings and databases on the analytics benchmark's embedded PostgreSQL."""

from __future__ import annotations

import base64
import hashlib

from pydantic import SecretStr

from rastro.config import Settings
from rastro.core.db import Databases
from rastro.core.embedded import EmbeddedPostgres
from rastro.runtime import make_databases, upgrade_all

BENCH_KEY = "kbench:" + base64.urlsafe_b64encode(hashlib.sha256(b"rastro bench").digest()).decode()


def bench_settings(server: EmbeddedPostgres) -> Settings:
    """Development settings on the benchmark's databases (rastro_crm, rastro_bi)."""
    return Settings(
        RASTRO_ENV="development",
        RASTRO_DATA_DIR=server.pgdata.parent,
        CRM_DATABASE_URL=server.url("rastro_crm"),
        BI_DATABASE_URL=server.url("rastro_bi"),
        SECRET_KEY=SecretStr("bench-secret-key-" + "x" * 40),
        # One key for every run: the data one run generates (personal fields encrypted) is
        # read by the next (reports, rollups).
        ENCRYPTION_KEY=SecretStr(BENCH_KEY),
        LOG_LEVEL="WARNING",
    )


def bench_databases(server: EmbeddedPostgres) -> Databases:
    """The app's engines on the benchmark's databases."""
    return make_databases(bench_settings(server))


def upgrade(server: EmbeddedPostgres) -> None:
    """Run every migration on the benchmark's databases."""
    upgrade_all(bench_settings(server))
