"""conv-utmify: the order status of an offline conversion (paid, refunded, chargedback)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 17:35:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'offline_conversions',
        sa.Column('order_status', sa.String(length=20), server_default='paid', nullable=False),
    )
    op.add_column(
        'offline_conversions',
        sa.Column('refunded_at', sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_column('offline_conversions', 'refunded_at')
    op.drop_column('offline_conversions', 'order_status')
