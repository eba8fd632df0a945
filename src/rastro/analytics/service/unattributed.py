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

from sqlalchemy import (
    BigInteger,
    DateTime,
    Numeric,
    String,
    Text,
    and_,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
)
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
SESSION_DIMENSIONS = ("channel", "source", "medium", "campaign", "content", "term")


@dataclass(frozen=True)
class _Reach:
    """The period's sessions grouped by their campaign parameters and whether the visit
    filters select them (`groups`: sessions, last_seen, combination_key), and the campaign
    each of those combinations reaches (`resolved`)."""

    groups: CTE
    resolved: CTE


def _reach(scope: Scope) -> _Reach:
    period = scope.period
    visits = rollups.visitor_keys(period.start, period.end, scope.through, extra=("session_id",))
    touches_query = tracking_facts.visitor_touches()
    at = touches_query.selected_columns.created_at
    touches = touches_query.where(at >= period.start, at < period.end).subquery("touches")
    conditions = report_filters.conditions(visits, scope.filters)
    sessions = (
        select(
            visits.c.started_at,
            *(visits.c[d] for d in SESSION_DIMENSIONS),
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
        .subquery("health_sessions")
    )
    # Grouped once: every part of the report reads these groups, not the sessions.
    keys = [sessions.c[c] for c in (*SESSION_DIMENSIONS, "utm_id", "click_id", "filtered")]
    combination = spend_join.combination_key(
        *(sessions.c[c] for c in spend_join.COMBINATION_COLUMNS)
    )
    groups = (
        select(
            *keys,
            combination.label("combination_key"),
            func.count().label("sessions"),
            func.max(sessions.c.started_at).label("last_seen"),
        )
        .group_by(*keys)
        .cte("health_groups")
    )
    combos = (
        select(
            groups.c.combination_key,
            *(groups.c[c] for c in ("source", "campaign", "content", "term", "utm_id", "click_id")),
        )
        .distinct()
        .cte("health_combos")
    )
    return _Reach(groups=groups, resolved=spend_join.resolve(combos).cte("health_resolved"))


def _unreached(reach: _Reach) -> ColumnElement[bool]:
    """A group of sessions whose combination reaches no campaign."""
    return ~exists().where(reach.resolved.c.combination_key == reach.groups.c.combination_key)


def _spend_unreached(reach: _Reach) -> ColumnElement[bool]:
    """A spend row that no session of the period reaches (`resolved` holds the
    combinations of the period's sessions only)."""
    m, r = CampaignMetric, reach.resolved
    campaign = (
        r.c.platform == m.platform,
        r.c.account_id == m.account_id,
        r.c.campaign_id == m.campaign_id,
    )
    # A resolved row names the ad set and the ad, or leaves either out (any). One NOT EXISTS
    # per way it can match: each holds only equalities and IS NULLs, which PostgreSQL runs
    # as a hashed anti-join; the ORs in one subquery ran it once per spend row (27 s over
    # 12 months of 2,000 ads, bench.analytics.reports).
    ways = (
        (r.c.ad_set_id.is_(None), r.c.ad_id.is_(None)),
        (r.c.ad_set_id.is_(None), r.c.ad_id == m.ad_id),
        (r.c.ad_set_id == m.ad_set_id, r.c.ad_id.is_(None)),
        (r.c.ad_set_id == m.ad_set_id, r.c.ad_id == m.ad_id),
    )
    return and_(*(~exists().where(*campaign, *way) for way in ways))


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


# The columns of the report's one statement (each part fills some, the rest NULL).
_COLUMNS: dict[str, Any] = {
    "kind": String(8),
    "channel": String(40),
    "source": Text(),
    "medium": Text(),
    "campaign": Text(),
    "sessions": BigInteger(),
    "lost": BigInteger(),
    "paid": BigInteger(),
    "paid_lost": BigInteger(),
    "last_seen": DateTime(timezone=True),
    "position": BigInteger(),
    "platform": String(20),
    "account_id": String(64),
    "campaign_id": String(64),
    "ad_id": String(64),
    "currency": String(3),
    "spend": Numeric(),
    "spend_lost": Numeric(),
    "impressions": BigInteger(),
    "clicks": BigInteger(),
}


def _part(kind: str, **values: Any) -> list[ColumnElement[Any]]:
    """One part's select list in `_COLUMNS` order."""
    values["kind"] = literal(kind)
    return [
        (cast(values[name], kind_of) if name in values else cast(null(), kind_of)).label(name)
        for name, kind_of in _COLUMNS.items()
    ]


def _count(column: Any, *where: ColumnElement[bool]) -> ColumnElement[int]:
    total = func.sum(column).filter(and_(*where)) if where else func.sum(column)
    return func.coalesce(total, 0)


def _statement(scope: Scope, reach: _Reach) -> Any:
    """Every part of the report but the sales, in one statement, so that the period's
    sessions are read and grouped once: "source" rows (sessions and those reaching no
    campaign per channel and source), the "total" row, "utm" rows (the tagged sessions
    reaching nothing per source, medium and campaign, the `LIMIT` with most sessions,
    `position` their order), "spend" rows (the period's spend and the unreached part per
    currency) and "ad" rows (each ad's unreached spend)."""
    g = reach.groups.c
    lost = _unreached(reach)
    paid = g.channel.in_(schemas.PAID_CHANNELS)
    sources = (
        select(
            *_part("source", channel=g.channel, source=g.source, sessions=_count(g.sessions),
                   lost=_count(g.sessions, lost))
        )
        .where(g.filtered)
        .group_by(g.channel, g.source)
    )  # fmt: skip
    totals = select(
        *_part(
            "total",
            sessions=_count(g.sessions, g.filtered),
            lost=_count(g.sessions, g.filtered, lost),
            paid=_count(g.sessions, g.filtered, paid),
            paid_lost=_count(g.sessions, g.filtered, paid, lost),
        )
    )
    tagged = or_(g.campaign.is_not(None), g.utm_id.is_not(None), g.content.is_not(None))
    order = (func.sum(g.sessions).desc(), g.campaign, g.source)
    ranked = (
        select(
            g.source,
            g.medium,
            g.campaign,
            func.sum(g.sessions).label("sessions"),
            func.max(g.last_seen).label("last_seen"),
            func.row_number().over(order_by=order).label("position"),
        )
        .where(g.filtered, lost, tagged)
        .group_by(g.source, g.medium, g.campaign)
        .subquery("health_utms")
    )
    u = ranked.c
    utms = select(
        *_part("utm", source=u.source, medium=u.medium, campaign=u.campaign, sessions=u.sessions,
               last_seen=u.last_seen, position=u.position)
    ).where(u.position <= LIMIT)  # fmt: skip
    m = CampaignMetric
    in_period = and_(m.day >= scope.period.date_from, m.day <= scope.period.date_to)
    unreached = _spend_unreached(reach)
    spend = (
        select(
            *_part("spend", currency=m.currency, spend=func.sum(m.spend),
                   spend_lost=_count(m.spend, unreached))
        )
        .where(in_period)
        .group_by(m.currency)
    )  # fmt: skip
    ads = (
        select(
            *_part("ad", platform=m.platform, account_id=m.account_id, campaign_id=m.campaign_id,
                   ad_id=m.ad_id, currency=m.currency, spend=func.sum(m.spend),
                   impressions=func.sum(m.impressions), clicks=func.sum(m.clicks))
        )
        .where(in_period, unreached)
        .group_by(m.platform, m.account_id, m.campaign_id, m.ad_id, m.currency)
    )  # fmt: skip
    return union_all(sources, totals, utms, spend, ads)


def _sessions(rows: list[Any]) -> list[schemas.SessionsWithoutCampaign]:
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


def _utms(rows: list[Any]) -> list[schemas.UnmatchedUtm]:
    return [
        schemas.UnmatchedUtm(
            source=r.source,
            medium=r.medium,
            campaign=r.campaign,
            sessions=r.sessions,
            last_seen=r.last_seen,
            fix="map_or_use_ids",
        )
        for r in sorted(rows, key=lambda r: r.position)
    ]


def _spend_items(scope: Scope, rows: list[Any]) -> list[schemas.SpendWithoutSessions]:
    """The unreached ads, largest spend in the organization's currency first."""
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

    return sorted(ads.values(), key=largest)[:LIMIT]


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
    parts: dict[str, list[Any]] = {kind: [] for kind in ("source", "total", "utm", "spend", "ad")}
    for row in await bi.execute(_statement(scope, _reach(scope))):
        parts[row.kind].append(row)
    counts = parts["total"][0]
    spend = lost = Decimal(0)
    other = False
    for total in parts["spend"]:
        if total.currency == scope.currency:
            spend, lost = Decimal(total.spend), Decimal(total.spend_lost)
        else:
            other = True
    spend_items = _spend_items(scope, parts["ad"])
    await _describe(bi, spend_items)
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
        sessions=_sessions(parts["source"]),
        spend=spend_items,
        utm_campaigns=_utms(parts["utm"]),
    )


def campaign_key(platform: str, account_id: str, campaign_id: str) -> str:
    """A campaign as one string (alert subjects)."""
    return f"{platform}:{account_id}:{campaign_id}"


__all__ = ["campaign_key", "unattributed", "unreached_spend_by_campaign"]
