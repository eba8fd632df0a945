"""Factories for the conversions tests: an organization with a Meta account on the fake,
leads with the click ids capture copies, conversions through the API, sync runs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from rastro.config import Settings
from rastro.conversions.service.sync import SyncConfig, SyncReport, run_sync
from rastro.core.db import Databases, Scope
from rastro.core.security import Keyring
from rastro.core.units import TransactionBoundary
from tests.auth.factories import Account, auth_headers, make_account
from tests.crm.factories import make_leads
from tests.fakes.meta import FakeMeta
from tests.fakes.utmify import FakeUtmify
from tests.tracking.factories import ORIGIN, batch, collect, event

META_TOKEN = "EAAB-fake-system-user-token-1234"
DATASET_ID = "1234567890123"
UTMIFY_TOKEN = "utmify-fake-api-credential-5678"
FAST = SyncConfig(timeout=2.0, retry_base_seconds=1.0, max_attempts=4, breaker_failures=5)


@dataclass
class Org:
    account: Account
    headers: dict[str, str]
    credential_id: str | None

    @property
    def id(self) -> uuid.UUID:
        return self.account.organization_id


async def make_org(
    client: httpx.AsyncClient,
    databases: Databases,
    meta: FakeMeta | None,
    *,
    token: str = META_TOKEN,
    dataset_id: str = DATASET_ID,
) -> Org:
    """An organization whose admin is signed in, with a Meta credential on the fake."""
    account = await make_account(databases)
    headers = await auth_headers(client, account)
    credential_id = None
    if meta is not None:
        response = await client.post(
            "/api/credentials",
            headers=headers,
            json={
                "name": "Meta dataset",
                "service": "meta",
                "api_key": token,
                "api_url": meta.url,
                "settings": {"pixel_id": dataset_id},
            },
        )
        assert response.status_code == 201, response.text
        credential_id = response.json()["id"]
    return Org(account, headers, credential_id)


async def make_lead(
    databases: Databases,
    org: Org,
    *,
    click_ids: dict[str, str] | None = None,
    clicked_at: datetime | None = None,
    consent: dict[str, bool] | None = None,
    **fields: Any,
) -> uuid.UUID:
    """A lead as capture stores it, with `metadata.click_ids` from its credited touch (and
    `metadata.consent` when the site asked for consent)."""
    metadata: dict[str, Any] = {}
    if consent is not None:
        metadata["consent"] = consent
    if click_ids:
        at = clicked_at or datetime.now(UTC) - timedelta(hours=2)
        metadata["click_ids"] = {**click_ids, "clicked_at": at.isoformat()}
    fields.setdefault("phone", "+5511987654321")
    (row,) = await make_leads(databases, org.id, metadata_=metadata, **fields)
    return row.lead_id


async def create_conversion(
    client: httpx.AsyncClient, org: Org, lead_id: uuid.UUID, **body: Any
) -> dict[str, Any]:
    response = await client.post(
        "/api/conversions",
        headers=org.headers,
        json={"lead_id": str(lead_id), "conversion_value": "250.00", **body},
    )
    assert response.status_code == 201, response.text
    out: dict[str, Any] = response.json()
    return out


async def sync(
    settings: Settings,
    databases: Databases,
    config: SyncConfig = FAST,
    *,
    now: datetime | None = None,
    organization_id: uuid.UUID | None = None,
) -> SyncReport:
    return await run_sync(
        TransactionBoundary(databases.crm),
        TransactionBoundary(databases.bi),
        Keyring(settings.encryption_key_value),
        config,
        now=now,
        organization_id=organization_id,
    )


async def rows(databases: Databases, org: Org, model: Any, *where: Any) -> list[Any]:
    async with databases.crm.transaction(Scope.organization(org.id)) as session:
        return list(await session.scalars(select(model).where(*where)))


def platform_sync(conversion: dict[str, Any], platform: str) -> dict[str, Any]:
    """One platform's delivery of a conversion as the API returns it."""
    found: dict[str, Any] = next(p for p in conversion["platforms"] if p["platform"] == platform)
    return found


def platform_health(health: list[dict[str, Any]], platform: str) -> dict[str, Any]:
    """One platform's entry of `GET /api/conversions/health`."""
    found: dict[str, Any] = next(h for h in health if h["platform"] == platform)
    return found


async def add_utmify(
    client: httpx.AsyncClient,
    org: Org,
    utmify: FakeUtmify,
    *,
    token: str = UTMIFY_TOKEN,
    settings: dict[str, Any] | None = None,
) -> str:
    """A UTMify credential of the organization on the fake; returns its id."""
    response = await client.post(
        "/api/credentials",
        headers=org.headers,
        json={
            "name": "UTMify",
            "service": "utmify",
            "api_key": token,
            "api_url": utmify.url,
            "settings": settings or {},
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def tracked_won_lead(
    client: httpx.AsyncClient,
    site: Any,
    *,
    landing: str,
    session: str,
    visitor: str,
    name: str,
    email: str,
    phone: str,
    referrer: str | None = None,
    view_id: str = "pv1",
    headers: dict[str, str] | None = None,
) -> str:
    """A tracked visit on `landing` ten minutes ago, a lead captured in its session, and the
    lead moved to won (BRL 1,500) with `headers` (the site's by default); the lead's id."""
    fields = {"url": landing, "view_id": view_id} | ({"referrer": referrer} if referrer else {})
    visit = batch(
        site,
        [event(offset=-600, **fields)],
        session_id=session,
        visitor_id=visitor,
    )
    assert (await collect(client, visit)).json()["accepted"] == 1
    captured = await client.post(
        "/api/leads",
        headers={"origin": ORIGIN},
        json={
            "site": site.key,
            "name": name,
            "email": email,
            "phone": phone,
            "page_url": f"{ORIGIN}/lp",
            "rastro_session_id": session,
            "rastro_visitor_id": visitor,
        },
    )
    assert captured.status_code == 201, captured.text
    lead_id: str = captured.json()["lead_id"]
    won = await client.post(
        f"/api/leads/{lead_id}/stages",
        headers=headers or site.headers,
        json={"stage_name": "won", "stage_value": "1500.00"},
    )
    assert won.status_code == 201, won.text
    return lead_id
