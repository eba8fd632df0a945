"""ROI per channel and offline conversion metrics against a recount over the raw tables."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.analytics.report_data import (
    day_bounds,
    make_dataset,
    rate,
    raw_leads,
    raw_sessions,
    recount,
    sp_today,
    zero_row,
)
from tests.analytics.test_reports_campaigns import assert_figures

FILTERS: list[dict[str, Any]] = [{}, {"device": "desktop"}, {"campaign": "spring"}]


def assert_offline(shown: dict[str, Any], raw: dict[str, Any] | None) -> None:
    raw = raw or zero_row()
    assert shown["leads"] == raw["leads"]
    assert shown["won"] == raw["won"]
    assert shown["sale_rate"] == pytest.approx(rate(raw["won"], raw["leads"]))
    brl = raw["revenue"].get("BRL", Decimal(0))
    assert Decimal(shown["revenue"]) == brl
    others = {m["currency"]: Decimal(m["amount"]) for m in shown["other_revenue"]}
    assert others == {c: a for c, a in raw["revenue"].items() if c != "BRL"}
    deals = raw["won_in"].get("BRL", 0)
    expected = (brl / deals).quantize(Decimal("0.01")) if deals else None
    assert (Decimal(shown["average_value"]) if shown["average_value"] else None) == expected
    assert shown["average_sales_cycle"] == pytest.approx(rate(raw["cycle"], raw["won"]))


async def test_channel_and_offline_reports_equal_raw_recount(client, databases):
    data = await make_dataset(client, databases)
    sessions = await raw_sessions(databases, data.organization_id)
    leads = await raw_leads(databases, data.organization_id)
    today = sp_today()
    first, last = today - timedelta(days=12), today - timedelta(days=1)
    now = day_bounds(first, last)
    before = day_bounds(first - timedelta(days=12), first - timedelta(days=1))
    for filters in FILTERS:
        params = {"date_from": first, "date_to": last, "compare": "previous", **filters}
        channels = await client.get(
            "/api/analytics/channels", params=params, headers=data.site.headers
        )
        assert channels.status_code == 200, channels.text
        body = channels.json()
        assert body["cost_note"] == "no_spend_data"
        raw_now = recount(sessions, leads, now, lambda d: d["channel"], filters)
        raw_before = recount(sessions, leads, before, lambda d: d["channel"], filters)
        shown = {row["channel"]: row for row in body["rows"]}
        assert set(shown) == set(raw_now) | set(raw_before)
        for channel, row in shown.items():
            assert_figures(row["current"], raw_now.get(channel))
            assert_figures(row["previous"], raw_before.get(channel))
            assert row["current"]["roi"] is None
        assert_figures(body["totals"], recount(sessions, leads, now, lambda d: 0, filters).get(0))

        offline = await client.get(
            "/api/analytics/offline-conversions", params=params, headers=data.site.headers
        )
        assert offline.status_code == 200, offline.text
        report = offline.json()
        for part, dimension in (("by_source", "source"), ("by_channel", "channel")):
            raw_now = recount(sessions, leads, now, lambda d, k=dimension: d[k], filters)
            raw_before = recount(sessions, leads, before, lambda d, k=dimension: d[k], filters)
            with_outcomes = {
                k for k, v in (*raw_now.items(), *raw_before.items()) if v["leads"] or v["won"]
            }
            rows = {row["key"]: row for row in report[part]}
            assert set(rows) == with_outcomes
            for k, row in rows.items():
                assert_offline(row["current"], raw_now.get(k))
                assert_offline(row["previous"], raw_before.get(k))
        whole = recount(sessions, leads, now, lambda d: 0, filters).get(0)
        assert_offline(report["totals"], whole)
        earlier = recount(sessions, leads, before, lambda d: 0, filters).get(0)
        assert_offline(report["previous_totals"], earlier)
    # The generated data has a won deal in USD: listed, never added to BRL.
    params = {"date_from": today - timedelta(days=25), "date_to": today}
    report = (
        await client.get(
            "/api/analytics/offline-conversions", params=params, headers=data.site.headers
        )
    ).json()
    assert report["other_currencies"] == ["USD"]
    assert [m["currency"] for m in report["totals"]["other_revenue"]] == ["USD"]
