"""What the Google conversion tests share: the fake account's ids and tokens, the
credential and organization they connect, and reads of a conversion's Google state."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from rastro.conversions.models import ConversionSync, PlatformSyncLog
from tests.conversions.factories import (
    Org,
    make_org,
    rows,
)
from tests.tracking.factories import ORIGIN

TOKEN = "ya29.fake-oauth-access-token-0001"
DEVELOPER_TOKEN = "fake-dev-token-abc"
CUSTOMER_ID = "1234567890"
MANAGER_ID = "9876543210"
ACTION_ID = "987654321"
GCLID = "Cj0KCQjwEXAMPLEgclid"
LANDING = f"{ORIGIN}/lp?utm_source=google&utm_medium=cpc&utm_campaign=bf&gclid={GCLID}"
SESSION = "s_" + "g" * 22
VISITOR = "v_" + "h" * 22
SIX_HOURS = timedelta(hours=6)


def sha(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


async def add_google(
    client, org_headers, url: str, api: str, secret: str | None = None, **settings: Any
) -> str:
    body: dict[str, Any] = {
        "name": f"Google ({api})",
        "service": "google_ads",
        "api_key": TOKEN,
        "api_url": url,
        "settings": {
            "api": api,
            "customer_id": "123-456-7890",
            "developer_token": DEVELOPER_TOKEN,
            "conversion_action_id": ACTION_ID,
            **settings,
        },
    }
    if secret:
        body["api_secret"] = secret
    response = await client.post("/api/credentials", headers=org_headers, json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def google_org(client, databases, url: str, api: str, **settings: Any) -> Org:
    org = await make_org(client, databases, None)
    org.credential_id = await add_google(client, org.headers, url, api, **settings)
    return org


async def google_state(databases, org, conversion_id) -> ConversionSync:
    (row,) = await rows(
        databases,
        org,
        ConversionSync,
        ConversionSync.conversion_id == uuid.UUID(str(conversion_id)),
        ConversionSync.platform == "google",
    )
    return row


async def google_log(databases, org, conversion_id) -> list[PlatformSyncLog]:
    entries = await rows(
        databases,
        org,
        PlatformSyncLog,
        PlatformSyncLog.conversion_id == uuid.UUID(str(conversion_id)),
        PlatformSyncLog.platform == "google",
    )
    return sorted(entries, key=lambda e: e.attempt)


def clicked(hours: float) -> datetime:
    return datetime.now(UTC) - timedelta(hours=hours)
