"""Profit in the reports, end to end (issue 18 part 5): sales recorded on their leads as won
deals (the checkout's path), ad spend uploaded as CSV and the organization's profit
settings give, in the Overview and the campaign report, the profit computed by hand from
the documented formula; a refund and a chargeback made today count today, against the
campaign that earned the sale, not in the period of the sale."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal as D

from sqlalchemy import update

from rastro.core.db import Scope
from rastro.crm.models import LeadStage
from rastro.crm.schemas import ExternalSale
from rastro.crm.service import sales
from tests.analytics.factories import Visit, add_visits, refresh
from tests.analytics.report_data import SAO_PAULO, sp_today
from tests.analytics.test_spend_api import post_csv
from tests.crm.factories import make_leads
from tests.tracking.factories import make_site

SETTINGS = {
    "tax_percent": "10",
    "fees": [
        {"payment_method": "pix", "percent": "1", "fixed": "0"},
        {"payment_method": None, "percent": "5", "fixed": "1.00", "chargeback_fee": "20"},
    ],
    "products": [{"product": "Curso", "cost_fixed": "50", "commission_percent": "10"}],
}


async def _sell(databases, org_id, lead_id, **sale) -> None:
    """Record the sale, then date its move to won at the sale (a checkout's sale is
    recorded within seconds of the payment: here the payment was days ago)."""
    sale = ExternalSale(origin="checkout", external_id=f"payment:{lead_id}", currency="BRL", **sale)
    async with databases.crm.transaction(Scope.organization(org_id)) as session:
        await sales.record_sale(session, lead_id, sale)
        await session.execute(
            update(LeadStage)
            .where(LeadStage.lead_id == lead_id, LeadStage.stage_name == "won")
            .values(created_at=sale.sold_at)
        )


def _figures(body: dict) -> dict[str, D]:
    return {k: D(str(v)) for k, v in body.items() if k not in ("margin", "poas")}


async def test_profit_in_overview_and_campaigns_matches_the_hand_computation(client, databases):
    site = await make_site(client, databases)
    org = site.account.organization_id
    today = sp_today()
    sale_day = today - timedelta(days=3)
    sold_at = datetime.combine(sale_day, time(12), tzinfo=SAO_PAULO).astimezone(UTC)
    created = sold_at - timedelta(days=2)
    spring = await make_leads(databases, org, 2, campaign="spring", created_at=created)
    (promo,) = await make_leads(
        databases,
        org,
        source="facebook",
        medium="paid",
        campaign="promo",
        channel="Paid Social",
        created_at=created,
    )
    now = datetime.now(UTC) - timedelta(minutes=1)
    await _sell(databases, org, spring[0].lead_id, value=D("1000"), sold_at=sold_at,
                product="Curso", payment_method="pix")  # fmt: skip
    await _sell(databases, org, spring[1].lead_id, value=D("500"), sold_at=sold_at,
                product="Ebook", payment_method="credit_card", refunded_at=now)  # fmt: skip
    await _sell(databases, org, promo.lead_id, value=D("300"), sold_at=sold_at,
                product="curso ", payment_method="credit_card", chargeback_at=now)  # fmt: skip
    saved = await client.put("/api/analytics/profit/settings", headers=site.headers, json=SETTINGS)
    assert saved.status_code == 200, saved.text
    csv = f"day,campaign,spend\n{sale_day},spring,400\n{sale_day},promo,100\n".encode()
    mapping = {"day": "day", "campaign_name": "campaign", "spend": "spend"}
    uploaded = await post_csv(
        client, site, "csv", csv, mapping=json.dumps(mapping), currency="BRL", source="meta"
    )
    assert uploaded.status_code == 201, uploaded.text
    # Visits of both campaigns on the sale day: the spend joins them by campaign name.
    visits = [
        Visit(sold_at - timedelta(hours=1), f"v{n}", campaign=campaign, source=source)
        for n, (campaign, source) in enumerate([("spring", "google"), ("promo", "facebook")])
    ]
    await add_visits(databases, org, site.domain["domain_id"], visits)
    await refresh(databases, org, full=True)

    async def report(path: str, first, last, **params) -> dict:
        response = await client.get(
            f"/api/analytics/{path}",
            headers=site.headers,
            params={"date_from": str(first), "date_to": str(last), **params},
        )
        assert response.status_code == 200, response.text
        return response.json()

    # The sales' period: every sale, nothing given back yet.
    # spring: 1000 PIX (fee 1 % = 10; Curso: cost 50, commission 10 % = 100) and 500 card
    # (fee 5 % + 1 = 26, no product rule); tax 10 % of 1500; spend 400.
    spring_profit = D("1500") - D("36") - D("150") - D("50") - D("100") - D("400")
    # promo: 300 card (fee 16; " curso" is Curso: cost 50, commission 30); tax 30; spend 100.
    promo_profit = D("300") - D("16") - D("30") - D("50") - D("30") - D("100")
    rows = await report("campaigns", sale_day - timedelta(days=2), sale_day, group_by="campaign")
    by_campaign = {row["campaign"]: row["current"] for row in rows["rows"]}
    spring_row = _figures(by_campaign["spring"]["profit"])
    assert spring_row == {
        "revenue": D("1500"), "refunds": 0, "chargebacks": 0, "net_revenue": D("1500"),
        "fees": D("36"), "taxes": D("150"), "product_costs": D("50"), "commissions": D("100"),
        "ad_spend": D("400"), "profit": spring_profit,
    }  # fmt: skip
    assert _figures(by_campaign["promo"]["profit"])["profit"] == promo_profit
    assert by_campaign["spring"]["profit"]["poas"] == float((spring_profit + 400) / 400)
    overview = await report("overview", sale_day - timedelta(days=2), sale_day)
    totals = _figures(overview["totals"]["profit"])
    assert (totals["revenue"], totals["profit"]) == (D("1800"), spring_profit + promo_profit)

    # Today: the refund (spring) and the chargeback (promo), with no sale and no spend.
    rows = await report("campaigns", today, today, group_by="campaign")
    by_campaign = {row["campaign"]: row["current"] for row in rows["rows"]}
    refund = _figures(by_campaign["spring"]["profit"])
    assert (refund["revenue"], refund["refunds"], refund["net_revenue"]) == (0, 500, -500)
    assert refund["profit"] == D("-500") - D("-50")  # the tax on -500 comes back
    chargeback = _figures(by_campaign["promo"]["profit"])
    assert (chargeback["chargebacks"], chargeback["fees"]) == (D("300"), D("20"))
    assert chargeback["profit"] == D("-300") - D("20") - D("-30")
    overview = await report("overview", today, today)
    totals = _figures(overview["totals"]["profit"])
    assert (totals["refunds"], totals["chargebacks"]) == (D("500"), D("300"))
    assert totals["profit"] == refund["profit"] + chargeback["profit"]
