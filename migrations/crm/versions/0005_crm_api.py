"""crm-api: leads' latest stage value and probability, full-text search columns, pipeline and score indexes

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# A copy of rastro.crm.models._SEARCH_DOCUMENT as of this revision.
_SEARCH_DOCUMENT = (
    "to_tsvector('simple'::regconfig, "
    "coalesce(name, '') || ' ' || replace(coalesce(email, ''), '@', ' ') || ' ' || "
    "coalesce(company, '') || ' ' || "
    "regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g') || ' ' || "
    "right(regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g'), 11) || ' ' || "
    "right(regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g'), 9))"
)

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("leads", sa.Column("stage_value", sa.Numeric(precision=14, scale=2), nullable=True))
    op.add_column("leads", sa.Column("probability", sa.Integer(), nullable=True))
    for table in ("leads", "contacts"):
        op.add_column(
            table,
            sa.Column(
                "search",
                postgresql.TSVECTOR(),
                sa.Computed(_SEARCH_DOCUMENT, persisted=True),
                nullable=False,
            ),
        )
        op.create_index(f"ix_{table}_search", table, ["search"], unique=False, postgresql_using="gin")
    op.create_index(
        "ix_leads_organization_id_stage_changed_at",
        "leads",
        ["organization_id", "current_stage", "stage_changed_at"],
        unique=False,
    )
    op.create_index(
        "ix_leads_organization_id_score_created_at",
        "leads",
        ["organization_id", "lead_score", "created_at"],
        unique=False,
    )
    # Leads that have a history get its latest value and probability.
    op.execute(
        """
        UPDATE leads SET stage_value = latest.stage_value, probability = latest.probability
        FROM (
            SELECT DISTINCT ON (lead_id) lead_id, probability,
                   (SELECT s2.stage_value FROM lead_stages s2
                     WHERE s2.lead_id = s.lead_id AND s2.stage_value IS NOT NULL
                     ORDER BY s2.created_at DESC LIMIT 1) AS stage_value
            FROM lead_stages s ORDER BY lead_id, created_at DESC
        ) AS latest
        WHERE latest.lead_id = leads.lead_id
        """
    )


def downgrade() -> None:
    op.drop_index("ix_leads_organization_id_score_created_at", table_name="leads")
    op.drop_index("ix_leads_organization_id_stage_changed_at", table_name="leads")
    for table in ("leads", "contacts"):
        op.drop_index(f"ix_{table}_search", table_name=table, postgresql_using="gin")
        op.drop_column(table, "search")
    op.drop_column("leads", "probability")
    op.drop_column("leads", "stage_value")
