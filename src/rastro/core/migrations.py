"""Alembic, driven from code: one migration history per database.

The histories live in `migrations/crm` and `migrations/bi`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine, pool

from rastro.core.db import sqlalchemy_url

DatabaseName = Literal["crm", "bi"]
MIGRATIONS_DIR = Path(__file__).resolve().parents[3] / "migrations"


def alembic_config(database: DatabaseName, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR / database))
    config.set_main_option("path_separator", "os")
    config.attributes["url"] = sqlalchemy_url(url)
    config.attributes["database"] = database
    return config


def upgrade(database: DatabaseName, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database, url), revision)


def downgrade(database: DatabaseName, url: str, revision: str) -> None:
    command.downgrade(alembic_config(database, url), revision)


def heads(database: DatabaseName, url: str) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(database, url)).get_heads())


def current(database: DatabaseName, url: str) -> set[str]:
    engine = create_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return set(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()


def is_current(database: DatabaseName, url: str) -> bool:
    return current(database, url) == heads(database, url)


_MONTHLY_PARTITION = re.compile(r"_\d{4}_\d{2}$")


def _ours(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Objects the models describe. Not: the job queue's tables (procrastinate's own schema)
    and monthly partitions (`<table>_YYYY_MM`, created by jobs, not by migrations)."""
    table = getattr(obj, "table", obj)
    table_name = getattr(table, "name", name) or ""
    return not (table_name.startswith("procrastinate_") or _MONTHLY_PARTITION.search(table_name))


def run_env(metadata: MetaData) -> None:
    """The body of both `env.py` files: run migrations online on the configured URL."""
    from alembic import context

    config = context.config
    engine = create_engine(config.attributes["url"], poolclass=pool.NullPool)
    with engine.connect() as connection:
        # Migrations see every organization's rows (row-level security is forced on tables).
        connection.exec_driver_sql("SELECT set_config('rastro.scope', 'system', false)")
        context.configure(
            connection=connection,
            target_metadata=metadata,
            compare_type=True,
            include_object=_ours,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()  # the set_config above opened the transaction alembic ran in
    engine.dispose()


def drift(database: DatabaseName, url: str, metadata: MetaData) -> list[object]:
    """Differences between the models and the migrated database (empty when in step)."""
    from alembic.autogenerate import compare_metadata

    engine = create_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": _ours}
            )
            return list(compare_metadata(ctx, metadata))
    finally:
        engine.dispose()
