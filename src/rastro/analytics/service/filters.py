"""Report filters as SQL conditions on a rollup-shaped selectable (its dimension columns)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement, FromClause

from rastro.analytics.schemas import ReportFilters
from rastro.tracking.service import config

FILTERED = (
    "domain_id",
    "landing_page_id",
    "channel",
    "source",
    "medium",
    "campaign",
    "content",
    "term",
    "device",
)


async def check_filters(crm: AsyncSession, filters: ReportFilters) -> None:
    """422 `unknown_reference` for a domain or landing page of another organization."""
    await config.check_domain(crm, filters.domain_id)
    await config.check_landing_page(crm, filters.landing_page_id, field="landing_page_id")


def conditions(source: FromClause, filters: ReportFilters) -> list[ColumnElement[bool]]:
    """Equality with every filter that is set (dimension columns of `source`)."""
    return [
        source.c[name] == value
        for name in FILTERED
        if (value := getattr(filters, name)) is not None and name in source.c
    ]
