"""crm-api: leads' latest stage value and probability, search words, pipeline and score indexes, row-level security settings read once per query

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rastro.core.db import RLS_PREDICATE, tenant_rls_sql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The words of name, e-mail, company (split at anything that is not a letter or digit) and
# the phone's digits: whole, and without country code / area code.
SEARCH_TERMS_FUNCTION = """
CREATE FUNCTION crm_search_terms_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    rid uuid;
    digits text;
BEGIN
    IF TG_TABLE_NAME = 'leads' THEN
        rid := CASE WHEN TG_OP = 'DELETE' THEN OLD.lead_id ELSE NEW.lead_id END;
    ELSE
        rid := CASE WHEN TG_OP = 'DELETE' THEN OLD.contact_id ELSE NEW.contact_id END;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM crm_search_terms WHERE record_id = rid;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN NULL;
    END IF;
    digits := regexp_replace(coalesce(NEW.phone, ''), '[^0-9]', '', 'g');
    INSERT INTO crm_search_terms (record_id, term, organization_id)
    SELECT DISTINCT rid, left(word, 100), NEW.organization_id
    FROM (
        SELECT regexp_split_to_table(
            lower(coalesce(NEW.name, '') || ' ' || coalesce(NEW.email, '') || ' '
                  || coalesce(NEW.company, '')),
            '[^[:alnum:]]+'
        ) AS word
        UNION ALL SELECT digits
        UNION ALL SELECT right(digits, 11)
        UNION ALL SELECT right(digits, 9)
    ) AS words
    WHERE word <> '';
    RETURN NULL;
END
$$
"""


def _policies() -> None:
    """Rewrite every tenant_isolation policy of this database with today's predicate
    (databases migrated before it read the settings once per row)."""
    tables = op.get_bind().exec_driver_sql(
        "SELECT c.relname FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid "
        "WHERE p.polname = 'tenant_isolation'"
    )
    for (table,) in tables.fetchall():
        predicate = RLS_PREDICATE.format(
            column="id" if table == "organizations" else "organization_id"
        )
        op.execute(
            f"ALTER POLICY tenant_isolation ON {table} USING ({predicate}) WITH CHECK ({predicate})"
        )


def upgrade() -> None:
    op.add_column(
        "leads", sa.Column("stage_value", sa.Numeric(precision=14, scale=2), nullable=True)
    )
    op.add_column("leads", sa.Column("probability", sa.Integer(), nullable=True))
    op.create_index(
        "ix_leads_organization_id_stage_changed_at",
        "leads",
        ["organization_id", "current_stage", "stage_changed_at"],
        unique=False,
    )
    op.create_index(
        "ix_leads_organization_id_score_created_at",
        "leads",
        ["organization_id", "lead_score", "created_at", "lead_id"],
        unique=False,
    )
    op.create_index(
        "ix_leads_organization_id_created_at_lead_id",
        "leads",
        ["organization_id", "created_at", "lead_id"],
        unique=False,
    )
    # Leads that have a history get its latest value and probability.
    op.execute(
        """
        UPDATE leads SET probability = latest.probability, stage_value = (
            SELECT s2.stage_value FROM lead_stages s2
            WHERE s2.lead_id = leads.lead_id AND s2.stage_value IS NOT NULL
            ORDER BY s2.created_at DESC LIMIT 1)
        FROM (
            SELECT DISTINCT ON (lead_id) lead_id, probability
            FROM lead_stages ORDER BY lead_id, created_at DESC
        ) AS latest
        WHERE latest.lead_id = leads.lead_id
        """
    )

    op.create_table(
        "crm_search_terms",
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("term", sa.String(length=100, collation="C"), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_crm_search_terms_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("record_id", "term", name=op.f("pk_crm_search_terms")),
    )
    op.create_index(
        "ix_crm_search_terms_organization_id_term_record_id",
        "crm_search_terms",
        ["organization_id", "term", "record_id"],
        unique=False,
    )
    for statement in tenant_rls_sql("crm_search_terms"):
        op.execute(statement)
    op.execute(SEARCH_TERMS_FUNCTION)
    for table in ("leads", "contacts"):
        op.execute(
            f"CREATE TRIGGER crm_search_terms_write AFTER INSERT OR UPDATE OF name, email, "
            f"company, phone ON {table} FOR EACH ROW EXECUTE FUNCTION crm_search_terms_refresh()"
        )
        op.execute(
            f"CREATE TRIGGER crm_search_terms_delete AFTER DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION crm_search_terms_refresh()"
        )
        op.execute(f"UPDATE {table} SET name = name")  # words of the rows already there

    _policies()


def downgrade() -> None:
    for table in ("leads", "contacts"):
        op.execute(f"DROP TRIGGER crm_search_terms_delete ON {table}")
        op.execute(f"DROP TRIGGER crm_search_terms_write ON {table}")
    op.execute("DROP FUNCTION crm_search_terms_refresh()")
    op.drop_index(
        "ix_crm_search_terms_organization_id_term_record_id", table_name="crm_search_terms"
    )
    op.drop_table("crm_search_terms")
    op.drop_index("ix_leads_organization_id_created_at_lead_id", table_name="leads")
    op.drop_index("ix_leads_organization_id_score_created_at", table_name="leads")
    op.drop_index("ix_leads_organization_id_stage_changed_at", table_name="leads")
    op.drop_column("leads", "probability")
    op.drop_column("leads", "stage_value")
