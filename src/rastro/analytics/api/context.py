"""What every report endpoint resolves first: the organization's timezone and currency,
the checked filters, the period and the compared one, and the rollups' state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Query

from rastro.analytics import schemas
from rastro.analytics.permissions import Read
from rastro.analytics.service import filters as report_filters
from rastro.analytics.service import periods, report_settings, rollups
from rastro.analytics.service.overview import Scope
from rastro.auth.service import accounts
from rastro.core.deps import BiSession, CrmSession


@dataclass(frozen=True)
class ReportContext:
    current: Scope
    previous: Scope | None


async def report_context(
    principal: Read,
    crm: CrmSession,
    bi: BiSession,
    filters: Annotated[schemas.ReportFilters, Query()],
) -> ReportContext:
    organization = await accounts.get_organization(crm, principal.organization_id)
    await report_filters.check_filters(crm, filters)
    current, previous = periods.resolve(filters, organization.timezone, now=datetime.now(UTC))
    await report_settings.apply(bi)
    through = await rollups.rollup_through(bi, organization.timezone)

    def scope(period: schemas.Period) -> Scope:
        return Scope(
            period=period,
            filters=filters,
            through=through,
            timezone=organization.timezone,
            currency=organization.currency,
        )

    return ReportContext(scope(current), scope(previous) if previous else None)


Context = Annotated[ReportContext, Depends(report_context)]
