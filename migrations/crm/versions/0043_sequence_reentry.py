"""e-mail sequences entered again per trigger occurrence: the sequence's `reentry`
(never / after_exit / always), enrollments unique per sequence, contact and `occurrence`
(at most one active unless `overlapping`), and a step's messages unique per enrollment;
rastro_email_clicks(), the click redirect's one-round-trip CRM work

Revision ID: 0043
Revises: 0037
Create Date: 2026-12-07
"""

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0043"
down_revision: str | None = "0037"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLICK_SQL = Path(__file__).resolve().parents[1] / "sql" / "rastro_email_clicks_v1.sql"


def upgrade() -> None:
    op.add_column(
        "email_sequences",
        sa.Column("reentry", sa.String(length=10), server_default="after_exit", nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_email_sequences_reentry_known"),
        "email_sequences",
        "reentry IN ('never', 'after_exit', 'always')",
    )
    # Enrollments made before re-entry existed keep the empty occurrence: each was the
    # sequence's one enrollment for its contact.
    op.add_column(
        "email_sequence_enrollments",
        sa.Column("occurrence", sa.String(length=80), server_default="", nullable=False),
    )
    op.add_column(
        "email_sequence_enrollments",
        sa.Column("overlapping", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.drop_constraint(
        "uq_email_sequence_enrollments_sequence_id_contact_id", "email_sequence_enrollments"
    )
    op.create_unique_constraint(
        op.f("uq_email_sequence_enrollments_sequence_id_contact_id_occurrence"),
        "email_sequence_enrollments",
        ["sequence_id", "contact_id", "occurrence"],
    )
    op.create_index(
        "uq_email_sequence_enrollments_one_active",
        "email_sequence_enrollments",
        ["sequence_id", "contact_id"],
        unique=True,
        postgresql_where=sa.text("status = 'active' AND NOT overlapping"),
    )

    op.add_column("email_messages", sa.Column("enrollment_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_email_messages_enrollment_id_email_sequence_enrollments"),
        "email_messages",
        "email_sequence_enrollments",
        ["enrollment_id"],
        ["enrollment_id"],
        ondelete="CASCADE",
    )
    # A step's messages so far: one per contact and step, so their enrollment is the
    # contact's one in the step's sequence.
    op.execute(
        """
        UPDATE email_messages m SET enrollment_id = e.enrollment_id
        FROM email_sequence_steps s
        JOIN email_sequence_enrollments e ON e.sequence_id = s.sequence_id
        WHERE s.campaign_id = m.campaign_id AND e.contact_id = m.contact_id
        """
    )
    op.drop_constraint("uq_email_messages_campaign_id_contact_id", "email_messages")
    op.create_index(
        "uq_email_messages_campaign_id_contact_id",
        "email_messages",
        ["campaign_id", "contact_id"],
        unique=True,
        postgresql_where=sa.text("enrollment_id IS NULL"),
    )
    op.create_index(
        "uq_email_messages_campaign_id_enrollment_id",
        "email_messages",
        ["campaign_id", "enrollment_id"],
        unique=True,
        postgresql_where=sa.text("enrollment_id IS NOT NULL"),
    )
    op.execute(CLICK_SQL.read_text())


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS rastro_email_clicks(jsonb)")
    op.drop_index("uq_email_messages_campaign_id_enrollment_id", table_name="email_messages")
    op.drop_index("uq_email_messages_campaign_id_contact_id", table_name="email_messages")
    # Fails where a contact entered a sequence twice (two messages of one step campaign).
    op.create_unique_constraint(
        op.f("uq_email_messages_campaign_id_contact_id"),
        "email_messages",
        ["campaign_id", "contact_id"],
    )
    op.drop_constraint(
        op.f("fk_email_messages_enrollment_id_email_sequence_enrollments"), "email_messages"
    )
    op.drop_column("email_messages", "enrollment_id")
    op.drop_index(
        "uq_email_sequence_enrollments_one_active", table_name="email_sequence_enrollments"
    )
    op.drop_constraint(
        op.f("uq_email_sequence_enrollments_sequence_id_contact_id_occurrence"),
        "email_sequence_enrollments",
    )
    op.create_unique_constraint(
        op.f("uq_email_sequence_enrollments_sequence_id_contact_id"),
        "email_sequence_enrollments",
        ["sequence_id", "contact_id"],
    )
    op.drop_column("email_sequence_enrollments", "overlapping")
    op.drop_column("email_sequence_enrollments", "occurrence")
    op.drop_constraint(op.f("ck_email_sequences_reentry_known"), "email_sequences")
    op.drop_column("email_sequences", "reentry")
