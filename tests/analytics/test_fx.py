"""Spend in another currency than the organization's: daily PTAX rates fetched from the
Banco Central (a fake speaking its OData), cross rates through BRL, weekend days on the last
published rate, manual rates that win, and the reports converting per day what a rate
covers and keeping the rest apart."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from rastro.analytics.service import fx
from rastro.core.http import HttpClient, RetryPolicy
from tests.analytics.factories import refresh
from tests.analytics.join_data import ad_row, store_spend
from tests.fakes.ptax import FakePtax
from tests.tracking.factories import make_site

CLOSING = {"USD": Decimal("5.0000"), "EUR": Decimal("6.0000")}


@pytest.fixture
def ptax(app) -> Iterator[FakePtax]:  # type: ignore[no-untyped-def]
    server = FakePtax(CLOSING).start()
    previous = app.state.settings.fx_rates_url
    app.state.settings.fx_rates_url = server.url
    yield server
    app.state.settings.fx_rates_url = previous
    server.stop()


def test_cross_rates_go_through_brl_and_only_for_days_both_are_known() -> None:
    d1, d2 = date(2025, 3, 3), date(2025, 3, 4)
    brl_per = {"USD": {d1: Decimal("5"), d2: Decimal("5.5")}, "EUR": {d1: Decimal("6")}}
    assert fx.cross_rates("BRL", brl_per, ["USD"]) == [
        ("USD", d1, Decimal("5.0000000000")),
        ("USD", d2, Decimal("5.5000000000")),
    ]
    # An organization in EUR: USD→EUR = PTAX(USD) / PTAX(EUR), only on d1 (EUR lacks d2);
    # BRL→EUR = 1 / PTAX(EUR).
    assert fx.cross_rates("EUR", brl_per, ["USD", "BRL"]) == [
        ("USD", d1, Decimal("0.8333333333")),
        ("BRL", d1, Decimal("0.1666666667")),
    ]


async def test_ptax_keeps_the_closing_bulletin_of_business_days(ptax) -> None:
    http = HttpClient(ptax.url)
    try:
        found = await fx.fetch_ptax(http, "USD", date(2025, 3, 7), date(2025, 3, 10))
    finally:
        await http.aclose()
    # Friday and Monday; no weekend; the closing rate, not the opening one.
    assert found == {
        date(2025, 3, 7): ptax.rate("USD", date(2025, 3, 7)),
        date(2025, 3, 10): ptax.rate("USD", date(2025, 3, 10)),
    }
    ptax.fail(1, 500)
    http = HttpClient(ptax.url, retry=RetryPolicy(attempts=1))
    try:
        with pytest.raises(fx.FxSourceError):
            await fx.fetch_ptax(http, "USD", date(2025, 3, 7), date(2025, 3, 10))
    finally:
        await http.aclose()


async def test_usd_spend_of_a_brl_organization_is_converted_per_day(client, databases, ptax):
    site = await make_site(client, databases)
    org = site.account.organization_id
    h = site.headers
    today = datetime.now(UTC).date()
    monday = today - timedelta(days=today.weekday() + 7)  # last week's Monday
    saturday = monday + timedelta(days=5)
    await store_spend(
        databases,
        org,
        "tiktok",
        "tt_1",
        [
            ad_row(monday, ("333", "Dance"), ("t1", None), "100", currency="USD"),
            ad_row(saturday, ("333", "Dance"), ("t1", None), "10", currency="USD"),
            ad_row(monday, ("444", "Gym"), ("t2", None), "50", currency="BRL"),
            ad_row(monday, ("555", "Pesos"), ("t3", None), "7", currency="MXN"),
        ],
    )
    await refresh(databases, org)
    before = (await client.get("/api/analytics/fx-rates", headers=h)).json()
    assert before["currency"] == "BRL"
    usd = next(c for c in before["currencies"] if c["currency"] == "USD")
    assert (usd["spend_days"], usd["missing_days"], usd["days"]) == (2, 2, 0)

    refreshed = (await client.post("/api/analytics/fx-rates/refresh", headers=h)).json()
    assert refreshed["error"] is None
    assert refreshed["stored"] > 0
    # A second run fetches only what is new: nothing.
    assert (await client.post("/api/analytics/fx-rates/refresh", headers=h)).json()["stored"] == 0
    after = (await client.get("/api/analytics/fx-rates", headers=h)).json()
    usd = next(c for c in after["currencies"] if c["currency"] == "USD")
    assert usd["missing_days"] == 0
    mxn = next(c for c in after["currencies"] if c["currency"] == "MXN")
    assert mxn["missing_days"] == 1  # PTAX (the fake) has no MXN: kept apart

    # Saturday takes Friday's closing rate (the last published day).
    friday = saturday - timedelta(days=1)
    expected = Decimal(100) * ptax.rate("USD", monday) + Decimal(10) * ptax.rate("USD", friday)
    period = {"date_from": monday.isoformat(), "date_to": saturday.isoformat()}
    ads = (await client.get("/api/analytics/ads", headers=h, params=period)).json()
    dance = next(r for r in ads["rows"] if r["campaign_id"] == "333")["figures"]
    assert Decimal(dance["spend"]) == expected.quantize(Decimal("0.01"))
    assert dance["other_spend"] == []
    pesos = next(r for r in ads["rows"] if r["campaign_id"] == "555")["figures"]
    assert pesos["other_spend"] == [{"currency": "MXN", "amount": "7.00"}]
    overview = (await client.get("/api/analytics/overview", headers=h, params=period)).json()
    total = Decimal(overview["totals"]["cost"])
    assert total == (expected + Decimal(50)).quantize(Decimal("0.01"))
    assert overview["cost_note"] == "other_currency_spend"  # the MXN, said so

    # A manual rate wins over the fetched one for its day; a later fetch keeps it.
    manual = await client.put(
        "/api/analytics/fx-rates",
        headers=h,
        json={"rates": [{"currency": "USD", "day": monday.isoformat(), "rate": "4"}]},
    )
    assert manual.status_code == 200, manual.text
    await client.post("/api/analytics/fx-rates/refresh", headers=h)
    ads = (await client.get("/api/analytics/ads", headers=h, params=period)).json()
    dance = next(r for r in ads["rows"] if r["campaign_id"] == "333")["figures"]
    expected = Decimal(400) + Decimal(10) * ptax.rate("USD", friday)
    assert Decimal(dance["spend"]) == expected.quantize(Decimal("0.01"))


async def test_bad_manual_rates_are_refused_and_rates_stay_per_organization(
    client, databases, ptax
):
    site = await make_site(client, databases)
    other = await make_site(client, databases)
    today = datetime.now(UTC).date()
    for bad in (
        [{"currency": "USD", "day": today.isoformat(), "rate": "0"}],
        [{"currency": "USD", "day": today.isoformat(), "rate": "-1"}],
        [{"currency": "usd", "day": today.isoformat(), "rate": "5"}],
        [{"currency": "BRL", "day": today.isoformat(), "rate": "1"}],
        [{"currency": "USD", "day": (today + timedelta(days=2)).isoformat(), "rate": "5"}],
        [{"currency": "USD", "day": "31/01/2025", "rate": "5"}],
        [],
    ):
        refused = await client.put(
            "/api/analytics/fx-rates", headers=site.headers, json={"rates": bad}
        )
        assert refused.status_code == 422, bad
        assert "error" in refused.json()
    ok = await client.put(
        "/api/analytics/fx-rates",
        headers=site.headers,
        json={"rates": [{"currency": "USD", "day": today.isoformat(), "rate": "5.1"}] * 2},
    )
    assert ok.status_code == 200, ok.text
    mine = (await client.get("/api/analytics/fx-rates", headers=site.headers)).json()
    assert [c["days"] for c in mine["currencies"] if c["currency"] == "USD"] == [1]
    theirs = (await client.get("/api/analytics/fx-rates", headers=other.headers)).json()
    assert theirs["currencies"] == []
