"""Checkout starts: the checkout page sends the contact as it is typed (its config names
the URL); kept once per form, validated like the checkout; a start left without a charge
past the checkout delay becomes one abandoned-checkout case (fixed clock), a start whose
form went on to generate the PIX does not."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from rastro.core.db import SYSTEM
from rastro.funnels.recovery.models import RecoveryCheckoutStart
from rastro.funnels.recovery.service.starts import KEEP, purge_checkout_starts
from tests.funnels.payments import factories as f
from tests.funnels.recovery import factories as r

LEFT = "sl" + "l" * 22
CHARGED = "sc" + "c" * 22


def _config(html: str) -> dict:
    match = re.search(
        r'<script type="application/json" id="rastro-page">(.*?)</script>', html, re.S
    )
    assert match
    return json.loads(match.group(1))


async def _start(client, shop, session_id: str, **fields: str):
    page = await client.get(f"{shop.base}/checkout")
    url = _config(page.text)["started"]
    assert url == shop.base.replace("/f/", "/f/_started/", 1) + "/checkout"
    assert "data-checkout" in page.text
    token = r.form_token(page.text)
    body = {"token": token, "rastro_session_id": session_id, **fields}
    return url, token, await client.post(url, data=body)


async def test_a_start_is_kept_once_and_validated(client, databases, settings):
    shop = await r.make_shop(client, databases)
    url, token, response = await _start(client, shop, LEFT, name="Maria", email="maria@example.com")
    assert response.status_code == 204, response.text
    again = await client.post(
        url,
        data={
            "token": token,
            "rastro_session_id": LEFT,
            "name": "Maria Souza",
            "email": "maria@example.com",
            "phone": "11987654321",
        },
    )
    assert again.status_code == 204
    (start,) = await f.rows(databases, shop.org, RecoveryCheckoutStart)
    assert start.contact == {
        "name": "Maria Souza",
        "email": "maria@example.com",
        "phone": "+5511987654321",
    }
    assert start.session_id == LEFT
    for body, status in (
        ({"token": token, "rastro_session_id": LEFT, "email": "not-an-email"}, 422),
        ({"token": token, "rastro_session_id": LEFT, "name": "Só o nome"}, 422),
        ({"rastro_session_id": LEFT, "email": "maria@example.com"}, 400),
        ({"token": token, "email": "maria@example.com"}, 400),
    ):
        response = await client.post(url, data=body)
        assert response.status_code == status, (body, response.text)
    capture = url.rsplit("/", 1)[0] + "/capture"
    assert (await client.post(capture, data={"token": token, "email": "a@b.co"})).status_code == 404
    assert (await client.post("/f/_started/nobody/none/checkout", data={})).status_code == 404
    assert len(await f.rows(databases, shop.org, RecoveryCheckoutStart)) == 1


async def test_a_start_left_without_a_charge_is_recovered_once(client, databases, settings):
    shop = await r.make_shop(client, databases)
    await r.visit(client, shop, LEFT, r.landing("natal"))
    await _start(
        client, shop, LEFT, name="Maria Souza", email="maria@example.com", phone="11987654321"
    )
    # Another buyer typed, then generated the PIX with the same form.
    page = await client.get(f"{shop.base}/checkout")
    token = r.form_token(page.text)
    started = await client.post(
        _config(page.text)["started"],
        data={"token": token, "rastro_session_id": CHARGED, "email": "joao@example.com"},
    )
    assert started.status_code == 204
    buyer = {**r.BUYER, "email": "joao@example.com", "token": token}
    assert (await client.post(f"{shop.base}/checkout", data=buyer)).status_code == 303

    starts = await f.rows(databases, shop.org, RecoveryCheckoutStart)
    typed = max(start.updated_at for start in starts)
    # At +29 minutes only João's unpaid PIX is due (its own, shorter delay).
    (pix,) = await r.detect(databases, settings, typed + timedelta(minutes=29))
    (found,) = await r.detect(databases, settings, typed + timedelta(minutes=31))
    assert await r.detect(databases, settings, typed + timedelta(minutes=40)) == []
    kinds = {c.id: c.kind for c in await r.cases(databases, shop.org)}
    assert kinds == {pix.case_id: "pix_unpaid", found.case_id: "checkout_abandoned"}
    (case,) = [c for c in await r.cases(databases, shop.org) if c.id == found.case_id]
    assert case.session_id == LEFT
    assert (case.utm_source, case.utm_campaign) == ("facebook", "natal")
    assert case.contact == {
        "name": "Maria Souza",
        "email": "maria@example.com",
        "phone": "+5511987654321",
    }
    assert (case.product_name, str(case.amount)) == ("Curso Completo", "97.00")


async def test_old_starts_are_purged(client, databases):
    shop = await r.make_shop(client, databases)
    await _start(client, shop, LEFT, email="maria@example.com")
    (start,) = await f.rows(databases, shop.org, RecoveryCheckoutStart)
    async with databases.crm.transaction(SYSTEM) as session:
        assert await purge_checkout_starts(session, before=start.updated_at) == 0
        assert await purge_checkout_starts(session, before=start.updated_at + KEEP) == 1
    assert await f.rows(databases, shop.org, RecoveryCheckoutStart) == []
