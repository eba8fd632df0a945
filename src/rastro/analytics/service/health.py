"""Tracking health: what escapes attribution in a period, each with what to fix (the
dashboard words it). Leads and sales without a tracked session (the form lacks the
tracker's hidden fields), paid sessions without a campaign (ads without UTMs), campaigns
that spent with no visit reaching them and UTM campaigns that reach no campaign with spend
(`spend_mappings.unmapped`)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.analytics import correlation_schemas as schemas
from rastro.analytics.models import ConversionFact, SessionFact
from rastro.analytics.service import spend_mappings
from rastro.analytics.service.overview import Scope, report_range

# GA4's paid channel groups: a session in one of them without a campaign is an ad without
# UTMs (a click id alone gives the channel, not the campaign).
PAID_CHANNELS = (
    "Paid Search",
    "Paid Social",
    "Paid Video",
    "Paid Shopping",
    "Paid Other",
    "Display",
    "Cross-network",
)
# A share above this is worth fixing.
WARNING_SHARE = 0.05
EXAMPLES = 5


def _share_status(count: int, total: int) -> str:
    return "warning" if total and count / total > WARNING_SHARE else "ok"


async def tracking_health(bi: AsyncSession, scope: Scope) -> schemas.TrackingHealth:
    period = scope.period
    f = ConversionFact
    leads = (
        await bi.execute(
            select(func.count(), func.count().filter(f.session_id.is_(None))).where(
                f.created_at >= period.start, f.created_at < period.end
            )
        )
    ).one()
    sales = (
        await bi.execute(
            select(
                func.count(),
                func.count().filter(f.session_id.is_(None)),
                func.coalesce(
                    func.sum(f.revenue).filter(
                        f.session_id.is_(None), f.currency == scope.currency
                    ),
                    0,
                ),
            ).where(f.won_at >= period.start, f.won_at < period.end)
        )
    ).one()
    s = SessionFact
    paid = s.channel.in_(PAID_CHANNELS)
    sessions = (
        await bi.execute(
            select(
                func.count().filter(paid), func.count().filter(paid, s.campaign.is_(None))
            ).where(s.started_at >= period.start, s.started_at < period.end)
        )
    ).one()
    no_campaign_sources = (
        await bi.execute(
            select(s.channel, s.source, func.count().label("n"))
            .where(
                s.started_at >= period.start,
                s.started_at < period.end,
                paid,
                s.campaign.is_(None),
            )
            .group_by(s.channel, s.source)
            .order_by(func.count().desc())
            .limit(EXAMPLES)
        )
    ).all()
    unmapped = await spend_mappings.unmapped(bi, scope)
    unmapped_spend = sum(
        (m.amount for item in unmapped.spend for m in item.spend if m.currency == scope.currency),
        Decimal(0),
    )
    checks = [
        schemas.HealthCheck(
            id="leads_without_session",
            count=int(leads[1]),
            total=int(leads[0]),
            status=_share_status(int(leads[1]), int(leads[0])),
        ),
        schemas.HealthCheck(
            id="sales_without_session",
            count=int(sales[1]),
            total=int(sales[0]),
            amount=Decimal(sales[2] or 0).quantize(Decimal("0.01")),
            status=_share_status(int(sales[1]), int(sales[0])),
        ),
        schemas.HealthCheck(
            id="paid_sessions_without_campaign",
            count=int(sessions[1]),
            total=int(sessions[0]),
            status=_share_status(int(sessions[1]), int(sessions[0])),
            examples=[
                f"{r.channel} · {r.source or '(direct)'} ({r.n})" for r in no_campaign_sources
            ],
        ),
        schemas.HealthCheck(
            id="spend_without_sessions",
            count=len(unmapped.spend),
            amount=unmapped_spend.quantize(Decimal("0.01")),
            status="warning" if unmapped.spend else "ok",
            examples=[
                f"{item.platform} · {item.campaign_name or item.campaign_id}"
                for item in unmapped.spend[:EXAMPLES]
            ],
        ),
        schemas.HealthCheck(
            id="utms_without_campaign",
            count=len(unmapped.utm_campaigns),
            status="warning" if unmapped.utm_campaigns else "ok",
            examples=[
                f"{u.source or '—'} / {u.medium or '—'} / {u.campaign or '—'} ({u.sessions})"
                for u in unmapped.utm_campaigns[:EXAMPLES]
            ],
        ),
    ]
    return schemas.TrackingHealth(range=report_range(scope, None), checks=checks)
