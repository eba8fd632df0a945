"""analytics: month levels of the conversion and event rollups

Each day level of the conversion rollup (`daily_conversions_by_channel`, `_by_page`,
`_by_campaign`; not `_summary`, which barely shrinks per month) and of the event rollup
(`event_type_by_channel`, `_by_page`) gets a twin per local month (`monthly_…`, column
`month`: the month's first day), filled here from the day rows (the refresh keeps them
after this): reports over whole months read 15 to 20 times fewer rows. `daily_conversions_summary` gets an index on the
campaign (a campaign filter with a landing page or creative scanned the period's rows).

Revision ID: 0038
Revises: 0033
Create Date: 2026-12-07 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rastro.core.db import tenant_rls_sql

revision: str = "0038"
down_revision: str | None = "0044"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CAMPAIGN_INDEX = "ix_daily_conversions_summary_organization_id_campaign_day"
TRAFFIC = ("domain_id", "channel", "source", "medium", "device")
LEVELS = {
    "by_channel": TRAFFIC,
    "by_page": (*TRAFFIC, "landing_page_id"),
    "by_campaign": (*TRAFFIC, "campaign"),
    "summary": (*TRAFFIC, "landing_page_id", "campaign", "content", "term"),
}
COUNTS = (
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
)
# (day table, month table, dimensions, key columns, measures)
TABLES = [
    (
        f"daily_conversions_{level}",
        f"monthly_conversions_{level}",
        dimensions,
        ("currency",),
        tuple(name for name, _ in COUNTS),
    )
    for level, dimensions in LEVELS.items()
    if level != "summary"
] + [
    (
        f"event_type_{level}",
        f"monthly_event_type_{level}",
        LEVELS[level],
        ("event_type",),
        ("events", "sessions_with_event"),
    )
    for level in ("by_channel", "by_page")
]


def _dimension(name: str) -> sa.Column:
    kind: sa.types.TypeEngine = {
        "domain_id": sa.Uuid(),
        "landing_page_id": sa.Uuid(),
        "channel": sa.String(length=40),
        "device": sa.String(length=20),
    }.get(name, sa.Text())
    return sa.Column(name, kind, nullable=name != "channel")


def _measures(keys: tuple[str, ...]) -> list[sa.Column]:
    if keys == ("event_type",):
        return [
            sa.Column("event_type", sa.String(length=40), nullable=False),
            sa.Column("events", sa.Integer(), nullable=False),
            sa.Column("sessions_with_event", sa.Integer(), nullable=False),
        ]
    return [
        sa.Column("currency", sa.String(length=3), nullable=True),
        *(sa.Column(name, kind, server_default="0", nullable=False) for name, kind in COUNTS),
    ]


def upgrade() -> None:
    for day_table, table, dimensions, keys, measures in TABLES:
        op.create_table(
            table,
            sa.Column("row_id", sa.BigInteger(), autoincrement=True, nullable=False),
            sa.Column("month", sa.Date(), nullable=False),
            *(_dimension(name) for name in dimensions),
            *_measures(keys),
            sa.Column("organization_id", sa.Uuid(), nullable=False),
            sa.PrimaryKeyConstraint("row_id", name=op.f(f"pk_{table}")),
        )
        op.create_index(f"ix_{table}_organization_id_month", table, ["organization_id", "month"])
        grouped = ", ".join(("organization_id", *dimensions, *keys))
        sums = ", ".join(f"sum({m})" for m in measures)
        month = "date_trunc('month', day)::date"
        # Every organization's rows (the day tables are behind row-level security).
        op.execute("SELECT set_config('rastro.scope', 'system', true)")
        op.execute(
            f"INSERT INTO {table} ({grouped}, month, {', '.join(measures)}) "  # noqa: S608 (constants)
            f"SELECT {grouped}, {month}, {sums} FROM {day_table} GROUP BY {grouped}, {month}"
        )
        op.execute("SELECT set_config('rastro.scope', '', true)")
        for statement in tenant_rls_sql(table):
            op.execute(statement)
    op.create_index(
        CAMPAIGN_INDEX, "daily_conversions_summary", ["organization_id", "campaign", "day"]
    )


def downgrade() -> None:
    op.drop_index(CAMPAIGN_INDEX, table_name="daily_conversions_summary")
    for _day_table, table, _dimensions, _keys, _measures in TABLES:
        op.drop_table(table)
