"""The rollups' month levels: which days of a period are whole months, each month row the
sum of its days' rows after a full and an incremental refresh, and reports over whole
months read from the month levels (the day rows of those months deleted) still equal to a
recount over the raw tables."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, cast, delete, func, select

from rastro.analytics.service import rollup_months, rollups
from rastro.core.db import Scope
from tests.analytics.raw import ensure_partitions
from tests.analytics.report_data import (
    day_bounds,
    make_dataset,
    raw_leads,
    raw_sessions,
    recount,
    sp_today,
)
from tests.analytics.test_reports_campaigns import assert_figures
from tests.analytics.test_reports_landing_pages import assert_funnel


def test_whole_months_of_a_period():
    whole = rollup_months.whole_months
    assert whole(date(2025, 12, 8), date(2026, 12, 7)) == (date(2026, 1, 1), date(2026, 12, 1))
    assert whole(date(2025, 12, 1), date(2026, 12, 7)) == (date(2025, 12, 1), date(2026, 12, 1))
    assert whole(date(2026, 11, 1), date(2026, 11, 30)) == (date(2026, 11, 1), date(2026, 12, 1))
    assert whole(date(2026, 2, 1), date(2026, 2, 28)) == (date(2026, 2, 1), date(2026, 3, 1))
    assert whole(date(2024, 2, 1), date(2024, 2, 28)) is None  # 29 days that year
    assert whole(date(2026, 11, 8), date(2026, 12, 7)) is None
    assert whole(date(2026, 11, 2), date(2026, 11, 30)) is None


async def month_mismatches(
    databases: Any,
    org: uuid.UUID,
    checked: tuple[rollups.Rollup, ...] = (rollups.CONVERSIONS, rollups.EVENTS),
) -> list[str]:
    """The month rows that differ from the sums of their days' rows (or are none), per
    level."""
    wrong = []
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        for rollup in checked:
            for level, month_level in zip(rollup.levels, rollup.months, strict=True):
                if month_level is None:
                    continue
                keys = [*rollup.dimensions(level), *rollup.keys]
                day = level.__table__.c
                month = cast(func.date_trunc("month", day.day), Date)
                from_days = await bi.execute(
                    select(
                        month, *(day[k] for k in keys), *(func.sum(day[m]) for m in rollup.measures)
                    ).group_by(month, *(day[k] for k in keys))
                )
                stored = await bi.execute(
                    select(
                        month_level.month,
                        *(getattr(month_level, k) for k in keys),
                        *(getattr(month_level, m) for m in rollup.measures),
                    )
                )
                expected = sorted(tuple(map(str, r)) for r in from_days)
                found = sorted(tuple(map(str, r)) for r in stored)
                if not expected or expected != found:
                    wrong.append(month_level.__tablename__)
    return wrong


async def test_month_rows_are_the_sums_of_their_days_and_whole_months_equal_a_recount(
    client, databases
):
    await ensure_partitions(databases, 3)
    data = await make_dataset(client, databases, days=64)
    org = data.organization_id
    assert await month_mismatches(databases, org) == []
    sessions = await raw_sessions(databases, org)
    leads = await raw_leads(databases, org)
    today = sp_today()
    first, last = today - timedelta(days=63), today - timedelta(days=1)
    whole = rollup_months.whole_months(first, last)
    assert whole is not None
    # The day rows of the whole months are deleted from every level with a month level: only
    # the month levels hold them now.
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        for rollup in (rollups.CONVERSIONS, rollups.EVENTS):
            for level in rollup.levels:
                if rollup.month_of(level) is not None:
                    deleted = delete(level).where(level.day >= whole[0], level.day < whole[1])
                    await bi.execute(deleted)
    bounds = day_bounds(first, last)
    headers = data.site.headers
    for filters in ({}, {"channel": "Paid Search"}, {"device": "mobile", "source": "google"}):
        params = {"date_from": first, "date_to": last, "group_by": "campaign", **filters}
        body = (await client.get("/api/analytics/campaigns", params=params, headers=headers)).json()
        raw = recount(sessions, leads, bounds, lambda d: d["campaign"], filters)
        assert {row["campaign"] for row in body["rows"]} == set(raw)
        for row in body["rows"]:
            assert_figures(row["current"], raw[row["campaign"]])
        assert_figures(
            body["totals"], recount(sessions, leads, bounds, lambda d: None, filters)[None]
        )
    registered = {uuid.UUID(p["page_id"]) for p in data.pages}
    for filters in ({}, {"channel": "Paid Search"}):
        params = {"date_from": first, "date_to": last, **filters}
        body = (
            await client.get("/api/analytics/landing-pages", params=params, headers=headers)
        ).json()

        def page(d: dict[str, Any]) -> Any:
            return d["landing_page_id"] if d["landing_page_id"] in registered else None

        raw = recount(sessions, leads, bounds, page, filters)
        assert body["rows"]
        for row in body["rows"]:
            assert_funnel(row["current"], raw.get(uuid.UUID(row["page_id"])))
        assert_funnel(body["unregistered"], raw.get(None))
    overview = (
        await client.get(
            "/api/analytics/overview", params={"date_from": first, "date_to": last}, headers=headers
        )
    ).json()
    everything = recount(sessions, leads, bounds, lambda d: None)[None]
    totals = overview["totals"]
    assert (totals["sessions"], totals["leads"], totals["won"]) == (
        everything["sessions"],
        everything["leads"],
        everything["won"],
    )
    # The daily series still reads the days: the deleted ones are gone from it.
    by_day: dict[str, int] = defaultdict(int)
    for point in overview["series"]:
        by_day[point["date"]] += point["sessions"]
    assert sum(by_day.values()) < totals["sessions"]
    revenue = {m["currency"]: Decimal(m["amount"]) for m in totals["revenue"]}
    assert revenue == {c: a for c, a in everything["revenue"].items() if a}
