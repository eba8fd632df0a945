"""Payments' sales recorded in batches: `payments.sale_status` (the status whose sale was
last recorded), the index of the payments whose sale is due, and a trigger that makes sure
one `payments:record_sales` job waits when a payment moves to a status that sells

Revision ID: 0046
Revises: 0047
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0046"
down_revision: str | None = "0047"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SOLD = "('paid', 'refunded', 'chargedback')"


def upgrade() -> None:
    op.add_column("payments", sa.Column("sale_status", sa.String(length=20), nullable=True))
    # The sales already recorded (a lead was kept) are not due again; the others (a sale
    # without contact data, or one whose job has not run yet) are recorded once more by
    # the batch job, which is idempotent.
    op.execute(
        f"UPDATE payments SET sale_status = status WHERE status IN {SOLD} AND lead_id IS NOT NULL"
    )
    op.create_index(
        "ix_payments_sale_due",
        "payments",
        ["status_changed_at"],
        postgresql_where=sa.text(f"status IN {SOLD} AND sale_status IS DISTINCT FROM status"),
    )
    # One statement in the status change's transaction, no round trip of its own: a job
    # waits (`rastro_defer_once`, CRM 0009) that will record the sale.
    op.execute(
        """
CREATE OR REPLACE FUNCTION rastro_payment_sale_due() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM rastro_defer_once('payments', 'payments:record_sales', 'payments.record_sales', '{}');
  RETURN NULL;
END
$$;
"""
    )
    op.execute(
        f"""
CREATE TRIGGER payments_sale_due_on_update AFTER UPDATE OF status ON payments
FOR EACH ROW WHEN (NEW.status IN {SOLD} AND NEW.status IS DISTINCT FROM OLD.status)
EXECUTE FUNCTION rastro_payment_sale_due()
"""
    )
    op.execute(
        f"""
CREATE TRIGGER payments_sale_due_on_insert AFTER INSERT ON payments
FOR EACH ROW WHEN (NEW.status IN {SOLD})
EXECUTE FUNCTION rastro_payment_sale_due()
"""
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS payments_sale_due_on_insert ON payments")
    op.execute("DROP TRIGGER IF EXISTS payments_sale_due_on_update ON payments")
    op.execute("DROP FUNCTION IF EXISTS rastro_payment_sale_due()")
    op.drop_index("ix_payments_sale_due", table_name="payments")
    op.drop_column("payments", "sale_status")
