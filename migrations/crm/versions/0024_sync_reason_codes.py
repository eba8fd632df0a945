"""conversions: each delivery's reason as a code with parameters (the dashboard translates
it; `reason` keeps the English sentence for API clients)

Revision ID: 0024
Revises: 0014
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0024"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "offline_conversion_syncs", sa.Column("reason_code", sa.String(length=40), nullable=True)
    )
    op.add_column(
        "offline_conversion_syncs",
        sa.Column(
            "reason_params",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
    )
    # Rows written before: their sentence is shown as the platform's message.
    op.execute(
        "UPDATE offline_conversion_syncs SET reason_code = 'platform_message', "
        "reason_params = jsonb_build_object('message', reason) WHERE reason IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_column("offline_conversion_syncs", "reason_params")
    op.drop_column("offline_conversion_syncs", "reason_code")
