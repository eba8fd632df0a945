"""Detection: an unpaid PIX becomes a recovery case only once the funnel's delay has
passed (fixed clock), once per payment however often the job runs, with the campaign of
the checkout's session; a paid one, a disabled funnel's, or one the buyer paid again
never do; a listener of `on_recovery_opportunity` (the e-mail module's call point) gets
the buyer, the PIX code and the resume link, and its action is recorded once."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import update

from rastro.core.db import Scope
from rastro.funnels.payments.models import Payment
from rastro.funnels.recovery.schemas import RecoveryOpportunity
from rastro.funnels.recovery.service import hooks
from tests.funnels.payments import factories as f
from tests.funnels.recovery import factories as r


async def test_unpaid_pix_is_detected_after_the_delay_and_once(client, databases, settings):
    shop = await r.make_shop(client, databases)
    payment_id = await r.checkout(client, shop)
    created = (await r.payment(databases, shop.org, payment_id)).created_at

    assert await r.detect(databases, settings, created + timedelta(minutes=14, seconds=59)) == []
    assert await r.cases(databases, shop.org) == []

    (found,) = await r.detect(databases, settings, created + timedelta(minutes=15, seconds=1))
    assert found.channels == ("whatsapp",)  # no webhook configured; the buyer left a phone
    for minutes in (16, 60):
        assert await r.detect(databases, settings, created + timedelta(minutes=minutes)) == []

    (case,) = await r.cases(databases, shop.org)
    assert case.id == found.case_id
    assert str(case.payment_id) == payment_id
    assert case.kind == "pix_unpaid"
    assert (case.utm_source, case.utm_campaign) == ("facebook", "bf24")
    assert (case.session_id, case.visitor_id) == (r.SESSION, r.VISITOR)
    assert case.amount == Decimal("97.00")
    assert case.product_name == "Curso Completo"
    assert case.contact["phone"] == "+5511987654321"
    assert case.detected_at == created + timedelta(minutes=15, seconds=1)
    assert case.resume_expires_at == case.detected_at + timedelta(hours=72)
    (action,) = await r.actions(databases, shop.org)
    assert (action.channel, action.status) == ("whatsapp", "pending")


async def test_the_funnels_own_delay_and_switch(client, databases, settings):
    shop = await r.make_shop(client, databases)
    response = await client.put(
        f"/api/funnels/{shop.funnel_id}/recovery/settings",
        headers=shop.org.headers,
        json={"pix_delay_minutes": 45},
    )
    assert response.status_code == 200, response.text
    payment_id = await r.checkout(client, shop)
    created = (await r.payment(databases, shop.org, payment_id)).created_at
    assert await r.detect(databases, settings, created + timedelta(minutes=44)) == []
    response = await client.put(
        f"/api/funnels/{shop.funnel_id}/recovery/settings",
        headers=shop.org.headers,
        json={"pix_delay_minutes": 45, "enabled": False},
    )
    assert response.status_code == 200, response.text
    assert await r.detect(databases, settings, created + timedelta(minutes=46)) == []
    response = await client.put(
        f"/api/funnels/{shop.funnel_id}/recovery/settings",
        headers=shop.org.headers,
        json={"pix_delay_minutes": 45},
    )
    assert len(await r.detect(databases, settings, created + timedelta(minutes=46))) == 1


async def test_paid_or_paid_again_is_not_recovered(client, databases, settings):
    shop = await r.make_shop(client, databases)
    paid = await r.checkout(client, shop)
    response = await client.post(f"/api/payments/{paid}/confirm", headers=shop.org.headers)
    assert response.status_code == 200, response.text
    # Another buyer's first PIX went unpaid, then they generated a second one and paid it.
    other = {**r.BUYER, "email": "joao@example.com", "phone": "11912345678"}
    first = await r.checkout(client, shop, session_id=None, visitor_id=None, buyer=other)
    second = await r.checkout(client, shop, session_id=None, visitor_id=None, buyer=other)
    assert first != second
    response = await client.post(f"/api/payments/{second}/confirm", headers=shop.org.headers)
    assert response.status_code == 200, response.text
    created = (await r.payment(databases, shop.org, first)).created_at
    assert await r.detect(databases, settings, created + timedelta(hours=1)) == []


async def test_a_listener_takes_the_email_channel_once(client, databases, settings):
    seen: list[RecoveryOpportunity] = []

    async def pix_unpaid_email(session, opportunity: RecoveryOpportunity) -> str | None:
        seen.append(opportunity)
        return "email"

    hooks.on_recovery_opportunity(pix_unpaid_email)
    try:
        shop = await r.make_shop(client, databases)
        payment_id = await r.checkout(client, shop)
        stored = await r.payment(databases, shop.org, payment_id)
        now = stored.created_at + timedelta(minutes=20)
        (found,) = await r.detect(databases, settings, now)
        assert await r.detect(databases, settings, now + timedelta(minutes=5)) == []
    finally:
        hooks.remove_listener(pix_unpaid_email)
    assert found.channels == ("whatsapp", "email")
    (opportunity,) = seen
    assert opportunity.kind == "pix_unpaid"
    assert (opportunity.first_name, opportunity.email) == ("Maria", "maria.souza@example.com")
    assert opportunity.product_name == "Curso Completo"
    assert opportunity.amount == Decimal("97.00")
    assert opportunity.pix_copy_paste == stored.pix_copy_paste  # still payable at +20 min
    assert opportunity.resume_url.startswith(f"{settings.public_url}/f/_resume/")
    assert opportunity.language == "pt-BR"
    channels = [(a.channel, a.status) for a in await r.actions(databases, shop.org)]
    assert channels == [("email", "sent"), ("whatsapp", "pending")]


async def test_settings_api_defaults_and_errors(client, databases):
    shop = await r.make_shop(client, databases)
    url = f"/api/funnels/{shop.funnel_id}/recovery/settings"
    response = await client.get(url, headers=shop.org.headers)
    assert response.status_code == 200
    assert response.json()["is_default"] is True
    assert response.json()["pix_delay_minutes"] == 15
    for body in (
        {"pix_delay_minutes": 2},
        {"language": "es"},
        {"whatsapp_message": "Oi {nome}! {link}"},
        {"whatsapp_message": "Oi {first_name}, sem link"},
    ):
        response = await client.put(url, headers=shop.org.headers, json=body)
        assert response.status_code == 422, body
        assert response.json()["error"]["code"] in ("validation_error", "invalid_request")
    # A credential that is not a webhook's, and another organization's funnel.
    stripe_like = await f.add_static_pix(client, shop.org)
    response = await client.put(
        url, headers=shop.org.headers, json={"webhook_credential_id": stripe_like}
    )
    assert response.status_code == 422
    other = await f.make_org(client, databases)
    response = await client.get(url, headers=other.headers)
    assert response.status_code == 404
    response = await client.put(url, headers=other.headers, json={})
    assert response.status_code == 404
    assert (await client.get(url, headers=shop.org.headers)).json()["is_default"] is True


async def test_a_boleto_waits_for_its_own_delay(client, databases, settings):
    shop = await r.make_shop(client, databases)
    payment_id = await r.checkout(client, shop)
    async with databases.crm.transaction(Scope.organization(shop.org.id)) as session:
        await session.execute(
            update(Payment)
            .where(Payment.id == uuid.UUID(payment_id))
            .values(payment_method="boleto", pix_copy_paste=None)
        )
    created = (await r.payment(databases, shop.org, payment_id)).created_at
    assert await r.detect(databases, settings, created + timedelta(hours=23, minutes=59)) == []
    (found,) = await r.detect(databases, settings, created + timedelta(hours=24, minutes=1))
    (case,) = await r.cases(databases, shop.org)
    assert case.kind == "boleto_unpaid"
    assert case.id == found.case_id
