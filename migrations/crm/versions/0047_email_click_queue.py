"""e-mail: the click redirect answers after one durable write. `email_click_queue` holds
each acknowledged click until its BI event is stored; `rastro_email_clicks()` v3 queues the
clicks (instead of the group writer also committing their events in BI before answering);
`rastro_email_clicks_drained()` sets the first click times and empties the queue once the
events are stored

Revision ID: 0047
Revises: 0045
Create Date: 2026-12-07
"""

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from rastro.core.db import tenant_rls_sql

revision: str = "0047"
down_revision: str | None = "0045"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL = Path(__file__).resolve().parents[1] / "sql"


def upgrade() -> None:
    op.create_table(
        "email_click_queue",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("clicked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_agent", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_email_click_queue")),
    )
    for statement in tenant_rls_sql("email_click_queue"):
        op.execute(statement)
    op.execute((SQL / "rastro_email_clicks_v3.sql").read_text())
    op.execute((SQL / "rastro_email_clicks_drained_v1.sql").read_text())


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS rastro_email_clicks_drained(jsonb)")
    op.execute((SQL / "rastro_email_clicks_v2.sql").read_text())
    op.drop_table("email_click_queue")
