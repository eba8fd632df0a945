"""The resume link: signed and expiring (altered → 400, expired → 410, another
organization's → 400, each an HTML page); it reopens the PIX while it can be paid, else
the checkout pre-filled; a sale made through it — opened from WhatsApp in a new session
without UTMs — keeps the checkout's original session, so its lead and purchase
conversion carry the original campaign and click id, and the case is recovered."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import unescape

from rastro.conversions.models import OfflineConversion
from rastro.core.db import SYSTEM
from rastro.crm.models import Lead
from rastro.funnels.payments.service import payments
from rastro.funnels.recovery.service import links
from tests.funnels.recovery import factories as r
from tests.helpers import drain_jobs
from tests.tracking.factories import ORIGIN

WHATSAPP_SESSION = "sz" + "z" * 22


async def _detected(client, databases, settings):
    shop = await r.make_shop(client, databases)
    payment_id = await r.checkout(client, shop)
    stored = await r.payment(databases, shop.org, payment_id)
    (found,) = await r.detect(databases, settings, stored.created_at + timedelta(minutes=16))
    (case,) = await r.cases(databases, shop.org)
    assert case.id == found.case_id
    token = r.signer(settings).resume_url(case).rsplit("/", 1)[1]
    return shop, payment_id, case, token


async def test_the_link_reopens_the_pending_pix(client, databases, settings):
    shop, payment_id, case, token = await _detected(client, databases, settings)
    response = await client.get(f"/f/_resume/{token}")
    assert response.status_code == 303
    assert response.headers["location"] == f"{shop.base}/checkout?payment={payment_id}"
    pix = await client.get(response.headers["location"])
    assert pix.status_code == 200
    assert "<svg" in pix.text
    (case,) = await r.cases(databases, shop.org)
    assert case.resumed_at is not None


async def test_altered_expired_and_foreign_links_are_refused(client, databases, settings):
    shop, _, case, token = await _detected(client, databases, settings)
    payload, mac = token.split(".")
    flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    # (Changed inside each part: base64's last character may carry unused bits.)
    forged_mac = mac[:3] + ("A" if mac[3] != "A" else "B") + mac[4:]
    for bad in (f"{flipped}.{mac}", f"{payload}.{forged_mac}", "nonsense", f"{payload}.{mac}.x"):
        response = await client.get(f"/f/_resume/{bad}")
        assert response.status_code == 400, bad
        assert "Link inválido" in response.text
        assert response.headers["content-type"].startswith("text/html")
    expired = links.resume_token(
        settings.secret_key_value,
        case_id=case.id,
        organization_id=case.organization_id,
        expires_at=datetime.now(UTC) - timedelta(seconds=1),
    )
    response = await client.get(f"/f/_resume/{expired}")
    assert response.status_code == 410
    assert "Link expirado" in response.text
    response = await client.get(f"{shop.base}/checkout?resume={expired}")
    assert response.status_code == 410
    # Signed with another key: not ours.
    forged = links.resume_token(
        "another-secret",
        case_id=case.id,
        organization_id=case.organization_id,
        expires_at=case.resume_expires_at,
    )
    assert (await client.get(f"/f/_resume/{forged}")).status_code == 400
    # A valid token of this organization on another organization's checkout.
    other = await r.make_shop(client, databases)
    response = await client.get(f"{other.base}/checkout?resume={token}")
    assert response.status_code == 400
    page = await client.get(f"{other.base}/checkout")
    response = await client.post(
        f"{other.base}/checkout",
        data={**r.BUYER, "token": r.form_token(page.text), "resume": token},
    )
    assert response.status_code == 400
    assert len(await r.cases(databases, other.org)) == 0


async def test_a_sale_through_the_link_is_credited_to_the_original_campaign(
    client, databases, settings
):
    shop, payment_id, case, token = await _detected(client, databases, settings)
    first = await r.payment(databases, shop.org, payment_id)
    async with databases.crm.transaction(SYSTEM) as session:
        expired = await payments.expire_due(session, now=first.expires_at + timedelta(seconds=1))
    assert expired == 1

    # The buyer taps the link in WhatsApp: a new session, no UTMs, no click id.
    await r.visit(client, shop, WHATSAPP_SESSION, f"{ORIGIN}/")
    opened = await client.get(f"/f/_resume/{token}")
    assert opened.status_code == 303
    location = opened.headers["location"]
    assert location == f"{shop.base}/checkout?resume={token}"
    page = await client.get(location)
    assert page.status_code == 200
    html = unescape(page.text)
    assert 'value="maria.souza@example.com"' in html
    assert 'value="Maria Souza"' in html
    assert f'name="resume" value="{token}"' in html
    assert "52998224725" not in html  # the CPF is not pre-filled from a link
    assert "529.982.247-25" not in html

    # A mistake in the form shows it again, still carrying the link.
    refused = await client.post(
        f"{shop.base}/checkout",
        data={**r.BUYER, "email": "", "token": r.form_token(page.text), "resume": token},
    )
    assert refused.status_code == 422
    assert f'name="resume" value="{token}"' in unescape(refused.text)
    response = await client.post(
        f"{shop.base}/checkout",
        data={
            **r.BUYER,
            "token": r.form_token(page.text),
            "resume": token,
            "rastro_session_id": WHATSAPP_SESSION,
            "rastro_visitor_id": "v" + WHATSAPP_SESSION[1:],
        },
    )
    assert response.status_code == 303, response.text
    second_id = response.headers["location"].split("payment=", 1)[1]
    assert second_id != payment_id
    second = await r.payment(databases, shop.org, second_id)
    assert (second.session_id, second.visitor_id) == (r.SESSION, r.VISITOR)
    (case,) = await r.cases(databases, shop.org)
    assert str(case.resumed_payment_id) == second_id
    assert case.recovered_at is None
    # The charge made through the link is not a new case of its own.
    assert await r.detect(databases, settings, second.created_at + timedelta(hours=2)) == []

    confirmed = await client.post(f"/api/payments/{second_id}/confirm", headers=shop.org.headers)
    assert confirmed.status_code == 200, confirmed.text
    await drain_jobs(settings, databases)
    await drain_jobs(settings, databases)

    (case,) = await r.cases(databases, shop.org)
    assert str(case.recovered_payment_id) == second_id
    assert case.recovered_amount == Decimal("97.00")
    second = await r.payment(databases, shop.org, second_id)
    (conversion,) = await r.f.rows(databases, shop.org, OfflineConversion)
    assert conversion.conversion_id == second.conversion_id
    assert conversion.order_id == f"purchase-{second_id}"
    assert conversion.fbclid == r.FBCLID  # the original click, not the WhatsApp visit's
    (lead,) = await r.f.rows(databases, shop.org, Lead, Lead.lead_id == second.lead_id)
    assert lead.session_id == r.SESSION
    assert (lead.source, lead.campaign) == ("facebook", "bf24")
    assert uuid.UUID(second_id)
