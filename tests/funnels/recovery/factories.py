"""Factories for the recovery tests: an organization with a tracked session that came
from a Facebook campaign, a funnel with a static PIX checkout, a checkout submitted
through the public page, and the detection run at a fixed clock."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select

from rastro.config import Settings
from rastro.core.db import Databases, Scope
from rastro.core.units import TransactionBoundary
from rastro.funnels.payments.models import Payment
from rastro.funnels.recovery.models import RecoveryAction, RecoveryCase
from rastro.funnels.recovery.service import actions as actions_service
from rastro.funnels.recovery.service import detection
from tests.funnels.builder import factories as b
from tests.funnels.payments import factories as f
from tests.tracking.factories import ORIGIN, batch, collect, event, make_site

SESSION = "sr" + "r" * 22
VISITOR = "vw" + "w" * 22
FBCLID = "IwAR0recoveryclick"
BUYER = {
    "name": "Maria Souza",
    "email": "maria.souza@example.com",
    "phone": "11987654321",
    "document": "529.982.247-25",
}


def landing(campaign: str, fbclid: str = FBCLID) -> str:
    return (
        f"{ORIGIN}/lp?utm_source=facebook&utm_medium=paid_social&utm_campaign={campaign}"
        f"&fbclid={fbclid}"
    )


@dataclass
class Shop:
    org: f.Org
    site: Any
    made: dict[str, Any]
    base: str

    @property
    def funnel_id(self) -> str:
        return str(self.made["funnel"]["id"])

    @property
    def checkout_id(self) -> str:
        return str(self.made["steps"]["checkout"]["id"])


async def visit(client: httpx.AsyncClient, shop: Shop, session_id: str, url: str) -> None:
    """A tracked visit of `session_id` landing on `url`."""
    response = await collect(
        client,
        batch(
            shop.site,
            [event(url=url, view_id=f"pv-{session_id}", offset=-600)],
            session_id=session_id,
            visitor_id="v" + session_id[1:],
        ),
    )
    assert response.json()["accepted"] == 1, response.text


async def make_shop(client: httpx.AsyncClient, databases: Databases) -> Shop:
    site = await make_site(client, databases)
    org = f.Org(site.account, site.headers)
    response = await collect(
        client,
        batch(
            site,
            [event(url=landing("bf24"), view_id="pv1", offset=-600)],
            session_id=SESSION,
            visitor_id=VISITOR,
        ),
    )
    assert response.json()["accepted"] == 1, response.text
    await f.add_static_pix(client, org)
    made = await b.full_funnel(client, org, slug="oferta")
    base = made["steps"]["capture"]["public_path"].rsplit("/", 1)[0]
    return Shop(org, site, made, base)


def form_token(html: str) -> str:
    match = re.search(r'name="token" value="([0-9a-f]{32})"', html)
    assert match
    return match.group(1)


async def checkout(
    client: httpx.AsyncClient,
    shop: Shop,
    *,
    session_id: str | None = SESSION,
    visitor_id: str | None = VISITOR,
    buyer: dict[str, str] | None = None,
) -> str:
    """Submit the checkout page's form; the payment's id."""
    page = await client.get(f"{shop.base}/checkout")
    data = {**(buyer or BUYER), "token": form_token(page.text)}
    if session_id:
        data["rastro_session_id"] = session_id
    if visitor_id:
        data["rastro_visitor_id"] = visitor_id
    response = await client.post(f"{shop.base}/checkout", data=data)
    assert response.status_code == 303, response.text
    return str(response.headers["location"].split("payment=", 1)[1])


def signer(settings: Settings) -> actions_service.LinkSigner:
    return actions_service.link_signer(settings)


async def detect(
    databases: Databases, settings: Settings, now: datetime
) -> list[actions_service.Detected]:
    return await detection.detect_due(
        TransactionBoundary(databases.crm),
        TransactionBoundary(databases.bi),
        signer=signer(settings),
        now=now,
    )


async def payment(databases: Databases, org: f.Org, payment_id: str) -> Payment:
    (row,) = await f.rows(databases, org, Payment, Payment.id == uuid.UUID(payment_id))
    return row


async def cases(databases: Databases, org: f.Org) -> list[RecoveryCase]:
    return await f.rows(databases, org, RecoveryCase)


async def actions(databases: Databases, org: f.Org) -> list[RecoveryAction]:
    async with databases.crm.transaction(Scope.organization(org.id)) as session:
        return list(await session.scalars(select(RecoveryAction).order_by(RecoveryAction.channel)))
