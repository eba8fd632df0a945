"""The public checkout's limits per IP address and hour, counted in the database (every
server process counts the same hits): the contact updates of `/f/_started/…` get a 429
in the error envelope with Retry-After, the checkout form a 429 page, with nothing kept
past the limit; another address, or another organization, is counted apart; the 429 is
in the OpenAPI schema."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from rastro.core import rate_limits
from rastro.core.db import Scope
from rastro.funnels.payments.models import Payment
from rastro.funnels.recovery.models import RecoveryCheckoutStart
from tests.auth.factories import make_account
from tests.funnels.payments import factories as f
from tests.funnels.recovery import factories as r
from tests.funnels.recovery.test_starts import _config


def _limits(app, **limits: int) -> None:
    app.state.settings = app.state.settings.model_copy(update=limits)


async def test_checkout_starts_past_the_limit_are_429(app, client, databases):
    _limits(app, checkout_starts_per_ip_hour=3)
    shop = await r.make_shop(client, databases)
    page = await client.get(f"{shop.base}/checkout")
    url = _config(page.text)["started"]
    body = {"rastro_session_id": r.SESSION, "email": "maria@example.com"}
    for n in range(3):
        ok = await client.post(url, data={**body, "token": f"{n:032x}"})
        assert ok.status_code == 204, ok.text
    refused = await client.post(url, data={**body, "token": "f" * 32})
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_requests"
    assert 0 < int(refused.headers["retry-after"]) <= 3600
    assert len(await f.rows(databases, shop.org, RecoveryCheckoutStart)) == 3
    # Another address is counted apart.
    transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        assert (await other.post(url, data={**body, "token": "e" * 32})).status_code == 204


async def test_checkout_charges_past_the_limit_get_a_429_page(app, client, databases):
    _limits(app, checkout_charges_per_ip_hour=2)
    shop = await r.make_shop(client, databases)
    for _ in range(2):
        await r.checkout(client, shop)
    page = await client.get(f"{shop.base}/checkout")
    refused = await client.post(
        f"{shop.base}/checkout", data={**r.BUYER, "token": r.form_token(page.text)}
    )
    assert refused.status_code == 429
    assert "Muitas tentativas" in refused.text
    assert int(refused.headers["retry-after"]) > 0
    assert len(await f.rows(databases, shop.org, Payment)) == 2
    # Another organization's checkout is counted apart.
    other = await r.make_shop(client, databases)
    await r.checkout(client, other)


async def test_a_new_window_counts_from_one(databases):
    now = datetime(2026, 12, 6, 10, 59, 59, tzinfo=UTC)
    account = await make_account(databases)
    shop_org = account.organization_id
    hit = {
        "organization_id": shop_org,
        "bucket": "funnel_charge",
        "key": "203.0.113.7",
        "limit": 1,
        "window": timedelta(hours=1),
    }
    async with databases.crm.transaction(Scope.organization(shop_org)) as crm:
        await rate_limits.hit(crm, **hit, now=now)
        with pytest.raises(rate_limits.TooManyRequests) as refused:
            await rate_limits.hit(crm, **hit, now=now)
        assert refused.value.headers["Retry-After"] == "1"
        await rate_limits.hit(crm, **hit, now=now + timedelta(seconds=1))  # 11:00: new window
        assert await rate_limits.purge_counters(crm, before=now + timedelta(hours=1)) == 1


async def test_the_limits_429_is_in_the_openapi_schema(client):
    schema = (await client.get("/api/openapi.json")).json()
    for path in (
        "/f/_started/{organization_slug}/{funnel_slug}/{step_slug}",
        "/f/{organization_slug}/{funnel_slug}/{step_slug}",
    ):
        assert "429" in schema["paths"][path]["post"]["responses"], path
    assert "get" not in schema["paths"]["/f/{organization_slug}/{funnel_slug}/{step_slug}"]
