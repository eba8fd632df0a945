"""crm: rastro_capture_lead(), lead capture's one-round-trip write path; the indexes its
duplicate check walks; no foreign key check per search word

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23
"""

from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL = Path(__file__).resolve().parents[1] / "sql" / "rastro_capture_lead_v1.sql"


def upgrade() -> None:
    op.drop_index("ix_leads_contact_id", table_name="leads")
    op.create_index("ix_leads_contact_id_created_at", "leads", ["contact_id", "created_at"])
    op.drop_index("ix_leads_organization_id_email", table_name="leads")
    op.create_index(
        "ix_leads_organization_id_email_created_at",
        "leads",
        ["organization_id", "email", "created_at"],
    )
    op.drop_constraint(
        "fk_crm_search_terms_organization_id_organizations", "crm_search_terms", type_="foreignkey"
    )
    op.execute(SQL.read_text())


def downgrade() -> None:
    op.create_foreign_key(
        "fk_crm_search_terms_organization_id_organizations",
        "crm_search_terms",
        "organizations",
        ["organization_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.execute("DROP FUNCTION IF EXISTS rastro_capture_lead(jsonb)")
    op.drop_index("ix_leads_contact_id_created_at", table_name="leads")
    op.create_index("ix_leads_contact_id", "leads", ["contact_id"])
    op.drop_index("ix_leads_organization_id_email_created_at", table_name="leads")
    op.create_index("ix_leads_organization_id_email", "leads", ["organization_id", "email"])
