"""auth: credentials.secret_settings, the encrypted secret settings (a Google Ads developer
token, a client secret…) that were kept in plain text in `settings`

Existing plain-text secret settings stay readable (and masked in responses) until
`rastro keys rotate` moves them here encrypted: a migration has no encryption key.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "credentials",
        sa.Column(
            "secret_settings",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("credentials", "secret_settings")
