"""email: per-link click aggregates (the campaign report's CTA ranking reads them instead
of counting the raw events)

Revision ID: 0027
Revises: 0023
Create Date: 2026-12-07 00:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rastro.core.db import tenant_rls_sql

revision: str = "0027"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "email_campaign_link_clicks",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("clicks", sa.Integer(), server_default="0", nullable=False),
        sa.Column("unique_clicks", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "refreshed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(
            "organization_id",
            "campaign_id",
            "link_id",
            name=op.f("pk_email_campaign_link_clicks"),
        ),
    )
    for statement in tenant_rls_sql("email_campaign_link_clicks"):
        op.execute(statement)
    # Campaigns recounted before this table existed get their link figures at their next
    # recount (the periodic job recounts campaigns with new events; a report shows the
    # link figures once it ran).


def downgrade() -> None:
    op.drop_table("email_campaign_link_clicks")
