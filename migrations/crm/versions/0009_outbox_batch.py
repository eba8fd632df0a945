"""core: rastro_defer_once(), so that at most one outbox delivery job waits (and one runs)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
CREATE OR REPLACE FUNCTION rastro_defer_once(p_queue text, p_task text, p_queueing_lock text,
                                             p_args jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  -- A job with this queueing lock already waits: it will see the caller's rows. Checked
  -- first so that the common case opens no subtransaction.
  IF EXISTS (SELECT 1 FROM procrastinate_jobs
             WHERE queueing_lock = p_queueing_lock AND status = 'todo') THEN
    RETURN;
  END IF;
  BEGIN
    -- The queueing lock is also the job's lock: such jobs run one after the other.
    PERFORM procrastinate_defer_jobs_v1(ARRAY[ROW(p_queue, p_task, 0, p_queueing_lock,
                                                  p_queueing_lock, p_args,
                                                  NULL)]::procrastinate_job_to_defer_v1[]);
  EXCEPTION WHEN unique_violation THEN
    NULL;  -- a concurrent transaction queued it (procrastinate's unique index on todo jobs)
  END;
END
$$;
"""
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS rastro_defer_once(text, text, text, jsonb)")
