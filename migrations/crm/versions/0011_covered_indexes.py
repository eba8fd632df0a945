"""crm: drop the indexes that composite indexes of the same table already lead with (every
lead capture wrote them for nothing)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (index, table, columns): each is the prefix of another index of its table.
COVERED = (
    ("ix_leads_organization_id", "leads", ["organization_id"]),
    ("ix_leads_organization_id_created_at", "leads", ["organization_id", "created_at"]),
    ("ix_leads_organization_id_lead_score", "leads", ["organization_id", "lead_score"]),
    ("ix_contacts_organization_id", "contacts", ["organization_id"]),
    ("ix_lead_stages_organization_id", "lead_stages", ["organization_id"]),
)


def upgrade() -> None:
    for name, table, _ in COVERED:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, table, columns in COVERED:
        op.create_index(name, table, columns)
