"""The recovery report against a hand computation: three unpaid PIX from two
campaigns; one paid late after the reminder, one bought again through the resume link,
one lost; WhatsApp messages opened for two (one twice); another organization's case
and a sale that never needed recovering are not counted. And the cases list with its
wa.me links, and the report's errors."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from rastro.core.db import SYSTEM
from rastro.funnels.payments.service import payments
from tests.funnels.recovery import factories as r
from tests.helpers import drain_jobs

S2 = "sb" + "b" * 22
S3 = "sc" + "c" * 22
SP = ZoneInfo("America/Sao_Paulo")


def _buyer(n: int) -> dict[str, str]:
    return {
        **r.BUYER,
        "name": f"Comprador {n}",
        "email": f"c{n}@example.com",
        "phone": f"1198765432{n}",
    }


async def _scenario(client, databases, settings):
    shop = await r.make_shop(client, databases)
    await r.visit(client, shop, S2, r.landing("bf24", "IwAR0second"))
    await r.visit(client, shop, S3, r.landing("natal", "IwAR0third"))
    lost_b = None
    a = await r.checkout(client, shop)  # SESSION, bf24
    lost_b = await r.checkout(client, shop, session_id=S2, visitor_id="v" + S2[1:], buyer=_buyer(2))
    c = await r.checkout(client, shop, session_id=S3, visitor_id="v" + S3[1:], buyer=_buyer(3))
    never = await r.checkout(client, shop, session_id=None, visitor_id=None, buyer=_buyer(4))
    assert (
        await client.post(f"/api/payments/{never}/confirm", headers=shop.org.headers)
    ).is_success
    latest = max([(await r.payment(databases, shop.org, p)).created_at for p in (a, lost_b, c)])
    detected_at = latest + timedelta(minutes=16)
    assert len(await r.detect(databases, settings, detected_at)) == 3
    by_payment = {str(case.payment_id): case for case in await r.cases(databases, shop.org)}

    # A: paid late, after the reminder.
    assert (await client.post(f"/api/payments/{a}/confirm", headers=shop.org.headers)).is_success
    # C: the PIX expired; bought again through the resume link.
    third = await r.payment(databases, shop.org, c)
    async with databases.crm.transaction(SYSTEM) as session:
        await payments.expire_due(session, now=third.expires_at + timedelta(seconds=1))
    token = r.signer(settings).resume_url(by_payment[c]).rsplit("/", 1)[1]
    page = await client.get(f"{shop.base}/checkout?resume={token}")
    response = await client.post(
        f"{shop.base}/checkout",
        data={**_buyer(3), "token": r.form_token(page.text), "resume": token},
    )
    assert response.status_code == 303, response.text
    again = response.headers["location"].split("payment=", 1)[1]
    assert (
        await client.post(f"/api/payments/{again}/confirm", headers=shop.org.headers)
    ).is_success
    # WhatsApp opened for A (twice) and B.
    for payment_id in (a, a, lost_b):
        response = await client.post(
            f"/api/recovery/cases/{by_payment[payment_id].id}/whatsapp", headers=shop.org.headers
        )
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "sent"
    await drain_jobs(settings, databases)

    # Another organization's unpaid PIX: not in this report.
    other = await r.make_shop(client, databases)
    foreign = await r.checkout(client, other)
    created = (await r.payment(databases, other.org, foreign)).created_at
    assert len(await r.detect(databases, settings, created + timedelta(minutes=16))) == 1
    return shop, detected_at, other


async def test_report_figures_match_the_hand_computation(client, databases, settings):
    shop, detected_at, other = await _scenario(client, databases, settings)
    day = detected_at.astimezone(SP).date().isoformat()
    for query in (
        {"date_from": day, "date_to": day},
        {"date_from": day, "date_to": day, "funnel_id": shop.funnel_id},
    ):
        response = await client.get("/api/recovery/report", headers=shop.org.headers, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["totals"] == {
            "abandoned": 0,
            "unpaid": 3,
            "actions_sent": 2,
            "recovered": 2,
            "recovered_revenue": "194.00",
            "recovery_rate": 0.6667,
        }
        assert body["by_campaign"] == [
            {
                "utm_source": "facebook",
                "utm_campaign": "bf24",
                "abandoned": 0,
                "unpaid": 2,
                "actions_sent": 2,
                "recovered": 1,
                "recovered_revenue": "97.00",
                "recovery_rate": 0.5,
            },
            {
                "utm_source": "facebook",
                "utm_campaign": "natal",
                "abandoned": 0,
                "unpaid": 1,
                "actions_sent": 0,
                "recovered": 1,
                "recovered_revenue": "97.00",
                "recovery_rate": 1.0,
            },
        ]
        assert body["by_day"] == [
            {"day": day, "detected": 3, "recovered": 2, "recovered_revenue": "194.00"}
        ]
    before = (detected_at.astimezone(SP).date() - timedelta(days=1)).isoformat()
    response = await client.get(
        "/api/recovery/report",
        headers=shop.org.headers,
        params={"date_from": before, "date_to": before},
    )
    assert response.json()["totals"]["unpaid"] == 0
    assert response.json()["by_campaign"] == []
    assert response.json()["by_day"] == []

    # The cases list: newest first, with the wa.me link of each buyer.
    response = await client.get("/api/recovery/cases", headers=shop.org.headers)
    assert response.status_code == 200
    listed = response.json()
    assert listed["total"] == 3
    recovered = [c for c in listed["items"] if c["recovered_at"]]
    assert len(recovered) == 2
    lost = next(c for c in listed["items"] if not c["recovered_at"])
    assert lost["first_name"] == "Comprador"
    url = urlsplit(lost["whatsapp_url"])
    assert (url.scheme, url.netloc, url.path) == ("https", "wa.me", "/5511987654322")
    (text,) = parse_qs(url.query)["text"]
    assert text.startswith("Olá, Comprador! Seu PIX de R$ 97,00 para Curso Completo")
    assert f"{settings.public_url}/f/_resume/" in text
    response = await client.get(
        "/api/recovery/cases", headers=shop.org.headers, params={"recovered": "false"}
    )
    assert [c["id"] for c in response.json()["items"]] == [lost["id"]]
    # Another organization's case is neither listed nor markable here.
    response = await client.get("/api/recovery/cases", headers=other.org.headers)
    assert response.json()["total"] == 1
    response = await client.get(
        "/api/recovery/cases", headers=other.org.headers, params={"funnel_id": shop.funnel_id}
    )
    assert response.status_code == 404
    response = await client.post(
        f"/api/recovery/cases/{lost['id']}/whatsapp", headers=other.org.headers
    )
    assert response.status_code == 404


async def test_report_errors(client, databases):
    shop = await r.make_shop(client, databases)
    other = await r.make_shop(client, databases)
    cases = [
        ({"date_from": "2026-12-02", "date_to": "2026-12-01"}, 422, "invalid_period"),
        ({"date_from": "2025-01-01", "date_to": "2026-12-01"}, 422, "invalid_period"),
        (
            {"date_from": "2026-12-01", "date_to": "2026-12-01", "timezone": "Mars/Olympus"},
            422,
            "invalid_period",
        ),
        (
            {"date_from": "2026-12-01", "date_to": "2026-12-01", "funnel_id": other.funnel_id},
            404,
            "not_found",
        ),
        ({"date_from": "2026-12-01"}, 422, None),
        ({"date_from": "ontem", "date_to": "2026-12-01"}, 422, None),
    ]
    for params, status, code in cases:
        response = await client.get("/api/recovery/report", headers=shop.org.headers, params=params)
        assert response.status_code == status, (params, response.text)
        if code:
            assert response.json()["error"]["code"] == code
    response = await client.get(
        "/api/recovery/report", params={"date_from": "2026-12-01", "date_to": "2026-12-01"}
    )
    assert response.status_code == 401
