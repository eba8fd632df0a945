"""Joining ad spend to visits (issue 18 part 3): which platform campaign, ad set and ad a
touch's campaign parameters reach.

A touch reaches a campaign by the first of these rules that matches (values compared
trimmed; names also without case):

1. the click id's campaign where the platform's report exposes it: a touch whose only
   campaign parameter is a Google click id (auto-tagging without UTMs; tracking's
   `standalone_click_id`) reaches the campaign, ad group and ad of that gclid in Google's
   `click_view` (`ad_clicks`, imported with the spend for the last 90 days, which is as far
   back as Google keeps it);
2. `utm_id` equal to a campaign id (GA4's convention);
3. `utm_campaign` equal to a campaign id, then to a campaign name (any name the campaign
   has had: `ad_name_history`, so a rename mid-range still joins);
4. `utm_content`, then `utm_term`, equal to an ad id, then to an ad name;
5. the same for ad-set ids and names;
6. the organization's mapping table (`spend_mappings`), the most specific mapping first.

Rules 2-3 reach a campaign; the ad and ad set are then looked for in `utm_content` /
`utm_term` within that campaign. Among equal matches, the platform that the touch's
`utm_source` names (facebook → meta, ...) wins, then the lowest ids (deterministic).

The rules run set-based over distinct parameter combinations (`touch_combinations`, kept
up to date by the refresh, or a report's own selectable of combinations): never per touch.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    String,
    Uuid,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement, CompoundSelect, FromClause

from rastro.analytics.ad_models import Ad, AdCampaign, AdClick, AdNameHistory, AdSet, SpendMapping
from rastro.analytics.ad_models import TouchCombination as Combination
from rastro.tracking.service import facts as tracking_facts

COMBINATION_COLUMNS = (
    "channel",
    "source",
    "medium",
    "campaign",
    "content",
    "term",
    "utm_id",
    "click_id",
)
# A refresh re-reads touches from this long before the newest one it has seen (late writes).
OVERLAP = timedelta(hours=1)
SOURCE_PLATFORMS = {
    "meta": ("facebook", "fb", "instagram", "ig", "meta", "messenger", "an"),
    "google": ("google", "adwords", "youtube", "gads"),
    "tiktok": ("tiktok",),
    "linkedin": ("linkedin", "li"),
}
RULES = (
    "click_id",
    "utm_id",
    "utm_campaign_id",
    "utm_campaign_name",
    "ad_id",
    "ad_name",
    "ad_set_id",
    "ad_set_name",
    "mapping",
)


def trimmed(column: Any) -> ColumnElement[str]:
    """The value without surrounding blanks (NULL when empty)."""
    return func.nullif(func.btrim(column), "")


def name_key(column: Any) -> ColumnElement[str]:
    """A name as the join compares it: trimmed, lower case (NULL when empty)."""
    return func.nullif(func.lower(func.btrim(column)), "")


def combination_key(*columns: Any) -> ColumnElement[uuid.UUID]:
    """The identity of a combination of parameters, in `COMBINATION_COLUMNS` order (NULL
    is a value of its own). The last one, the click id, is part of it only when present
    (`concat_ws` skips a NULL), so a combination without one keeps the key it had before
    click ids joined."""
    *parameters, click_id = columns
    parts = [func.coalesce(c, literal("\x01")) for c in parameters]
    return cast(func.md5(func.concat_ws(literal("\x1f"), *parts, click_id)), Uuid)


def platform_of_source(source: Any) -> ColumnElement[str]:
    """The ad platform a `utm_source` names, or NULL."""
    key = name_key(source)
    return case(
        *((key.in_(names), literal(platform)) for platform, names in SOURCE_PLATFORMS.items()),
        else_=null(),
    )


async def refresh_combinations(bi: AsyncSession, organization_id: uuid.UUID) -> int:
    """Add the parameter combinations of the touches since the last refresh (everything
    the first time); returns how many combinations were written."""
    newest = await bi.scalar(select(func.max(Combination.last_seen)))
    source = tracking_facts.touch_combinations(newest - OVERLAP if newest else None).subquery()
    columns = [source.c[c] for c in COMBINATION_COLUMNS]
    statement = insert(Combination).from_select(
        ["organization_id", "combination_key", *COMBINATION_COLUMNS, "first_seen", "last_seen"],
        select(
            literal(organization_id),
            combination_key(*columns),
            *columns,
            source.c.first_seen,
            source.c.last_seen,
        ),
    )
    result = await bi.execute(
        statement.on_conflict_do_update(
            index_elements=["organization_id", "combination_key"],
            set_={
                "first_seen": func.least(Combination.first_seen, statement.excluded.first_seen),
                "last_seen": func.greatest(Combination.last_seen, statement.excluded.last_seen),
            },
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def stored_combinations(
    *, seen_from: datetime | None = None, seen_before: datetime | None = None
) -> Select[Any]:
    """The stored combinations (those with a touch in [seen_from, seen_before) when given)."""
    names = ("combination_key", *COMBINATION_COLUMNS, "first_seen", "last_seen")
    query = select(*(getattr(Combination, c) for c in names))
    if seen_from is not None:
        query = query.where(Combination.last_seen >= seen_from)
    if seen_before is not None:
        query = query.where(Combination.first_seen < seen_before)
    return query


def _named(level: str, value: Any) -> Any:
    h = AdNameHistory.__table__.alias(f"names_{level}")
    return h, and_(h.c.level == level, h.c.name_key == name_key(value))


def _object_candidates(combos: FromClause, kind: str) -> CompoundSelect[Any]:
    """Ads (kind "ad") or ad sets ("ad_set") that `utm_content` / `utm_term` name, by id
    first, then by name: combination_key, sub (the match's order), the object's ids."""
    table = (Ad if kind == "ad" else AdSet).__table__
    object_id = table.c.ad_id if kind == "ad" else table.c.ad_set_id
    ad_id = table.c.ad_id if kind == "ad" else null()
    parts = []
    for sub, (field, by_name) in enumerate(
        (("content", False), ("term", False), ("content", True), ("term", True))
    ):
        value = combos.c[field]
        columns = (
            combos.c.combination_key,
            literal(sub).label("sub"),
            literal(f"{kind}_{'name' if by_name else 'id'}").label("rule"),
            table.c.platform,
            table.c.account_id,
            table.c.campaign_id,
            table.c.ad_set_id,
            cast(ad_id, String(64)).label("ad_id"),
        )
        if by_name:
            names, matches = _named(kind, value)
            parts.append(
                select(*columns)
                .select_from(combos)
                .join(names, matches)
                .join(
                    table,
                    and_(
                        table.c.platform == names.c.platform,
                        table.c.account_id == names.c.account_id,
                        object_id == names.c.object_id,
                    ),
                )
            )
        else:
            parts.append(select(*columns).join_from(combos, table, object_id == trimmed(value)))
    return union_all(*parts)


def _campaign_candidates(combos: FromClause, ads: FromClause, ad_sets: FromClause) -> Any:
    c = AdCampaign.__table__
    m = SpendMapping.__table__

    def campaign_match(rank: int, rule: str, on: Any, joined: Any = None) -> Select[Any]:
        columns = (
            combos.c.combination_key,
            literal(rank).label("rank"),
            literal(0).label("sub"),
            literal(rule).label("rule"),
            (joined if joined is not None else c).c.platform,
            (joined if joined is not None else c).c.account_id,
            (joined.c.object_id if joined is not None else c.c.campaign_id).label("campaign_id"),
            cast(null(), String(64)).label("ad_set_id"),
            cast(null(), String(64)).label("ad_id"),
        )
        return select(*columns).join_from(combos, joined if joined is not None else c, on)

    names, by_name = _named("campaign", combos.c.campaign)

    def objects(rank: int, found: FromClause) -> Select[Any]:
        return select(
            found.c.combination_key,
            literal(rank).label("rank"),
            found.c.sub,
            found.c.rule,
            found.c.platform,
            found.c.account_id,
            found.c.campaign_id,
            found.c.ad_set_id,
            found.c.ad_id,
        )

    def matches(mapped: Any, value: Any) -> ColumnElement[bool]:
        return or_(mapped.is_(None), mapped == name_key(value))

    specificity = sum(
        (
            case((col.is_not(None), 1), else_=0)
            for col in (m.c.utm_source, m.c.utm_campaign, m.c.utm_content, m.c.utm_term)
        ),
        literal(0),
    )
    mapping = select(
        combos.c.combination_key,
        literal(6).label("rank"),
        cast(-specificity, Integer).label("sub"),
        literal("mapping").label("rule"),
        m.c.platform,
        m.c.account_id,
        m.c.campaign_id,
        m.c.ad_set_id,
        m.c.ad_id,
    ).join_from(
        combos,
        m,
        and_(
            matches(m.c.utm_source, combos.c.source),
            matches(m.c.utm_campaign, combos.c.campaign),
            matches(m.c.utm_content, combos.c.content),
            matches(m.c.utm_term, combos.c.term),
        ),
    )
    k = AdClick.__table__
    clicked = select(
        combos.c.combination_key,
        literal(0).label("rank"),
        literal(0).label("sub"),
        literal("click_id").label("rule"),
        k.c.platform,
        k.c.account_id,
        k.c.campaign_id,
        k.c.ad_set_id,
        k.c.ad_id,
    ).join_from(combos, k, and_(k.c.platform == "google", k.c.click_id == combos.c.click_id))
    return union_all(
        clicked,
        campaign_match(1, "utm_id", c.c.campaign_id == trimmed(combos.c.utm_id)),
        campaign_match(2, "utm_campaign_id", c.c.campaign_id == trimmed(combos.c.campaign)),
        select(
            combos.c.combination_key,
            literal(3).label("rank"),
            literal(0).label("sub"),
            literal("utm_campaign_name").label("rule"),
            names.c.platform,
            names.c.account_id,
            names.c.object_id.label("campaign_id"),
            cast(null(), String(64)).label("ad_set_id"),
            cast(null(), String(64)).label("ad_id"),
        ).join_from(combos, names, by_name),
        objects(4, ads),
        objects(5, ad_sets),
        mapping,
    )


def resolve(combos: FromClause) -> Select[Any]:
    """The campaign each combination reaches. `combos` has the columns combination_key,
    source, campaign, content, term, utm_id, click_id; the result has combination_key, platform,
    account_id, campaign_id, ad_set_id, ad_id and rule (combinations that reach nothing
    are absent)."""
    ads = _object_candidates(combos, "ad").cte("ad_candidates")
    ad_sets = _object_candidates(combos, "ad_set").cte("ad_set_candidates")
    candidates = _campaign_candidates(combos, ads, ad_sets).subquery("candidates")
    hint = select(combos.c.combination_key, platform_of_source(combos.c.source).label("hint"))
    hints = hint.subquery("hints")
    k = candidates.c
    chosen = (
        select(
            k.combination_key, k.rule, k.platform, k.account_id, k.campaign_id, k.ad_set_id, k.ad_id
        )
        .join_from(candidates, hints, hints.c.combination_key == k.combination_key)
        .ext(distinct_on(k.combination_key))
        .order_by(
            k.combination_key,
            k.rank,
            k.sub,
            (k.platform == hints.c.hint).is_(True).desc(),
            k.platform,
            k.account_id,
            k.campaign_id,
            k.ad_set_id,
            k.ad_id,
        )
        .cte("chosen")
    )

    def same_campaign(found: Any) -> ColumnElement[bool]:
        return and_(
            found.c.combination_key == chosen.c.combination_key,
            found.c.platform == chosen.c.platform,
            found.c.account_id == chosen.c.account_id,
            found.c.campaign_id == chosen.c.campaign_id,
            or_(chosen.c.ad_set_id.is_(None), found.c.ad_set_id == chosen.c.ad_set_id),
        )

    ad = (
        select(ads.c.combination_key, ads.c.ad_set_id, ads.c.ad_id)
        .join_from(ads, chosen, same_campaign(ads))
        .ext(distinct_on(ads.c.combination_key))
        .order_by(ads.c.combination_key, ads.c.sub, ads.c.ad_id)
        .subquery("ad")
    )
    ad_set = (
        select(ad_sets.c.combination_key, ad_sets.c.ad_set_id)
        .join_from(ad_sets, chosen, same_campaign(ad_sets))
        .ext(distinct_on(ad_sets.c.combination_key))
        .order_by(ad_sets.c.combination_key, ad_sets.c.sub, ad_sets.c.ad_set_id)
        .subquery("ad_set")
    )
    return (
        select(
            chosen.c.combination_key,
            chosen.c.platform,
            chosen.c.account_id,
            chosen.c.campaign_id,
            func.coalesce(chosen.c.ad_set_id, ad.c.ad_set_id, ad_set.c.ad_set_id).label(
                "ad_set_id"
            ),
            func.coalesce(chosen.c.ad_id, ad.c.ad_id).label("ad_id"),
            chosen.c.rule,
        )
        .select_from(chosen)
        .outerjoin(ad, ad.c.combination_key == chosen.c.combination_key)
        .outerjoin(ad_set, ad_set.c.combination_key == chosen.c.combination_key)
    )
