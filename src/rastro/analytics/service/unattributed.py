"""Tracking health (issue 18 part 6): what the spend ↔ visits join leaves unattributed in
a period, each part with what to fix.

- Sales with no session: leads created and deals won in the period whose lead carries no
  tracked session (`conversion_facts.session_id` is NULL).
- Sessions with no campaign: the period's human sessions whose touch (its UTMs and
  `utm_id`) reaches no ad campaign by the join rules (`spend_join.resolve`), by channel
  and source; on a paid channel that is a link to tag, elsewhere nothing to fix.
- Spend with no sessions: ads with spend on the period's days that no session of the
  period reaches (a session reaching a campaign or ad set reaches all its ads), per ad,
  with its URL check's missing parameters when the ad was checked.
- UTM campaigns that match no campaign: the tagged sessions (a `utm_campaign`, `utm_id`
  or `utm_content`) that reach nothing, by source, medium and campaign.

The report's visit filters select the sessions counted; which spend is reached is decided
by every session of the period (spend has no domain, page or device). Money is kept in its
currency: shares and totals use the organization's currency only.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, exists, func, literal, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.selectable import CTE

from rastro.analytics import health_schemas as schemas
from rastro.analytics.ad_models import Ad, AdCampaign, CampaignMetric
from rastro.analytics.health_models import AdUrlCheck
from rastro.analytics.models import ConversionFact
from rastro.analytics.schemas import Money
from rastro.analytics.service import filters as report_filters
from rastro.analytics.service import rollups, spend_join
from rastro.analytics.service.overview import Scope, ratio, report_range
from rastro.tracking.service import facts as tracking_facts

LIMIT = 200
CampaignKey = tuple[str, str, str]


@dataclass(frozen=True)
class _Reach:
    """The period's sessions (with a `filtered` flag and the campaign each reaches)."""

    sessions: CTE
    resolved: CTE


def _reach(scope: Scope) -> _Reach:
    period = scope.period
    visits = rollups.visitor_keys(period.start, period.end, scope.through, extra=("session_id",))
    touches_query = tracking_facts.visitor_touches()
    at = touches_query.selected_columns.created_at
    touches = touches_query.where(at >= period.start, at < period.end).subquery("touches")
    dimensions = ("channel", "source", "medium", "campaign", "content", "term")
    conditions = report_filters.conditions(visits, scope.filters)
    sessions = (
        select(
            visits.c.session_id,
            visits.c.started_at,
            *(visits.c[d] for d in dimensions),
            touches.c.utm_id,
            touches.c.click_id,
            (and_(*conditions) if conditions else true()).label("filtered"),
        )
        .select_from(visits)
        .outerjoin(
            touches,
            and_(
                touches.c.session_id == visits.c.session_id,
                touches.c.created_at == visits.c.started_at,
            ),
        )
        .cte("health_sessions")
    )
    keyed = select(
        spend_join.combination_key(*(sessions.c[c] for c in spend_join.COMBINATION_COLUMNS)).label(
            "combination_key"
        ),
        *(sessions.c[c] for c in ("source", "campaign", "content", "term", "utm_id", "click_id")),
    ).distinct()
    combos = keyed.cte("health_combos")
    return _Reach(sessions=sessions, resolved=spend_join.resolve(combos).cte("health_resolved"))


def _session_key(reach: _Reach) -> ColumnElement[Any]:
    s = reach.sessions.c
    return spend_join.combination_key(*(s[c] for c in spend_join.COMBINATION_COLUMNS))


def _unreached(reach: _Reach) -> ColumnElement[bool]:
    return ~exists().where(reach.resolved.c.combination_key == _session_key(reach))


def _spend_unreached(reach: _Reach) -> ColumnElement[bool]:
    """A spend row that no session of the period reaches."""
    m, r = CampaignMetric, reach.resolved
    reached = (
        select(literal(1))
        .select_from(reach.sessions)
        .join(r, r.c.combination_key == _session_key(reach))
        .where(
            r.c.platform == m.platform,
            r.c.account_id == m.account_id,
            r.c.campaign_id == m.campaign_id,
            or_(r.c.ad_set_id.is_(None), r.c.ad_set_id == m.ad_set_id),
            or_(r.c.ad_id.is_(None), r.c.ad_id == m.ad_id),
        )
    )
    return ~reached.exists()


async def unreached_spend_by_campaign(
    bi: AsyncSession, scope: Scope
) -> dict[CampaignKey, tuple[Decimal, Decimal]]:
    """Per campaign with spend on the period's days: (spend, spend that no session of the
    period reaches), both in the organization's currency."""
    reach = _reach(scope)
    m = CampaignMetric
    unreached = _spend_unreached(reach)
    rows = await bi.execute(
        select(
            m.platform,
            m.account_id,
            m.campaign_id,
            func.sum(m.spend).label("spend"),
            func.coalesce(func.sum(m.spend).filter(unreached), 0).label("unreached"),
        )
        .where(
            m.day >= scope.period.date_from,
            m.day <= scope.period.date_to,
            m.currency == scope.currency,
        )
        .group_by(m.platform, m.account_id, m.campaign_id)
    )
    return {
        (r.platform, r.account_id, r.campaign_id): (Decimal(r.spend), Decimal(r.unreached))
        for r in rows
    }


async def _sales(bi: AsyncSession, scope: Scope) -> schemas.UnattributedSales:
    f = ConversionFact.__table__
    period = scope.period

    def within(moment: Any) -> ColumnElement[bool]:
        return and_(moment >= period.start, moment < period.end)

    no_session = f.c.session_id.is_(None)
    where = report_filters.conditions(f, scope.filters)
    row = (
        await bi.execute(
            select(
                func.count().filter(within(f.c.created_at)).label("leads"),
                func.count().filter(within(f.c.created_at), no_session).label("leads_lost"),
                func.count().filter(within(f.c.won_at)).label("won"),
                func.count().filter(within(f.c.won_at), no_session).label("won_lost"),
            ).where(or_(within(f.c.created_at), within(f.c.won_at)), *where)
        )
    ).one()
    revenue = await bi.execute(
        select(f.c.currency, func.sum(f.c.revenue))
        .where(within(f.c.won_at), no_session, f.c.revenue.is_not(None), *where)
        .group_by(f.c.currency)
        .order_by(f.c.currency)
    )
    return schemas.UnattributedSales(
        leads=row.leads,
        leads_without_session=row.leads_lost,
        won=row.won,
        won_without_session=row.won_lost,
        revenue_without_session=[Money(currency=c, amount=Decimal(a)) for c, a in revenue],
        share_without_session=ratio(row.won_lost, row.won),
        fix="capture_session",
    )


async def _sessions(bi: AsyncSession, reach: _Reach) -> list[schemas.SessionsWithoutCampaign]:
    s = reach.sessions.c
    lost = _unreached(reach)
    rows = await bi.execute(
        select(
            s.channel,
            s.source,
            func.count().label("sessions"),
            func.count().filter(lost).label("lost"),
        )
        .where(s.filtered)
        .group_by(s.channel, s.source)
    )
    items = [
        schemas.SessionsWithoutCampaign(
            channel=r.channel,
            source=r.source,
            sessions=r.sessions,
            without_campaign=r.lost,
            paid=r.channel in schemas.PAID_CHANNELS,
            fix="tag_paid_links" if r.channel in schemas.PAID_CHANNELS else "none",
        )
        for r in rows
        if r.lost
    ]
    items.sort(key=lambda i: (not i.paid, -i.without_campaign, i.channel, i.source or ""))
    return items[:LIMIT]


async def _utms(bi: AsyncSession, reach: _Reach) -> list[schemas.UnmatchedUtm]:
    s = reach.sessions.c
    rows = await bi.execute(
        select(
            s.source,
            s.medium,
            s.campaign,
            func.count().label("sessions"),
            func.max(s.started_at).label("last_seen"),
        )
        .where(
            s.filtered,
            _unreached(reach),
            or_(s.campaign.is_not(None), s.utm_id.is_not(None), s.content.is_not(None)),
        )
        .group_by(s.source, s.medium, s.campaign)
        .order_by(func.count().desc(), s.campaign, s.source)
        .limit(LIMIT)
    )
    return [
        schemas.UnmatchedUtm(
            source=r.source,
            medium=r.medium,
            campaign=r.campaign,
            sessions=r.sessions,
            last_seen=r.last_seen,
            fix="map_or_use_ids",
        )
        for r in rows
    ]


async def _spend(
    bi: AsyncSession, scope: Scope, reach: _Reach
) -> tuple[list[schemas.SpendWithoutSessions], Decimal, Decimal, bool]:
    """The unreached ads (largest spend first), and the period's spend, unreached spend
    (organization's currency) and whether other currencies were spent."""
    m = CampaignMetric
    in_period = and_(m.day >= scope.period.date_from, m.day <= scope.period.date_to)
    totals = await bi.execute(
        select(
            m.currency,
            func.sum(m.spend).label("spend"),
            func.coalesce(func.sum(m.spend).filter(_spend_unreached(reach)), 0).label("lost"),
        )
        .where(in_period)
        .group_by(m.currency)
    )
    spend = lost = Decimal(0)
    other = False
    for total in totals:
        if total.currency == scope.currency:
            spend, lost = Decimal(total.spend), Decimal(total.lost)
        else:
            other = True
    rows = await bi.execute(
        select(
            m.platform,
            m.account_id,
            m.campaign_id,
            m.ad_id,
            m.currency,
            func.sum(m.spend).label("spend"),
            func.sum(m.impressions).label("impressions"),
            func.sum(m.clicks).label("clicks"),
        )
        .where(in_period, _spend_unreached(reach))
        .group_by(m.platform, m.account_id, m.campaign_id, m.ad_id, m.currency)
    )
    ads: dict[tuple[str, str, str, str], schemas.SpendWithoutSessions] = {}
    for row in rows:
        key = (row.platform, row.account_id, row.campaign_id, row.ad_id)
        item = ads.setdefault(
            key,
            schemas.SpendWithoutSessions(
                platform=row.platform,
                account_id=row.account_id,
                campaign_id=row.campaign_id,
                campaign_name=None,
                ad_id=row.ad_id,
                ad_name=None,
                spend=[],
                impressions=0,
                clicks=0,
                missing_parameters=None,
                fix="add_url_parameters",
            ),
        )
        item.spend.append(Money(currency=row.currency, amount=Decimal(row.spend)))
        item.impressions += int(row.impressions)
        item.clicks += int(row.clicks)

    def largest(item: schemas.SpendWithoutSessions) -> tuple[Decimal, str]:
        home = sum((x.amount for x in item.spend if x.currency == scope.currency), Decimal(0))
        return (-home, item.ad_id)

    shown = sorted(ads.values(), key=largest)[:LIMIT]
    await _describe(bi, shown)
    return shown, spend, lost, other


async def _describe(bi: AsyncSession, items: list[schemas.SpendWithoutSessions]) -> None:
    """Names and URL checks of the listed ads (what to fix follows from the check)."""
    if not items:
        return
    ad_ids = {i.ad_id for i in items}
    campaign_ids = {i.campaign_id for i in items}
    names = {
        ("ad", p, a, o): n
        for p, a, o, n in await bi.execute(
            select(Ad.platform, Ad.account_id, Ad.ad_id, Ad.name).where(Ad.ad_id.in_(ad_ids))
        )
    }
    names.update(
        {
            ("campaign", p, a, o): n
            for p, a, o, n in await bi.execute(
                select(
                    AdCampaign.platform,
                    AdCampaign.account_id,
                    AdCampaign.campaign_id,
                    AdCampaign.name,
                ).where(AdCampaign.campaign_id.in_(campaign_ids))
            )
        }
    )
    checks = {
        (c.platform, c.account_id, c.ad_id): c
        for c in await bi.scalars(select(AdUrlCheck).where(AdUrlCheck.ad_id.in_(ad_ids)))
    }
    for item in items:
        item.ad_name = names.get(("ad", item.platform, item.account_id, item.ad_id))
        item.campaign_name = names.get(
            ("campaign", item.platform, item.account_id, item.campaign_id)
        )
        check = checks.get((item.platform, item.account_id, item.ad_id))
        # Unchecked, or checked and lacking parameters: the URL is the likely cause; a URL
        # that carries everything points at the landing page (no tracker there).
        item.missing_parameters = list(check.missing) if check is not None else None
        fine = check is not None and not check.missing and check.status in ("ok", "warning")
        item.fix = "check_landing_page" if fine else "add_url_parameters"


async def unattributed(bi: AsyncSession, scope: Scope) -> schemas.Unattributed:
    """The period's unattributed sales, sessions, spend and UTM campaigns."""
    reach = _reach(scope)
    sessions = await _sessions(bi, reach)
    counts = (
        await bi.execute(
            select(
                func.count().label("sessions"),
                func.count().filter(_unreached(reach)).label("lost"),
                func.count()
                .filter(reach.sessions.c.channel.in_(schemas.PAID_CHANNELS))
                .label("paid"),
                func.count()
                .filter(reach.sessions.c.channel.in_(schemas.PAID_CHANNELS), _unreached(reach))
                .label("paid_lost"),
            ).where(reach.sessions.c.filtered)
        )
    ).one()
    spend_items, spend, lost, other = await _spend(bi, scope, reach)
    return schemas.Unattributed(
        range=report_range(scope),
        totals=schemas.UnattributedTotals(
            sessions=counts.sessions,
            sessions_without_campaign=counts.lost,
            paid_sessions=counts.paid,
            paid_sessions_without_campaign=counts.paid_lost,
            spend=spend.quantize(Decimal("0.01")),
            spend_without_sessions=lost.quantize(Decimal("0.01")),
            spend_without_sessions_share=ratio(lost, spend),
            other_currency_spend=other,
        ),
        sales=await _sales(bi, scope),
        sessions=sessions,
        spend=spend_items,
        utm_campaigns=await _utms(bi, reach),
    )


def campaign_key(platform: str, account_id: str, campaign_id: str) -> str:
    """A campaign as one string (alert subjects)."""
    return f"{platform}:{account_id}:{campaign_id}"


__all__ = ["campaign_key", "unattributed", "unreached_spend_by_campaign"]
