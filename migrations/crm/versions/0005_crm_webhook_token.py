"""crm-in: the organization's inbound webhook URL token (stored as its SHA-256)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "crm_settings", sa.Column("webhook_token_hash", sa.String(length=64), nullable=True)
    )
    op.add_column(
        "crm_settings", sa.Column("webhook_token_hint", sa.String(length=8), nullable=True)
    )
    op.add_column(
        "crm_settings",
        sa.Column("webhook_token_rotated_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "uq_crm_settings_webhook_token_hash",
        "crm_settings",
        ["webhook_token_hash"],
        unique=True,
        postgresql_where=sa.text("webhook_token_hash IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_crm_settings_webhook_token_hash",
        table_name="crm_settings",
        postgresql_where=sa.text("webhook_token_hash IS NOT NULL"),
    )
    op.drop_column("crm_settings", "webhook_token_rotated_at")
    op.drop_column("crm_settings", "webhook_token_hint")
    op.drop_column("crm_settings", "webhook_token_hash")
