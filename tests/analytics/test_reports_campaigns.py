"""Campaign performance: every figure equal to a recount over the raw tables, filters,
comparison, the São Paulo day of a 01:30 UTC session, bad input and an empty organization."""

from __future__ import annotations

import json
import uuid
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
from tests.tracking.factories import make_site

GROUPS = {
    "campaign": ("campaign",),
    "source": ("source",),
    "medium": ("medium",),
    "source_medium": ("source", "medium"),
    "content": ("content",),
    "term": ("term",),
}


def assert_figures(shown: dict[str, Any], raw: dict[str, Any] | None) -> None:
    """A report row's figures against the raw recount (BRL is the organization's currency)."""
    raw = raw or zero_row()
    assert shown["sessions"] == raw["sessions"]
    assert shown["leads"] == raw["leads"]
    assert shown["qualified"] == raw["qualified"]
    assert shown["won"] == raw["won"]
    assert Decimal(shown["revenue"]) == raw["revenue"].get("BRL", Decimal(0))
    others = {m["currency"]: Decimal(m["amount"]) for m in shown["other_revenue"]}
    assert others == {c: a for c, a in raw["revenue"].items() if c != "BRL"}
    assert shown["conversion_rate"] == pytest.approx(rate(raw["leads"], raw["sessions"]))
    assert shown["qualification_rate"] == pytest.approx(rate(raw["qualified"], raw["leads"]))
    assert shown["win_rate"] == pytest.approx(rate(raw["won"], raw["leads"]))
    assert shown["average_score"] == pytest.approx(rate(raw["score"], raw["leads"]))
    assert shown["average_time_to_conversion"] == pytest.approx(rate(raw["ttc"], raw["ttc_n"]))
    assert shown["average_sales_cycle"] == pytest.approx(rate(raw["cycle"], raw["won"]))
    for cost in ("cost", "cpl", "cpa", "roas", "roi"):
        assert shown[cost] is None
    assert shown["cost_note"] == "no_spend_data"


def _key(row: dict[str, Any], dims: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(row[d] for d in dims)


async def test_campaign_report_equals_raw_recount(client, databases):
    data = await make_dataset(client, databases)
    sessions = await raw_sessions(databases, data.organization_id)
    leads = await raw_leads(databases, data.organization_id)
    today = sp_today()
    first, last = today - timedelta(days=9), today - timedelta(days=2)
    now = day_bounds(first, last)
    before = day_bounds(first - timedelta(days=8), first - timedelta(days=1))
    assert any(lead.currency == "USD" and lead.won_at for lead in leads)
    for group_by, dims in GROUPS.items():
        for filters in ({}, {"channel": "Paid Search"}, {"device": "mobile", "source": "google"}):
            params = {"group_by": group_by, "date_from": first, "date_to": last,
                      "compare": "previous", **filters}  # fmt: skip
            response = await client.get(
                "/api/analytics/campaigns", params=params, headers=data.site.headers
            )
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["dimensions"] == list(dims)
            assert body["cost_note"] == "no_spend_data"
            assert body["range"]["previous"]["date_to"] == str(first - timedelta(days=1))

            def key(d: dict[str, Any], dims: tuple[str, ...] = dims) -> tuple[Any, ...]:
                return tuple(d[x] for x in dims)

            raw_now = recount(sessions, leads, now, key, filters)
            raw_before = recount(sessions, leads, before, key, filters)
            shown = {_key(row, dims): row for row in body["rows"]}
            assert set(shown) == set(raw_now) | set(raw_before)
            for k, row in shown.items():
                assert_figures(row["current"], raw_now.get(k))
                assert_figures(row["previous"], raw_before.get(k))
            everything = recount(sessions, leads, now, lambda d: None, filters).get(None)
            assert_figures(body["totals"], everything)
            earlier = recount(sessions, leads, before, lambda d: None, filters).get(None)
            assert_figures(body["previous_totals"], earlier)
            revenue = [Decimal(r["current"]["revenue"]) for r in body["rows"]]
            assert revenue == sorted(revenue, reverse=True)
    # Without a comparison, no previous figures.
    response = await client.get(
        "/api/analytics/campaigns",
        params={"date_from": first, "date_to": last},
        headers=data.site.headers,
    )
    body = response.json()
    assert body["previous_totals"] is None
    assert all(row["previous"] is None for row in body["rows"])
    assert body["totals"]["sessions"] > 0
    assert body["totals"]["won"] > 0


async def test_a_session_at_0130_utc_counts_on_the_previous_sao_paulo_day(client, databases):
    data = await make_dataset(client, databases)
    sessions = await raw_sessions(databases, data.organization_id)
    edge = next(s for s in sessions if s.session_id == data.edge_session)
    assert (edge.started_at.hour, edge.started_at.minute) == (1, 30)
    assert edge.started_at.date() == data.edge_day + timedelta(days=1)
    leads = await raw_leads(databases, data.organization_id)
    for day in (data.edge_day, data.edge_day + timedelta(days=1)):
        response = await client.get(
            "/api/analytics/campaigns",
            params={"date_from": day, "date_to": day, "group_by": "source"},
            headers=data.site.headers,
        )
        expected = recount(sessions, leads, day_bounds(day, day), lambda d: None).get(None)
        assert_figures(response.json()["totals"], expected)
        counted = day_bounds(day, day)[0] <= edge.started_at < day_bounds(day, day)[1]
        assert counted == (day == data.edge_day)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"group_by": "country"}, "validation_error"),
        ({"date_from": "2026-03-10", "date_to": "2026-03-01"}, "invalid_date_range"),
        ({"date_from": "2020-01-01", "date_to": "2023-01-01"}, "invalid_date_range"),
        ({"date_to": "2999-01-01"}, "invalid_date_range"),
        ({"preset": "forever"}, "validation_error"),
        ({"compare": "sometimes"}, "validation_error"),
        ({"channel": "Carrier Pigeon"}, "validation_error"),
        ({"landing_page_id": str(uuid.uuid4())}, "unknown_reference"),
    ],
)
async def test_bad_input_is_422(client, databases, params, code):
    site = await make_site(client, databases)
    paths = ["campaigns"] if "group_by" in params else ["campaigns", "channels", "offline-conversions", "landing-pages"]  # fmt: skip
    for path in paths:
        response = await client.get(f"/api/analytics/{path}", params=params, headers=site.headers)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["error"]["code"] == code


async def test_an_empty_organization_gets_zeros_and_nulls(client, databases):
    site = await make_site(client, databases)
    for path in ("campaigns", "channels", "offline-conversions", "landing-pages"):
        response = await client.get(
            f"/api/analytics/{path}", params={"compare": "year"}, headers=site.headers
        )
        assert response.status_code == 200, response.text
        assert "NaN" not in response.text
        json.loads(response.text)  # strict JSON
    body = (await client.get("/api/analytics/campaigns", headers=site.headers)).json()
    assert body["rows"] == []
    assert body["totals"]["sessions"] == 0
    assert body["totals"]["revenue"] == "0.00"
    assert body["totals"]["conversion_rate"] is None
    assert body["totals"]["average_sales_cycle"] is None
    assert body["other_currencies"] == []
