"""Event partitions beyond retention dropped once their rollups are kept (issue 22).

The monthly partitions of `page_views` and `events` are shared by every organization, so
one is dropped only when its whole month is older than the **longest** retention of any
organization (`privacy_retention_settings`, the default for those that never set one) and
the rollups of **every** organization with rows in it hold that month (their watermark,
`rollup_state.through`, is past its end: the reports of those days read the rollups, not
the rows). Otherwise it is kept and the reason reported; the daily job tries again.
`EVENT_PARTITIONS_DROP=false` turns it off. `utm_tracking` (the touches attribution
reads) is never dropped here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import structlog
from sqlalchemy import select

from rastro.analytics.service import rollups
from rastro.auth.service import accounts
from rastro.core.db import SYSTEM
from rastro.core.units import TransactionBoundary
from rastro.privacy.retention.models import DEFAULT_MONTHS, RetentionSetting
from rastro.tracking.service import partitions as event_partitions

logger = structlog.get_logger(__name__)


@dataclass
class PartitionDrops:
    longest_retention_months: int
    dropped: list[str] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)  # partition -> why (past retention)


async def longest_retention(crm: TransactionBoundary) -> int:
    """The longest retention, in months, of any organization."""
    async with crm.unit(SYSTEM) as session:
        organizations = await accounts.organization_ids(session)
        rows = await session.execute(
            select(RetentionSetting.organization_id, RetentionSetting.retention_months)
        )
        chosen = {org: months for org, months in rows}
    return max((chosen.get(org, DEFAULT_MONTHS) for org in organizations), default=DEFAULT_MONTHS)


async def drop_expired_partitions(
    crm: TransactionBoundary, bi: TransactionBoundary, *, today: date
) -> PartitionDrops:
    """Drop each rolled-up event partition past every organization's retention whose
    month the rollups of its organizations cover (one transaction per partition)."""
    months = await longest_retention(crm)
    report = PartitionDrops(months)
    async with bi.unit(SYSTEM) as session:
        candidates = [
            p
            for p in await event_partitions.rolled_up_partitions(session)
            if event_partitions.expired(p, today, retention_months=months)
        ]
    for partition in candidates:
        async with bi.unit(SYSTEM) as session:
            organizations = await event_partitions.partition_organizations(session, partition)
            if organizations:
                through = await rollups.covered_through(session, organizations)
                if through is None or through < partition.ends_at:
                    report.kept[partition.name] = "rollups_behind"
                    continue
            await event_partitions.drop_partition(session, partition)
        report.dropped.append(partition.name)
        logger.info("event_partition_dropped", partition=partition.name)
    return report
