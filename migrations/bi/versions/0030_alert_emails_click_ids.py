"""alerts by e-mail (a rule's member recipients, a delivery per channel); Google click ids
joined to spend (ad_clicks from click_view, click_id on touch combinations and facts)

Revision ID: 0030
Revises: 0022
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from rastro.core.db import tenant_rls_sql

revision: str = "0030"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ad_clicks",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("click_id", sa.Text(), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("ad_set_id", sa.String(length=64), nullable=True),
        sa.Column("ad_id", sa.String(length=64), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint(
            "organization_id", "platform", "click_id", name=op.f("pk_ad_clicks")
        ),
    )
    for statement in tenant_rls_sql("ad_clicks"):
        op.execute(statement)
    op.add_column("touch_combinations", sa.Column("click_id", sa.Text(), nullable=True))
    op.add_column("conversion_facts", sa.Column("click_id", sa.Text(), nullable=True))
    op.add_column(
        "alert_rules",
        sa.Column(
            "email_recipients",
            postgresql.ARRAY(sa.Uuid()),
            server_default=sa.text("'{}'::uuid[]"),
            nullable=False,
        ),
    )
    op.add_column(
        "alert_deliveries",
        sa.Column("channel", sa.String(length=10), server_default="webhook", nullable=False),
    )
    op.alter_column("alert_deliveries", "credential_id", existing_type=sa.Uuid(), nullable=True)
    op.drop_constraint(
        "uq_alert_deliveries_organization_id_event_id_transition", "alert_deliveries"
    )
    op.create_unique_constraint(
        op.f("uq_alert_deliveries_organization_id_event_id_transition_channel"),
        "alert_deliveries",
        ["organization_id", "event_id", "transition", "channel"],
    )


def downgrade() -> None:
    op.execute("DELETE FROM alert_deliveries WHERE channel <> 'webhook'")
    op.drop_constraint(
        "uq_alert_deliveries_organization_id_event_id_transition_channel", "alert_deliveries"
    )
    op.create_unique_constraint(
        "uq_alert_deliveries_organization_id_event_id_transition",
        "alert_deliveries",
        ["organization_id", "event_id", "transition"],
    )
    op.alter_column("alert_deliveries", "credential_id", existing_type=sa.Uuid(), nullable=False)
    op.drop_column("alert_deliveries", "channel")
    op.drop_column("alert_rules", "email_recipients")
    op.drop_column("conversion_facts", "click_id")
    op.drop_column("touch_combinations", "click_id")
    op.drop_table("ad_clicks")
