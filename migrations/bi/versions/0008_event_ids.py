"""tracking: event ids unique whatever their timestamp (`event_ids`, rastro_collect() v3)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from rastro.core.db import tenant_rls_sql
from rastro.tracking.partitions import EVENT_ID_MEMORY

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL = Path(__file__).resolve().parents[1] / "sql"


def upgrade() -> None:
    op.create_table(
        "event_ids",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("client_session_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column(
            "seen_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint(
            "organization_id", "client_session_id", "event_id", name=op.f("pk_event_ids")
        ),
    )
    op.create_index(
        "ix_event_ids_seen_at", "event_ids", ["seen_at"], unique=False, postgresql_using="brin"
    )
    for statement in tenant_rls_sql("event_ids"):
        op.execute(statement)
    # The ids stored before this version, as far back as the collector remembers ids.
    op.execute("SELECT set_config('rastro.scope', 'system', true)")
    since = f"now() - interval '{EVENT_ID_MEMORY.days} days'"
    for table, column in (("page_views", "view_id"), ("events", "event_id")):
        op.execute(
            f"INSERT INTO event_ids (organization_id, client_session_id, event_id, seen_at) "
            f"SELECT r.organization_id, s.client_session_id, r.{column}, r.created_at "
            f"FROM {table} r JOIN sessions s ON s.session_id = r.session_id "
            f"WHERE r.created_at >= {since} ON CONFLICT DO NOTHING"
        )
    op.execute((SQL / "rastro_collect_v3.sql").read_text())


def downgrade() -> None:
    op.execute((SQL / "rastro_collect_v2.sql").read_text())
    op.drop_index("ix_event_ids_seen_at", table_name="event_ids", postgresql_using="brin")
    op.drop_table("event_ids")
