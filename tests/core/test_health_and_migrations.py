"""Health checks, the migrations gate and model/migration drift."""

from __future__ import annotations

import gc
import os
import subprocess
import sys

import httpx
import psycopg
import pytest

from rastro.app import create_app
from rastro.core import embedded, migrations
from rastro.core.db import BiBase, CrmBase
from rastro.runtime import MigrationsPending, ensure_migrated, make_databases, upgrade_all
from tests.conftest import make_settings


@pytest.fixture
def empty_databases(pg_server, tmp_path):
    names = (f"rastro_crm_empty_{os.getpid()}", f"rastro_bi_empty_{os.getpid()}")
    pg_server.ensure_databases(*names)
    yield make_settings(tmp_path, pg_server.url(names[0]), pg_server.url(names[1]))
    for name in names:
        pg_server.drop_database(name)


async def test_healthz_and_readyz(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "databases": {"crm": "current", "bi": "current"}}


async def test_readyz_is_503_while_migrations_are_pending(empty_databases):
    databases = make_databases(empty_databases)
    upgrade_all_but_bi = empty_databases.crm_database_url
    migrations.upgrade("crm", upgrade_all_but_bi)
    migrations.upgrade("bi", empty_databases.bi_database_url)
    migrations.downgrade("bi", empty_databases.bi_database_url, "base")
    try:
        app = create_app(empty_databases, databases=databases, check_migrations=False)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as http:
            response = await http.get("/readyz")
        assert response.status_code == 503
        assert "rastro db upgrade" in response.json()["error"]["message"]
        assert response.json()["error"]["details"] == {"crm": True, "bi": False}
    finally:
        await databases.dispose()


def test_the_app_refuses_to_start_with_pending_migrations(empty_databases):
    with pytest.raises(MigrationsPending, match="rastro db upgrade"):
        ensure_migrated(empty_databases)
    env = {
        **os.environ,
        "RASTRO_ENV": "test",
        "RASTRO_DATA_DIR": str(empty_databases.data_dir),
        "CRM_DATABASE_URL": empty_databases.crm_database_url,
        "BI_DATABASE_URL": empty_databases.bi_database_url,
    }
    result = subprocess.run(
        [sys.executable, "-m", "rastro", "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "migrations are pending" in result.stderr
    assert "rastro db upgrade" in result.stderr


def test_migrations_upgrade_downgrade_and_match_the_models(empty_databases):
    upgrade_all(empty_databases)
    ensure_migrated(empty_databases)
    assert migrations.drift("crm", empty_databases.crm_database_url, CrmBase.metadata) == []
    assert migrations.drift("bi", empty_databases.bi_database_url, BiBase.metadata) == []
    migrations.downgrade("crm", empty_databases.crm_database_url, "base")
    assert migrations.current("crm", empty_databases.crm_database_url) == set()
    upgrade_all(empty_databases)
    ensure_migrated(empty_databases)


def test_the_embedded_server_allows_every_process_its_pools(pg_server):
    with psycopg.connect(pg_server.superuser_conninfo()) as conn:
        assert conn.execute("SHOW max_connections").fetchone() == ("300",)
        assert conn.execute("SHOW wal_init_zero").fetchone() == ("off",)  # no zero-fill stalls
        expected = embedded.memory_settings(embedded.machine_memory())
        for name in ("shared_buffers", "effective_cache_size"):
            row = conn.execute("SELECT setting FROM pg_settings WHERE name = %s", (name,))
            assert row.fetchone() == (expected[name],)


def test_the_embedded_server_takes_a_quarter_of_the_memory_within_bounds():
    gib = 1024**3
    blocks = lambda size: str(size // 8192)  # noqa: E731
    assert embedded.memory_settings(24 * gib) == {
        "shared_buffers": blocks(4 * gib),  # capped
        "effective_cache_size": blocks(12 * gib),
    }
    assert embedded.memory_settings(8 * gib) == {
        "shared_buffers": blocks(2 * gib),
        "effective_cache_size": blocks(4 * gib),
    }
    small = embedded.memory_settings(256 * 1024**2)  # never below PostgreSQL's default
    assert small == {
        "shared_buffers": blocks(128 * 1024**2),
        "effective_cache_size": blocks(128 * 1024**2),
    }


async def test_server_processes_freeze_what_start_up_made(settings, databases):
    gc.unfreeze()
    app = create_app(settings, databases=databases, check_migrations=False, freeze_gc=True)
    try:
        async with app.router.lifespan_context(app):
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()  # the test process keeps collecting its own objects
    app = create_app(settings, databases=databases, check_migrations=False)
    async with app.router.lifespan_context(app):
        assert gc.get_freeze_count() == 0
