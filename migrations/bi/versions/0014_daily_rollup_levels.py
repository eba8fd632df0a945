"""analytics: rollups per local day in levels (site, channel, landing page, campaign, every
dimension) instead of per UTC hour; rollup_state.timezone

The hourly rollups are dropped (they are derived data): `rollup_state.timezone` starts
NULL, which makes the next refresh a full one (no lead is copied again) and keeps the
reports on the raw rows until then.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rastro.core.db import tenant_rls_sql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRAFFIC = ("domain_id", "channel", "source", "medium", "device")
LEVELS = {
    "by_site": ("domain_id",),
    "by_channel": TRAFFIC,
    "by_page": (*TRAFFIC, "landing_page_id"),
    "by_campaign": (*TRAFFIC, "campaign"),
    "summary": (*TRAFFIC, "landing_page_id", "campaign", "content", "term"),
}
ROLLUPS = {"daily_conversions": "conversions", "event_type": "events", "page_path": "paths"}


def _dimension(name: str) -> sa.Column:
    kind: sa.types.TypeEngine = {
        "domain_id": sa.Uuid(),
        "landing_page_id": sa.Uuid(),
        "channel": sa.String(length=40),
        "device": sa.String(length=20),
    }.get(name, sa.Text())
    return sa.Column(name, kind, nullable=name != "channel")


def _measures(rollup: str) -> list[sa.Column]:
    if rollup == "events":
        return [
            sa.Column("event_type", sa.String(length=40), nullable=False),
            sa.Column("events", sa.Integer(), nullable=False),
            sa.Column("sessions_with_event", sa.Integer(), nullable=False),
        ]
    if rollup == "paths":
        return [
            sa.Column("page_path", sa.Text(), nullable=False),
            *(
                sa.Column(name, sa.Integer(), server_default="0", nullable=False)
                for name in ("views", "entries", "exits")
            ),
        ]
    counts = [
        ("sessions", sa.Integer()),
        ("new_sessions", sa.Integer()),
        ("bounces", sa.Integer()),
        ("page_views", sa.Integer()),
        ("events", sa.Integer()),
        ("duration", sa.BigInteger()),
        ("converted_sessions", sa.Integer()),
        ("leads", sa.Integer()),
        ("score_points", sa.Integer()),
        ("conversion_seconds", sa.BigInteger()),
        ("conversion_timed", sa.Integer()),
        ("qualified", sa.Integer()),
        ("won", sa.Integer()),
        ("revenue", sa.Numeric(precision=16, scale=2)),
        ("sales_cycle_seconds", sa.BigInteger()),
    ]
    return [
        sa.Column("currency", sa.String(length=3), nullable=True),
        *(sa.Column(name, kind, server_default="0", nullable=False) for name, kind in counts),
    ]


# Events and page paths stop at smaller levels (their rows multiply by types and paths).
KEPT = {
    "conversions": ("by_channel", "by_page", "by_campaign", "summary"),
    "events": ("by_channel", "by_page"),
    "paths": ("by_site", "by_channel"),
}


def _tables() -> list[tuple[str, str, tuple[str, ...]]]:
    return [
        (f"{prefix}_{level}", rollup, LEVELS[level])
        for prefix, rollup in ROLLUPS.items()
        for level in KEPT[rollup]
    ]


def upgrade() -> None:
    for table in ("daily_conversions_summary", "event_type_summary", "page_path_summary"):
        op.drop_table(table)
    for table, rollup, dimensions in _tables():
        op.create_table(
            table,
            sa.Column("row_id", sa.BigInteger(), autoincrement=True, nullable=False),
            sa.Column("day", sa.Date(), nullable=False),
            *(_dimension(name) for name in dimensions),
            *_measures(rollup),
            sa.Column("organization_id", sa.Uuid(), nullable=False),
            sa.PrimaryKeyConstraint("row_id", name=op.f(f"pk_{table}")),
        )
        op.create_index(f"ix_{table}_organization_id_day", table, ["organization_id", "day"])
        for statement in tenant_rls_sql(table):
            op.execute(statement)
    op.add_column("rollup_state", sa.Column("timezone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("rollup_state", "timezone")
    for table, _rollup, _dimensions in _tables():
        op.drop_table(table)
    # The hourly tables of 0009-0011 come back empty (a full refresh refills them).
    every = ("domain_id", "landing_page_id", "channel", "source", "medium", "campaign")
    for table, rollup in (
        ("daily_conversions_summary", "conversions"),
        ("page_path_summary", "paths"),
        ("event_type_summary", "events"),
    ):
        op.create_table(
            table,
            sa.Column("row_id", sa.BigInteger(), autoincrement=True, nullable=False),
            sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
            *(_dimension(name) for name in (*every, "content", "term", "device")),
            *_measures(rollup),
            sa.Column("organization_id", sa.Uuid(), nullable=False),
            sa.PrimaryKeyConstraint("row_id", name=op.f(f"pk_{table}")),
        )
        op.create_index(op.f(f"ix_{table}_organization_id"), table, ["organization_id"])
        op.create_index(f"ix_{table}_organization_id_hour", table, ["organization_id", "hour"])
        for statement in tenant_rls_sql(table):
            op.execute(statement)
