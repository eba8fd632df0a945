"""The BI transaction settings of a report request (`SET LOCAL`: they end with it).

- `plan_cache_mode = force_custom_plan`: psycopg prepares a statement on its 5th
  execution on a connection, and PostgreSQL may then plan it once for any parameters (a
  generic plan), on the costs of the earlier calls. A report's statements are the same
  text for 30 days and for 12 months, so a plan fit for 30 days could be reused for 12
  months (`bench.analytics.plan_cache`); each execution is planned for its own period.
- `work_mem`: the per-visitor sorts and hashes of some reports (A/B tests: 225,000
  visitors over 12 months of the benchmark's data) spilled to disk at the default 4 MB.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

REPORT_WORK_MEM = "32MB"
_SETTINGS = text(
    "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), "
    "set_config('work_mem', :work_mem, true)"
)


async def apply(bi: AsyncSession) -> None:
    """Set the report settings for the rest of the BI transaction."""
    await bi.execute(_SETTINGS, {"work_mem": REPORT_WORK_MEM})
