"""What the LinkedIn and TikTok conversion tests share: the fakes' tokens and ids, the
credentials and organization they connect, a tracked lead, and reads of a conversion's sync
state and log."""

from __future__ import annotations

import hashlib
import uuid

import httpx

from rastro.conversions.models import ConversionSync, PlatformSyncLog
from tests.conversions.factories import (
    Org,
    make_org,
    rows,
    tracked_won_lead,
)
from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.tiktok import FakeTikTok
from tests.tracking.factories import ORIGIN

LINKEDIN_TOKEN = "AQV-fake-linkedin-member-token-5678"
RULE_ID = "123456"
TIKTOK_TOKEN = "tt-fake-events-api-token-9012"
PIXEL = "CFAKEPIXEL0000000001"
EVENT_SET = "7300000000000000001"
LI_FAT_ID = "df5gf5-gh6t7-ph4j7h-fgf6n1"
TTCLID = "E.C.P.CsQBexampleClickId_Abc-123"


def sha(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


async def add_credentials(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    linkedin: FakeLinkedIn | None,
    tiktok: FakeTikTok | None,
    *,
    linkedin_settings: dict[str, str] | None = None,
    tiktok_settings: dict[str, str] | None = None,
) -> None:
    if linkedin is not None:
        response = await client.post(
            "/api/credentials",
            headers=headers,
            json={
                "name": "LinkedIn ads",
                "service": "linkedin",
                "api_key": LINKEDIN_TOKEN,
                "api_url": linkedin.url,
                "settings": linkedin_settings or {"conversion_rule_id": RULE_ID},
            },
        )
        assert response.status_code == 201, response.text
    if tiktok is not None:
        response = await client.post(
            "/api/credentials",
            headers=headers,
            json={
                "name": "TikTok pixel",
                "service": "tiktok",
                "api_key": TIKTOK_TOKEN,
                "api_url": tiktok.url,
                "settings": tiktok_settings or {"pixel_code": PIXEL},
            },
        )
        assert response.status_code == 201, response.text


async def org_with(client, databases, linkedin=None, tiktok=None, **settings) -> Org:
    org = await make_org(client, databases, None)
    await add_credentials(client, org.headers, linkedin, tiktok, **settings)
    return org


async def sync_row(databases, org, conversion_id, platform) -> ConversionSync:
    (row,) = await rows(
        databases,
        org,
        ConversionSync,
        ConversionSync.conversion_id == uuid.UUID(str(conversion_id)),
        ConversionSync.platform == platform,
    )
    return row


async def sync_log(databases, org, conversion_id, platform) -> list[PlatformSyncLog]:
    entries = await rows(
        databases,
        org,
        PlatformSyncLog,
        PlatformSyncLog.conversion_id == uuid.UUID(str(conversion_id)),
        PlatformSyncLog.platform == platform,
    )
    return sorted(entries, key=lambda e: e.attempt)


# --- the full path ------------------------------------------------------------------------------


async def tracked_lead(client, site, *, query, session, visitor, name, email, phone) -> str:
    return await tracked_won_lead(
        client,
        site,
        landing=f"{ORIGIN}/lp?utm_source=ads&utm_medium=cpc&utm_campaign=b2b&{query}",
        session=session,
        visitor=visitor,
        view_id="pv-" + session[-4:],
        name=name,
        email=email,
        phone=phone,
    )
