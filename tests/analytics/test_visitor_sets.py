"""Distinct visitors from the visitor sets (`service.visitor_sets`): the stored days and
the newest minutes merged as sets (a visitor in both counts once), per day and per
landing page, equal to `count(DISTINCT)` over the sessions; an incremental refresh writes
the same sets as a full one."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select, update

from rastro.analytics.models import RollupState
from rastro.analytics.schemas import ReportFilters
from rastro.analytics.service import periods, rollup_refresh, rollups, visitor_sets
from rastro.analytics.service.overview import Scope as ReportScope
from rastro.core.db import Scope
from tests.analytics.factories import Visit, add_visits, refresh
from tests.tracking.factories import make_site

SP = ZoneInfo("America/Sao_Paulo")


async def _overview(client, site, query: str):  # type: ignore[no-untyped-def]
    response = await client.get(f"/api/analytics/overview?{query}", headers=site.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_visitors_of_stored_days_and_newest_minutes_are_a_union(client, databases):
    site = await make_site(client, databases)
    org = site.account.organization_id
    domain = site.domain["domain_id"]
    now = datetime.now(UTC)
    # 10:00 in São Paulo three days ago: the three visits share one local day whatever
    # the hour the test runs.
    earlier = datetime.combine(
        datetime.now(SP).date() - timedelta(days=3), time(10), tzinfo=SP
    ).astimezone(UTC)
    await add_visits(
        databases,
        org,
        domain,
        [
            Visit(earlier, "both"),
            Visit(earlier + timedelta(hours=1), "old-only", channel="Direct", source=None),
            Visit(earlier + timedelta(hours=2), "both", device="desktop"),
        ],
    )
    await refresh(databases, org)
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        await bi.execute(update(RollupState).values(through=now - timedelta(minutes=5)))
    # After the refresh: a visitor it numbered, and one it never saw.
    await add_visits(
        databases,
        org,
        domain,
        [Visit(now - timedelta(minutes=2), "both"), Visit(now - timedelta(minutes=1), "new")],
    )
    week = (datetime.now(SP).date() - timedelta(days=6)).isoformat()
    today = datetime.now(SP).date().isoformat()
    whole = await _overview(client, site, f"date_from={week}&date_to={today}")
    assert whole["range"]["data_through"] is not None
    assert whole["totals"]["sessions"] == 5
    assert whole["totals"]["visitors"] == 3  # both, old-only, new: not 2 + 2
    paid = await _overview(client, site, f"date_from={week}&date_to={today}&channel=Paid Search")
    assert paid["totals"]["visitors"] == 2  # both, new
    by_day = {p["date"]: p["visitors"] for p in whole["series"]}
    assert by_day[today] == 2
    assert by_day[earlier.astimezone(SP).date().isoformat()] == 2
    assert sum(by_day.values()) == 4
    desktop = await _overview(client, site, f"date_from={week}&date_to={today}&device=desktop")
    assert desktop["totals"]["visitors"] == 1


async def test_counts_equal_distinct_keys_over_the_sessions(client, databases):
    site = await make_site(client, databases)
    org = site.account.organization_id
    now = datetime.now(UTC)
    visits = [
        Visit(
            now - timedelta(hours=5 * i),
            f"v{i % 7}",
            channel=("Paid Search", "Direct", "Email")[i % 3],
            campaign=("spring", "summer", None)[i % 3],
            device=("mobile", "desktop")[i % 2],
        )
        for i in range(40)
    ]
    await add_visits(databases, org, site.domain["domain_id"], visits)
    await refresh(databases, org)
    await add_visits(
        databases,
        org,
        site.domain["domain_id"],
        [Visit(now + timedelta(seconds=1), "v1"), Visit(now + timedelta(seconds=2), "late")],
    )
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        through = await rollups.rollup_through(bi, SP.key)
        assert through is not None
        today = datetime.now(SP).date()
        period = periods.period(today - timedelta(days=10), today, SP)
        for filters in (
            ReportFilters(),
            ReportFilters(channel="Paid Search"),
            ReportFilters(campaign="spring", device="mobile"),
        ):
            scope = ReportScope(period, filters, through, SP.key, "BRL")
            raw = ReportScope(period, filters, None, SP.key, "BRL")  # count(DISTINCT) path
            for by in (None, "day", "landing_page_id", "channel"):
                assert await visitor_sets.distinct_visitors(bi, scope, by) == (
                    await visitor_sets.distinct_visitors(bi, raw, by)
                ), (filters, by)
            # The Overview's one read of the days gives the total too.
            total, per_day = await visitor_sets.daily_and_total(bi, scope)
            assert total == (await visitor_sets.count_distinct(bi, raw, None))[None]
            assert per_day == await visitor_sets.count_distinct(bi, raw, "day")


def _pairs(numbers: bytes, page_views: bytes) -> tuple[tuple[int, int], ...]:
    """A set's (visitor number, page views) per session, sorted (a level concatenated from
    another need not be; the pairs must stay paired)."""
    found = np.frombuffer(numbers, dtype=visitor_sets.NUMBER).tolist()
    views = np.frombuffer(page_views, dtype=visitor_sets.NUMBER).tolist()
    assert len(found) == len(views)
    return tuple(sorted(zip(found, views, strict=True)))


async def _sets(databases, org):  # type: ignore[no-untyped-def]
    """Every set row, its (number, page views) pairs sorted."""
    found = {}
    skipped = ("row_id", "visitors", "page_views")
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        for level in visitor_sets.LEVELS:
            columns = [c for c in level.__table__.c if c.name not in skipped]
            rows = await bi.execute(select(*columns, level.visitors, level.page_views))
            found[level.__tablename__] = sorted(
                (*(str(v) for v in row[:-2]), _pairs(row[-2], row[-1])) for row in rows
            )
    return found


async def test_an_incremental_refresh_writes_the_sets_a_full_one_writes(client, databases):
    site = await make_site(client, databases)
    org = site.account.organization_id
    now = datetime.now(UTC)
    domain = site.domain["domain_id"]
    await add_visits(databases, org, domain, [Visit(now - timedelta(days=2), "a")])
    await refresh(databases, org)
    await add_visits(
        databases,
        org,
        domain,
        [
            Visit(now - timedelta(minutes=3), "a", page_views=5),
            Visit(now - timedelta(minutes=2), "b", page_views=1),
        ],
    )
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        assert not (await rollup_refresh.refresh(bi, org, timezone=SP.key)).full
    incremental = await _sets(databases, org)
    for level in visitor_sets.LEVELS:
        views = sorted(v for r in incremental[level.__tablename__] for _, v in r[-1])
        assert views == [1, 2, 5], level  # every session's page views, once per level
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        assert (await rollup_refresh.refresh(bi, org, timezone=SP.key, full=True)).full
    assert incremental == await _sets(databases, org)
