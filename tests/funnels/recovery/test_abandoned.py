"""Abandoned checkouts: a visitor who left their contact on the capture step, reached
the checkout and went quiet for the funnel's checkout delay becomes one case (fixed
clock), with the checkout's offer and the campaign of their session; a visitor without
contact data, or one who generated a PIX, does not; coming back through the resume link
and paying recovers it, credited to the original session."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from rastro.core.db import Scope
from rastro.tracking.models import TrackedSession
from tests.funnels.recovery import factories as r
from tests.helpers import drain_jobs
from tests.tracking.factories import batch, collect, event

NO_CONTACT = "sn" + "n" * 22
CHARGED = "sk" + "k" * 22


async def _capture(client, shop, session_id: str) -> None:
    page = await client.get(f"{shop.base}/capture")
    response = await client.post(
        f"{shop.base}/capture",
        data={
            "name": "Maria Souza",
            "email": "maria.souza@example.com",
            "phone": "11987654321",
            "token": r.form_token(page.text),
            "rastro_session_id": session_id,
        },
    )
    assert response.status_code == 303, response.text


async def _on_checkout(client, shop, session_id: str) -> None:
    """The buyer's browser opens the checkout (with the tracker's cookie); the tracker's
    page view of it places the session on the step (the page itself writes nothing)."""
    client.cookies.set("_rastro_s", session_id)
    try:
        assert (await client.get(f"{shop.base}/checkout")).status_code == 200
    finally:
        client.cookies.clear()
    visitor = r.VISITOR if session_id == r.SESSION else "v" + session_id[1:]
    view = event(url=f"http://testserver{shop.base}/checkout", view_id=f"pv-co-{session_id}")
    response = await collect(
        client, batch(shop.site, [view], session_id=session_id, visitor_id=visitor)
    )
    assert response.json()["accepted"] == 1, response.text


async def _last_activity(databases, shop, session_id: str):
    async with databases.bi.transaction(Scope.organization(shop.org.id)) as bi:
        return await bi.scalar(
            select(TrackedSession.last_activity_at).where(
                TrackedSession.client_session_id == session_id
            )
        )


async def test_a_checkout_left_with_contact_data_is_detected_once(client, databases, settings):
    shop = await r.make_shop(client, databases)
    await _capture(client, shop, r.SESSION)
    await _on_checkout(client, shop, r.SESSION)
    # Reached the checkout without contact data; and one who generated a PIX.
    await r.visit(client, shop, NO_CONTACT, r.landing("natal"))
    await _on_checkout(client, shop, NO_CONTACT)
    await r.visit(client, shop, CHARGED, r.landing("natal"))
    charged = await r.checkout(client, shop, session_id=CHARGED, visitor_id=None)
    assert (
        await client.post(f"/api/payments/{charged}/confirm", headers=shop.org.headers)
    ).is_success

    idle = await _last_activity(databases, shop, r.SESSION)
    assert await r.detect(databases, settings, idle + timedelta(minutes=29)) == []
    (found,) = await r.detect(databases, settings, idle + timedelta(minutes=30, seconds=1))
    assert await r.detect(databases, settings, idle + timedelta(minutes=45)) == []

    (case,) = await r.cases(databases, shop.org)
    assert case.id == found.case_id
    assert case.kind == "checkout_abandoned"
    assert case.payment_id is None
    assert str(case.step_id) == shop.checkout_id
    assert (case.session_id, case.utm_source, case.utm_campaign) == (r.SESSION, "facebook", "bf24")
    assert (case.product_name, case.amount) == ("Curso Completo", Decimal("97.00"))
    assert case.contact["email"] == "maria.souza@example.com"
    assert found.channels == ("whatsapp",)


async def test_coming_back_through_the_link_recovers_the_checkout(client, databases, settings):
    shop = await r.make_shop(client, databases)
    await _capture(client, shop, r.SESSION)
    await _on_checkout(client, shop, r.SESSION)
    idle = await _last_activity(databases, shop, r.SESSION)
    await r.detect(databases, settings, idle + timedelta(minutes=31))
    (case,) = await r.cases(databases, shop.org)
    token = r.signer(settings).resume_url(case).rsplit("/", 1)[1]

    opened = await client.get(f"/f/_resume/{token}")
    assert opened.headers["location"] == f"{shop.base}/checkout?resume={token}"
    page = await client.get(opened.headers["location"])
    assert 'value="maria.souza@example.com"' in page.text
    response = await client.post(
        f"{shop.base}/checkout",
        data={**r.BUYER, "token": r.form_token(page.text), "resume": token},
    )
    assert response.status_code == 303, response.text
    payment_id = response.headers["location"].split("payment=", 1)[1]
    stored = await r.payment(databases, shop.org, payment_id)
    assert stored.session_id == r.SESSION
    # The charge belongs to the checkout being recovered: not a second case.
    assert await r.detect(databases, settings, stored.created_at + timedelta(hours=1)) == []
    assert (
        await client.post(f"/api/payments/{payment_id}/confirm", headers=shop.org.headers)
    ).is_success
    await drain_jobs(settings, databases)
    (case,) = await r.cases(databases, shop.org)
    assert (str(case.resumed_payment_id), str(case.recovered_payment_id)) == (
        payment_id,
        payment_id,
    )
    assert case.recovered_amount == Decimal("97.00")
