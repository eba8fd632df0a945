"""The rollups' levels, their timezone and the unchanged-outcome upsert: a report reads the
smallest level that has its dimensions and filters and still equals a raw recount; a new
organization timezone sends the reports to the raw rows until the next refresh rebuilds
the days; copying leads whose outcome did not change leaves their rows (and the next
incremental refresh) alone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from rastro.analytics import models
from rastro.analytics.models import ConversionFact, RollupState
from rastro.analytics.service import facts, rollup_refresh, rollups
from rastro.auth.models import Organization
from rastro.core.db import SYSTEM, Scope
from rastro.core.units import TransactionBoundary
from rastro.tracking.models import TrackedSession, UtmTracking
from tests.analytics.factories import Visit, add_visits, refresh, refresh_organization
from tests.crm.factories import make_leads
from tests.tracking.factories import make_site

SP = ZoneInfo("America/Sao_Paulo")


def _sp_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=SP).astimezone(UTC)


def test_a_report_reads_the_smallest_level_with_its_dimensions():
    level_for = rollups.CONVERSIONS.level_for
    assert level_for(()) is models.ConversionsByChannel
    assert level_for(("channel", "source", "medium", "device")) is models.ConversionsByChannel
    assert level_for(("landing_page_id",)) is models.ConversionsByPage
    assert level_for(("campaign", "device")) is models.ConversionsByCampaign
    assert level_for(("content",)) is models.ConversionSummary
    assert level_for(("landing_page_id", "campaign")) is models.ConversionSummary
    assert rollups.EVENTS.level_for(("landing_page_id",)) is models.EventTypesByPage
    assert rollups.EVENTS.level_for(("campaign",)) is None  # the raw rows of the period
    assert rollups.PATHS.level_for(()) is models.PagePathsBySite
    assert rollups.PATHS.level_for(("device",)) is models.PagePathsByChannel
    assert rollups.PATHS.level_for(("landing_page_id",)) is None


async def _raw_sessions(databases, org, start, end, **touch):  # type: ignore[no-untyped-def]
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        query = (
            select(func.count())
            .select_from(TrackedSession)
            .join(UtmTracking, UtmTracking.session_id == TrackedSession.session_id)
            .where(
                TrackedSession.is_bot.is_(False),
                TrackedSession.started_at >= start,
                TrackedSession.started_at < end,
                *(getattr(UtmTracking, f"utm_{k}") == v for k, v in touch.items()),
            )
        )
        return await bi.scalar(query)


async def test_a_content_filter_reads_every_dimension_and_equals_a_recount(client, databases):
    site = await make_site(client, databases)
    org = site.account.organization_id
    today = datetime.now(SP).date()
    visits = [
        Visit(
            _sp_midnight(today - timedelta(days=d)) + timedelta(hours=h),
            f"v{d}-{h}",
            campaign=("spring", "autumn")[h % 2],
            content=("banner-a", "banner-b", None)[(d + h) % 3],
            device=("mobile", "desktop")[d % 2],
        )
        for d in range(2, 6)
        for h in range(0, 24, 5)
    ]
    await add_visits(databases, org, site.domain["domain_id"], visits)
    await refresh(databases, org)
    date_from, date_to = today - timedelta(days=5), today - timedelta(days=2)
    start, end = _sp_midnight(date_from), _sp_midnight(date_to + timedelta(days=1))
    period = f"date_from={date_from}&date_to={date_to}"
    for query, touch in (
        ("", {}),
        ("&content=banner-a", {"content": "banner-a"}),
        ("&campaign=spring&content=banner-b", {"campaign": "spring", "content": "banner-b"}),
        ("&campaign=autumn", {"campaign": "autumn"}),
    ):
        body = (
            await client.get(f"/api/analytics/overview?{period}{query}", headers=site.headers)
        ).json()
        raw = await _raw_sessions(databases, org, start, end, **touch)
        assert raw > 0
        assert body["totals"]["sessions"] == raw, query
        assert sum(r["sessions"] for r in body["by_campaign"]) == raw, query
    by_content = (
        await client.get(
            f"/api/analytics/campaigns?{period}&group_by=content&device=mobile",
            headers=site.headers,
        )
    ).json()
    counted = {r["content"]: r["current"]["sessions"] for r in by_content["rows"]}
    for content in ("banner-a", "banner-b"):
        expected = sum(
            1
            for v in visits
            if v.content == content and v.device == "mobile" and start <= v.started_at < end
        )
        assert counted[content] == expected
    # Every level holds the same sessions.
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        totals = {
            level.__tablename__: await bi.scalar(select(func.sum(level.sessions)))
            for level in rollups.CONVERSIONS.levels
        }
    assert set(totals.values()) == {len(visits)}


async def test_a_new_timezone_reads_raw_rows_until_the_refresh_regroups_the_days(client, databases):
    site = await make_site(client, databases)
    org = site.account.organization_id
    day = datetime.now(SP).date() - timedelta(days=3)
    edge = datetime.combine(day, time(1, 30), tzinfo=UTC)  # 22:30 of `day - 1` in São Paulo
    await add_visits(databases, org, site.domain["domain_id"], [Visit(edge, "v1")])
    await refresh(databases, org)
    scope = Scope.organization(org)
    async with databases.bi.transaction(scope) as bi:
        assert await bi.scalar(select(models.ConversionSummary.day)) == day - timedelta(days=1)
    async with databases.crm.transaction(SYSTEM) as crm:
        await crm.execute(update(Organization).where(Organization.id == org).values(timezone="UTC"))
    async with databases.bi.transaction(scope) as bi:
        assert await rollups.rollup_through(bi, "UTC") is None  # stored days are São Paulo's
        assert await rollups.rollup_through(bi, SP.key) is not None

    async def sessions_on(when: date) -> int:
        query = f"date_from={when}&date_to={when}"
        response = await client.get(f"/api/analytics/overview?{query}", headers=site.headers)
        body = response.json()
        assert body["range"]["timezone"] == "UTC"
        return int(body["totals"]["sessions"])

    assert (await sessions_on(day), await sessions_on(day - timedelta(days=1))) == (1, 0)
    await refresh_organization(databases, org)  # the worker's refresh sees the new timezone
    async with databases.bi.transaction(scope) as bi:
        state = await bi.get(RollupState, org)
        assert state is not None
        assert state.timezone == "UTC"
        assert await rollups.rollup_through(bi, "UTC") == state.through
        for level in rollups.CONVERSIONS.levels:
            assert list(await bi.scalars(select(level.day))) == [day]
    assert (await sessions_on(day), await sessions_on(day - timedelta(days=1))) == (1, 0)


async def test_copying_unchanged_outcomes_keeps_their_rows_and_the_next_refresh_small(
    client, databases
):
    site = await make_site(client, databases)
    org = site.account.organization_id
    today = datetime.now(SP).date()
    for d in range(3, 13):
        created = _sp_midnight(today - timedelta(days=d)) + timedelta(hours=12)
        await make_leads(
            databases, org, 1, stage="won", stage_value=Decimal("10.00"), created_at=created
        )
    await refresh(databases, org)
    scope = Scope.organization(org)

    async def stamps() -> dict:  # type: ignore[type-arg]
        async with databases.bi.transaction(scope) as bi:
            rows = await bi.execute(select(ConversionFact.lead_id, ConversionFact.updated_at))
            return dict(rows.all())

    async with databases.bi.transaction(scope) as bi:
        # As if the leads had been copied a day ago.
        await bi.execute(update(ConversionFact).values(updated_at=func.now() - timedelta(days=1)))
    before = await stamps()
    assert len(before) == 10
    boundaries = TransactionBoundary(databases.crm), TransactionBoundary(databases.bi)
    assert await facts.rebuild_facts(*boundaries, org) == 10
    assert await stamps() == before  # nothing changed: nothing rewritten
    async with databases.bi.transaction(scope) as bi:
        first = await rollup_refresh.refresh(bi, org, timezone=SP.key)
    assert not first.full
    assert first.days_rewritten is not None
    assert first.days_rewritten <= 2  # the late sessions' days only, no lead's day
    # A changed outcome is written again, and its creation day rewritten.
    lead_id = next(iter(before))
    async with databases.bi.transaction(scope) as bi:
        await bi.execute(
            update(ConversionFact)
            .where(ConversionFact.lead_id == lead_id)
            .values(revenue=Decimal("1.00"))
        )
    await facts.rebuild_facts(*boundaries, org)
    after = await stamps()
    assert after[lead_id] > before[lead_id]
    assert {k: v for k, v in after.items() if k != lead_id} == {
        k: v for k, v in before.items() if k != lead_id
    }
    async with databases.bi.transaction(scope) as bi:
        second = await rollup_refresh.refresh(bi, org, timezone=SP.key)
    assert second.days_rewritten == first.days_rewritten + 1
