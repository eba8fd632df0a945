"""The recovery report: per funnel (or all) and period, the checkouts abandoned and the
charges unpaid that were detected, the actions sent, the cases recovered and the
revenue they brought back — in total, by campaign (the campaign of the checkout's
original session, which the recovered sale is credited to) and by day.

The period is the cases' detection time, whole days in `timezone`; a case's recovery
counts with the day it was detected (a cohort: rate = recovered / detected).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Date, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.funnels.builder.service import funnels
from rastro.funnels.recovery import schemas
from rastro.funnels.recovery.errors import InvalidReportPeriod
from rastro.funnels.recovery.models import RecoveryAction, RecoveryCase

MAX_DAYS = 366


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidReportPeriod(
            "Unknown time zone.", details={"field": "timezone", "value": name[:64]}
        ) from None


def _figures(row: Any) -> dict[str, Any]:
    detected = int(row.abandoned or 0) + int(row.unpaid or 0)
    recovered = int(row.recovered or 0)
    return {
        "abandoned": int(row.abandoned or 0),
        "unpaid": int(row.unpaid or 0),
        "actions_sent": int(row.actions_sent or 0),
        "recovered": recovered,
        "recovered_revenue": Decimal(row.recovered_revenue or 0).quantize(Decimal("0.01")),
        "recovery_rate": round(recovered / detected, 4) if detected else 0.0,
    }


async def recovery_report(
    session: AsyncSession,
    *,
    date_from: date,
    date_to: date,
    timezone: str = "America/Sao_Paulo",
    funnel_id: uuid.UUID | None = None,
) -> schemas.RecoveryReport:
    """The report (422 `invalid_period` for a reversed or over-a-year period or an unknown
    time zone; 404 for another organization's funnel)."""
    if date_to < date_from:
        raise InvalidReportPeriod("date_to is before date_from.", details={"field": "date_to"})
    if (date_to - date_from).days >= MAX_DAYS:
        raise InvalidReportPeriod(
            f"The period is at most {MAX_DAYS} days.", details={"field": "date_to"}
        )
    zone = _zone(timezone)
    if funnel_id is not None:
        await funnels.get_funnel_row(session, funnel_id)
    try:
        start = datetime.combine(date_from, time.min, zone)
        end = datetime.combine(date_to + timedelta(days=1), time.min, zone)
    except OverflowError:
        raise InvalidReportPeriod(
            "The period is out of range.", details={"field": "date_to"}
        ) from None
    sent = (
        select(RecoveryAction.case_id, func.count().label("sent"))
        .where(RecoveryAction.status == "sent")
        .group_by(RecoveryAction.case_id)
        .subquery()
    )
    cases = select(
        RecoveryCase.kind,
        RecoveryCase.utm_source,
        RecoveryCase.utm_campaign,
        RecoveryCase.recovered_at,
        RecoveryCase.recovered_amount,
        cast(func.timezone(timezone, RecoveryCase.detected_at), Date).label("day"),
        func.coalesce(sent.c.sent, 0).label("sent"),
    ).outerjoin(sent, sent.c.case_id == RecoveryCase.id)
    cases = cases.where(RecoveryCase.detected_at >= start, RecoveryCase.detected_at < end)
    if funnel_id is not None:
        cases = cases.where(RecoveryCase.funnel_id == funnel_id)
    base = cases.subquery()
    measures = (
        func.count().filter(base.c.kind == "checkout_abandoned").label("abandoned"),
        func.count().filter(base.c.kind != "checkout_abandoned").label("unpaid"),
        func.coalesce(func.sum(base.c.sent), 0).label("actions_sent"),
        func.count(base.c.recovered_at).label("recovered"),
        func.coalesce(func.sum(base.c.recovered_amount), 0).label("recovered_revenue"),
    )
    total = (await session.execute(select(*measures))).one()
    campaigns = await session.execute(
        select(base.c.utm_source, base.c.utm_campaign, *measures)
        .group_by(base.c.utm_source, base.c.utm_campaign)
        .order_by(
            func.coalesce(func.sum(base.c.recovered_amount), 0).desc(),
            func.count().desc(),
            base.c.utm_source.nulls_last(),
            base.c.utm_campaign.nulls_last(),
        )
    )
    days = await session.execute(
        select(
            base.c.day,
            func.count().label("detected"),
            func.count(base.c.recovered_at).label("recovered"),
            func.coalesce(func.sum(base.c.recovered_amount), 0).label("revenue"),
        )
        .group_by(base.c.day)
        .order_by(base.c.day)
    )
    return schemas.RecoveryReport(
        funnel_id=funnel_id,
        date_from=date_from,
        date_to=date_to,
        timezone=timezone,
        totals=schemas.RecoveryFigures(**_figures(total)),
        by_campaign=[
            schemas.RecoveryCampaignRow(
                utm_source=row.utm_source, utm_campaign=row.utm_campaign, **_figures(row)
            )
            for row in campaigns
        ],
        by_day=[
            schemas.RecoveryDay(
                day=row.day,
                detected=row.detected,
                recovered=row.recovered,
                recovered_revenue=Decimal(row.revenue).quantize(Decimal("0.01")),
            )
            for row in days
        ],
    )
