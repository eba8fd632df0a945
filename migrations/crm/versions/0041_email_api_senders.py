"""email: provider API senders (Amazon SES, SendGrid, Postmark, Mailgun) as sender kinds

Revision ID: 0041
Revises: 0030
Create Date: 2026-12-06 23:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0041"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("simulated", "smtp", "ses", "sendgrid", "postmark", "mailgun")


def _check(kinds: Sequence[str]) -> None:
    listed = ", ".join(f"'{kind}'" for kind in kinds)
    op.drop_constraint(op.f("ck_email_senders_kind_known"), "email_senders", type_="check")
    op.create_check_constraint(
        op.f("ck_email_senders_kind_known"), "email_senders", f"kind IN ({listed})"
    )


def upgrade() -> None:
    _check(KINDS)


def downgrade() -> None:
    op.execute("DELETE FROM email_senders WHERE kind NOT IN ('simulated', 'smtp')")
    _check(("simulated", "smtp"))
