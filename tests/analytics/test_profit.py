"""Profit (issue 18 part 5): the calculator against a hand computation, and the profit
settings' API (round trip, bad input refused, one organization's rules its own)."""

from __future__ import annotations

from decimal import Decimal as D

from rastro.analytics.service.profit import (
    FeeRule,
    GivenBack,
    ProductRule,
    Rules,
    Sales,
    compute_profit,
)
from tests.tracking.factories import make_site

RULES = Rules(
    tax_percent=D("6"),
    fees={
        "pix": FeeRule(percent=D("0.99"), fixed=D("0")),
        None: FeeRule(percent=D("4.99"), fixed=D("0.49"), chargeback_fee=D("15")),
    },
    products={
        "curso": ProductRule(cost_fixed=D("10"), commission_percent=D("30")),
        None: ProductRule(cost_percent=D("5")),
    },
)


def test_profit_equals_the_hand_computation() -> None:
    sales = [
        # Two PIX sales of the course, 1,000 in all, no commission named: 30 % of it.
        Sales(payment_method="pix", product=" Curso ", count=2, revenue=D("1000")),
        # One card sale of another product, 200, naming its own commission of 20.
        Sales(
            payment_method="credit_card",
            product="Ebook",
            count=1,
            revenue=D("200"),
            commission_given=D("20"),
            revenue_without_commission=D("0"),
        ),
    ]
    back = [
        GivenBack(
            payment_method="credit_card", refunds=D("50"), chargebacks=D("100"), chargeback_count=1
        )
    ]
    p = compute_profit(RULES, sales, back, ad_spend=D("300"))
    # Fees: PIX 0.99 % of 1000 = 9.90; card 4.99 % of 200 + 0.49 = 10.47; chargeback 15.
    assert p.fees == D("35.37")
    assert (p.revenue, p.refunds, p.chargebacks) == (D("1200.00"), D("50.00"), D("100.00"))
    assert p.net_revenue == D("1050.00")
    assert p.taxes == D("63.00")  # 6 % of net revenue
    # Costs: course 2 x 10; the other product 5 % of 200.
    assert p.product_costs == D("30.00")
    assert p.commissions == D("320.00")  # 30 % of 1000 + the sale's own 20
    assert p.profit == D("1050") - D("35.37") - D("63") - D("30") - D("320") - D("300")
    assert p.poas == float((p.profit + D("300")) / D("300"))
    assert p.margin == float(p.profit / D("1050"))


def test_no_spend_and_no_sales_give_no_ratios() -> None:
    p = compute_profit(Rules(), [], ad_spend=None)
    assert p.profit == 0
    assert p.margin is None
    assert p.poas is None


async def test_settings_round_trip_refuse_bad_input_and_stay_per_organization(client, databases):
    site = await make_site(client, databases)
    other = await make_site(client, databases)
    url = "/api/analytics/profit/settings"
    empty = (await client.get(url, headers=site.headers)).json()
    assert (empty["fees"], empty["products"], empty["currency"]) == ([], [], "BRL")
    body = {
        "tax_percent": "6",
        "fees": [
            {"payment_method": " PIX", "percent": "0.99", "fixed": "0"},
            {"payment_method": None, "percent": "4.99", "fixed": "0.49", "chargeback_fee": "15"},
        ],
        "products": [{"product": "Curso", "cost_fixed": "10", "commission_percent": "30"}],
    }
    saved = await client.put(url, headers=site.headers, json=body)
    assert saved.status_code == 200, saved.text
    again = (await client.get(url, headers=site.headers)).json()
    methods = {f["payment_method"]: D(f["percent"]) for f in again["fees"]}
    assert methods == {"pix": D("0.99"), None: D("4.99")}
    assert D(again["tax_percent"]) == 6
    assert again["products"][0]["product"] == "Curso"
    for bad in (
        {**body, "tax_percent": "101"},
        {**body, "fees": [{"payment_method": "pix", "percent": "-1", "fixed": "0"}]},
        {**body, "fees": [{"payment_method": "pix", "percent": "1", "fixed": "0.001"}]},
        {**body, "fees": body["fees"] + [{"payment_method": "pix", "percent": "1", "fixed": "0"}]},
        {**body, "products": [{"product": "Curso"}, {"product": " curso"}]},
        {**body, "unknown": 1},
    ):
        refused = await client.put(url, headers=site.headers, json=bad)
        assert refused.status_code == 422, bad
        assert "error" in refused.json()
    # Nothing stored was lost by the refusals, and the other organization has no rules.
    assert (await client.get(url, headers=site.headers)).json() == again
    assert (await client.get(url, headers=other.headers)).json()["fees"] == []
