"""What the analytics module reads of tracking's tables, as SQL selectables with named
columns: analytics composes them into its rollups and reports (one statement, scoped like
the query it joins) and never imports tracking's models.

Each function documents its columns; they are the contract.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, and_, case, func, literal, null, select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.tracking import schemas
from rastro.tracking.channels import DIRECT
from rastro.tracking.models import (
    AbTest,
    Event,
    LandingPage,
    PageView,
    TrackedSession,
    UtmTracking,
)
from rastro.tracking.service import config


def session_dimensions(since: datetime | None = None, until: datetime | None = None) -> Select:  # type: ignore[type-arg]
    """Human (non-bot) sessions started in [since, until), each with its touch's dimensions.

    Columns: session_id, visitor_id, started_at, last_activity_at, domain_id,
    landing_page_id (the registered landing page the session began on, or NULL), channel,
    source, medium, campaign, content, term, device, page_views, events, converted,
    is_new (the visitor's first session)."""
    touch = UtmTracking
    query = (
        select(
            TrackedSession.session_id,
            TrackedSession.visitor_id,
            TrackedSession.started_at,
            TrackedSession.last_activity_at,
            TrackedSession.domain_id,
            TrackedSession.first_page_id.label("landing_page_id"),
            func.coalesce(touch.channel, TrackedSession.channel, literal(DIRECT)).label("channel"),
            touch.utm_source.label("source"),
            touch.utm_medium.label("medium"),
            touch.utm_campaign.label("campaign"),
            touch.utm_content.label("content"),
            touch.utm_term.label("term"),
            touch.device.label("device"),
            TrackedSession.total_page_views.label("page_views"),
            TrackedSession.total_events.label("events"),
            TrackedSession.converted,
            (TrackedSession.return_visits == 0).label("is_new"),
        )
        .outerjoin(
            touch,
            # A session's touch is written with it, at its start (rastro_collect).
            and_(
                touch.session_id == TrackedSession.session_id,
                touch.created_at == TrackedSession.started_at,
            ),
        )
        .where(TrackedSession.is_bot.is_(False))
    )
    if since is not None:
        query = query.where(TrackedSession.started_at >= since)
    if until is not None:
        query = query.where(TrackedSession.started_at < until)
    return query


def human_session_ids() -> Select:  # type: ignore[type-arg]
    """The ids of every human (non-bot) session: those `session_dimensions` gives, without
    their touches. Column: session_id."""
    return select(TrackedSession.session_id).where(TrackedSession.is_bot.is_(False))


def page_path(url: Any) -> ColumnElement[str]:
    """The path of a page URL (`rastro_page_path()`, BI migration 0031): no scheme and
    host, no query or fragment; '/' when empty."""
    return func.rastro_page_path(url, type_=Text)


def page_view_paths(since: datetime, until: datetime) -> Select:  # type: ignore[type-arg]
    """Page views in [since, until) with their session. Columns: session_id, created_at,
    page_path (`page_path` of the URL, as the collector stored it), view_order,
    exit_page."""
    # A view written by other means than `rastro_collect` has no stored path: computed.
    path = func.coalesce(PageView.page_path, page_path(PageView.page_url))
    return select(
        PageView.session_id,
        PageView.created_at,
        path.label("page_path"),
        PageView.view_order,
        PageView.exit_page,
    ).where(PageView.created_at >= since, PageView.created_at < until)


def event_types(since: datetime | None, until: datetime | None = None) -> Select:  # type: ignore[type-arg]
    """Interaction events in [since, until) (either bound open when None). Columns:
    session_id, created_at, event_type."""
    query = select(Event.session_id, Event.created_at, Event.event_type)
    if since is not None:
        query = query.where(Event.created_at >= since)
    if until is not None:
        query = query.where(Event.created_at < until)
    return query


def standalone_click_id() -> ColumnElement[str]:
    """A Google click id standing alone, labelled `click_id`: the touch's gclid when it has
    no `utm_campaign` and no `utm_id` (auto-tagging without UTMs), else NULL. The spend
    join reaches such a touch's campaign, ad group and ad through Google's `click_view`."""
    alone = and_(
        func.coalesce(UtmTracking.utm_campaign, "") == "",
        func.coalesce(UtmTracking.utm_id, "") == "",
        func.coalesce(UtmTracking.gclid, "") != "",
    )
    return case((alone, UtmTracking.gclid), else_=null()).label("click_id")


def visitor_touches(visitor_ids: Select | None = None) -> Select:  # type: ignore[type-arg]
    """Touches (one per session start, plus any later campaign touch) of these visitors
    (a subquery of visitor ids; all when None). Columns: visitor_id, created_at, channel,
    source, medium, campaign, content, session_id, term, utm_id, click_id
    (`standalone_click_id`)."""
    query = select(
        UtmTracking.visitor_id,
        UtmTracking.created_at,
        UtmTracking.channel,
        UtmTracking.utm_source.label("source"),
        UtmTracking.utm_medium.label("medium"),
        UtmTracking.utm_campaign.label("campaign"),
        UtmTracking.utm_content.label("content"),
        UtmTracking.session_id,
        UtmTracking.utm_term.label("term"),
        UtmTracking.utm_id,
        standalone_click_id(),
    )
    if visitor_ids is not None:
        query = query.where(UtmTracking.visitor_id.in_(visitor_ids))
    return query


def touch_dimensions() -> Select:  # type: ignore[type-arg]
    """Every touch's dimensions by its id (a lead's credited touch). Columns: tracking_id,
    channel, source, medium, campaign, content, term, device, session_id, utm_id, click_id
    (`standalone_click_id`)."""
    return select(
        UtmTracking.tracking_id,
        UtmTracking.channel,
        UtmTracking.utm_source.label("source"),
        UtmTracking.utm_medium.label("medium"),
        UtmTracking.utm_campaign.label("campaign"),
        UtmTracking.utm_content.label("content"),
        UtmTracking.utm_term.label("term"),
        UtmTracking.device,
        UtmTracking.session_id,
        UtmTracking.utm_id,
        standalone_click_id(),
    )


def touch_combinations(since: datetime | None = None) -> Select:  # type: ignore[type-arg]
    """The distinct combinations of campaign parameters of the touches since `since` (all
    when None). Columns: channel, source, medium, campaign, content, term, utm_id,
    click_id (`standalone_click_id`), first_seen, last_seen (the first and last touch with
    the combination)."""
    columns = (
        UtmTracking.channel,
        UtmTracking.utm_source.label("source"),
        UtmTracking.utm_medium.label("medium"),
        UtmTracking.utm_campaign.label("campaign"),
        UtmTracking.utm_content.label("content"),
        UtmTracking.utm_term.label("term"),
        UtmTracking.utm_id,
        standalone_click_id(),
    )
    query = select(
        *columns,
        func.min(UtmTracking.created_at).label("first_seen"),
        func.max(UtmTracking.created_at).label("last_seen"),
    ).group_by(*columns)
    if since is not None:
        query = query.where(UtmTracking.created_at >= since)
    return query


# A session still active counts as live only if it started less than this long ago: the
# bound lets the count read the newest sessions through the `started_at` index (and the
# current month's partition) instead of every session (`last_activity_at` has no index, to
# keep the collector's writes cheap). A tab kept busy for a whole day is not counted.
LONGEST_LIVE_SESSION = timedelta(hours=24)


def live_visitor_count_query(since: datetime) -> Select:  # type: ignore[type-arg]
    """The number of distinct human visitors active since `since` (one row, one column)."""
    return select(func.count(func.distinct(TrackedSession.visitor_id))).where(
        TrackedSession.started_at >= since - LONGEST_LIVE_SESSION,
        TrackedSession.last_activity_at >= since,
        TrackedSession.is_bot.is_(False),
    )


async def ab_test_definitions(
    crm: AsyncSession, *, ab_test_id: uuid.UUID | None = None
) -> list[schemas.AbTest]:
    """The organization's A/B tests with their variants (control first), newest test first;
    only `ab_test_id` when given (404 `not_found` if it is not the organization's)."""
    if ab_test_id is not None:
        test, pages = await config.get_ab_test(crm, ab_test_id)
        return [_ab_test_schema(test, pages)]
    tests = list(await crm.scalars(select(AbTest).order_by(AbTest.created_at.desc())))
    variants: dict[uuid.UUID, list[LandingPage]] = {t.ab_test_id: [] for t in tests}
    if tests:
        rows = await crm.scalars(
            select(LandingPage)
            .where(LandingPage.ab_test_id.in_(list(variants)))
            .order_by(LandingPage.is_control.desc(), LandingPage.page_variant)
        )
        for page in rows:
            if page.ab_test_id is not None:
                variants[page.ab_test_id].append(page)
    return [_ab_test_schema(t, variants[t.ab_test_id]) for t in tests]


def _ab_test_schema(test: AbTest, pages: list[LandingPage]) -> schemas.AbTest:
    return schemas.AbTest(
        ab_test_id=test.ab_test_id,
        domain_id=test.domain_id,
        name=test.name,
        is_active=test.is_active,
        created_at=test.created_at,
        variants=[schemas.LandingPage.model_validate(page) for page in pages],
    )


async def landing_pages(crm: AsyncSession) -> list[schemas.LandingPage]:
    """Every registered landing page of the organization (variants included), by name."""
    pages = await crm.scalars(
        select(LandingPage).order_by(LandingPage.page_name, LandingPage.page_variant)
    )
    return [schemas.LandingPage.model_validate(page) for page in pages]
