"""What the inbound CRM webhook tests share: an organization with its admin, credentials,
leads and their state, and HubSpot and generic signatures built here with hmac/hashlib,
independently of the code under test."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from sqlalchemy import func, select

from rastro.core.db import Databases, Scope
from rastro.crm.models import Activity, Contact, Deal, Lead, LeadStage
from rastro.integrations.models import WebhookDelivery
from tests.auth.factories import Account, auth_headers, make_account

HUBSPOT_SECRET = "hs-client-secret-0123456789"


@dataclass(frozen=True)
class Org:
    account: Account
    headers: dict[str, str]
    token: str

    @property
    def id(self) -> uuid.UUID:
        return self.account.organization_id

    def url(self, provider: str) -> str:
        return f"/api/webhooks/crm/{provider}/{self.token}"


async def make_org(client: httpx.AsyncClient, databases: Databases) -> Org:
    account = await make_account(databases)
    headers = await auth_headers(client, account)
    response = await client.post("/api/crm/webhooks/rotate-token", headers=headers)
    assert response.status_code == 200, response.text
    return Org(account, headers, response.json()["token"])


async def add_credential(
    client: httpx.AsyncClient, org: Org, service: str, api_key: str, api_secret: str | None = None
) -> None:
    response = await client.post(
        "/api/credentials",
        headers=org.headers,
        json={"name": service, "service": service, "api_key": api_key, "api_secret": api_secret},
    )
    assert response.status_code == 201, response.text


def sha256(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()


async def make_lead(
    databases: Databases, org: Org, *, email: str, external_id: str | None = None
) -> uuid.UUID:
    async with databases.crm.transaction(Scope.organization(org.id)) as session:
        contact = Contact(email=email, hashed_email=sha256(email), name="Maria Souza")
        session.add(contact)
        await session.flush()
        lead = Lead(
            contact_id=contact.contact_id,
            email=email,
            hashed_email=sha256(email),
            name="Maria Souza",
            external_id=external_id,
            lead_score="B",
        )
        session.add(lead)
        await session.flush()
        return lead.lead_id


@dataclass
class LeadState:
    lead: Lead
    stages: list[LeadStage]
    deals: list[Deal]
    activities: list[Activity]


async def lead_state(databases: Databases, org: Org, lead_id: uuid.UUID) -> LeadState:
    async with databases.crm.transaction(Scope.organization(org.id)) as session:
        lead = await session.get(Lead, lead_id)
        assert lead is not None
        stages = list(
            await session.scalars(
                select(LeadStage).where(LeadStage.lead_id == lead_id).order_by(LeadStage.created_at)
            )
        )
        deals = list(await session.scalars(select(Deal).where(Deal.lead_id == lead_id)))
        acts = list(
            await session.scalars(
                select(Activity)
                .where(Activity.lead_id == lead_id)
                .order_by(Activity.created_at, Activity.activity_id)
            )
        )
        return LeadState(lead, stages, deals, acts)


async def delivery_count(databases: Databases, org: Org) -> int:
    async with databases.crm.transaction(Scope.organization(org.id)) as session:
        return int(await session.scalar(select(func.count()).select_from(WebhookDelivery)) or 0)


def hubspot_headers(
    url: str, body: bytes, *, secret: str = HUBSPOT_SECRET, timestamp_ms: int | None = None
) -> dict[str, str]:
    timestamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    source = b"POST" + url.encode() + body + timestamp.encode()
    signature = base64.b64encode(hmac.new(secret.encode(), source, hashlib.sha256).digest())
    return {
        "content-type": "application/json",
        "X-HubSpot-Signature-v3": signature.decode(),
        "X-HubSpot-Request-Timestamp": timestamp,
    }


def hubspot_event(event_id: int, object_id: int, name: str, value: str) -> dict[str, Any]:
    return {
        "eventId": event_id,
        "subscriptionId": 2001,
        "portalId": 62515,
        "appId": 54321,
        "occurredAt": 1773144000000,
        "subscriptionType": "deal.propertyChange",
        "attemptNumber": 0,
        "objectId": object_id,
        "propertyName": name,
        "propertyValue": value,
        "changeSource": "CRM_UI",
    }


async def post_hubspot(
    client: httpx.AsyncClient, org: Org, events: list[dict[str, Any]], **kwargs: Any
) -> httpx.Response:
    body = orjson.dumps(events)
    url = "http://testserver" + org.url("hubspot")
    return await client.post(url, content=body, headers=hubspot_headers(url, body, **kwargs))


def generic_headers(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    digest = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {
        "content-type": "application/json",
        "X-Rastro-Timestamp": ts,
        "X-Rastro-Signature": f"sha256={digest}",
    }


# --- HubSpot ----------------------------------------------------------------------------------


def pipedrive_body(event_id: str, deal_id: int, **data: Any) -> dict[str, Any]:
    return {
        "meta": {
            "action": "change",
            "entity": "deal",
            "entity_id": str(deal_id),
            "id": event_id,
            "version": "2.0",
            "timestamp": "2026-03-10T15:00:00.000Z",
            "attempt": 1,
            "change_source": "app",
        },
        "data": {
            "id": deal_id,
            "title": "Plano anual",
            "stage_id": 4,
            "pipeline_id": 1,
            "owner_id": 18487521,
            "person_id": 3,
            **data,
        },
        "previous": {"status": "open"},
    }


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}
