"""privacy: each organization's retention of personal data and its anonymisation runs

Revision ID: 0037
Revises: 0038
Create Date: 2026-12-06 23:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rastro.core.db import tenant_rls_sql
from sqlalchemy.dialects import postgresql

revision: str = "0037"
down_revision: str | None = "0038"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _org(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["organization_id"],
        ["organizations.id"],
        name=op.f(f"fk_{table}_organization_id_organizations"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "privacy_retention_settings",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("retention_months", sa.Integer(), server_default="6", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "retention_months BETWEEN 1 AND 60",
            name=op.f("ck_privacy_retention_settings_retention_months"),
        ),
        _org("privacy_retention_settings"),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_privacy_retention_settings")),
    )
    op.create_table(
        "privacy_anonymisation_runs",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("retention_months", sa.Integer(), nullable=False),
        sa.Column("cutoff", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        _org("privacy_anonymisation_runs"),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_privacy_anonymisation_runs")),
    )
    op.create_index(
        "ix_privacy_anonymisation_runs_organization_id_started_at",
        "privacy_anonymisation_runs",
        ["organization_id", "started_at"],
    )
    for table in ("privacy_retention_settings", "privacy_anonymisation_runs"):
        for statement in tenant_rls_sql(table):
            op.execute(statement)


def downgrade() -> None:
    op.drop_table("privacy_anonymisation_runs")
    op.drop_table("privacy_retention_settings")
