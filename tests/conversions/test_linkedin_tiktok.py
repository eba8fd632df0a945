"""LinkedIn Conversions API and TikTok Events API: a tracked click through a lead to
`won` and a conversion each fake accepts, hashed by each platform's own rules (computed
here by hand from platforms.md §6.4); TikTok's HTTP-200-with-error codes; LinkedIn's
version header; windows and age limits; retries."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from rastro.conversions import normalize
from rastro.conversions.connectors.tiktok import TikTokConnector
from rastro.conversions.models import ConversionSync, OfflineConversion, PlatformSyncLog
from rastro.core.db import Scope
from rastro.crm.models import Lead
from rastro.tracking.models import UtmTracking
from tests.conversions.factories import (
    FAST,
    Org,
    create_conversion,
    make_lead,
    make_org,
    platform_sync,
    rows,
    sync,
)
from tests.fakes.base import Scripted
from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.tiktok import FakeTikTok
from tests.helpers import drain_jobs
from tests.tracking.factories import ORIGIN, batch, collect, event, make_site

LINKEDIN_TOKEN = "AQV-fake-linkedin-member-token-5678"
RULE_ID = "123456"
TIKTOK_TOKEN = "tt-fake-events-api-token-9012"
PIXEL = "CFAKEPIXEL0000000001"
EVENT_SET = "7300000000000000001"
LI_FAT_ID = "df5gf5-gh6t7-ph4j7h-fgf6n1"
TTCLID = "E.C.P.CsQBexampleClickId_Abc-123"


def sha(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@pytest.fixture
def linkedin() -> Iterator[FakeLinkedIn]:
    server = FakeLinkedIn(LINKEDIN_TOKEN, {RULE_ID, "777"}).start()
    yield server
    server.stop()


@pytest.fixture
def tiktok() -> Iterator[FakeTikTok]:
    server = FakeTikTok(TIKTOK_TOKEN, PIXEL, EVENT_SET).start()
    yield server
    server.stop()


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


async def _sync_row(databases, org, conversion_id, platform) -> ConversionSync:
    (row,) = await rows(
        databases,
        org,
        ConversionSync,
        ConversionSync.conversion_id == uuid.UUID(str(conversion_id)),
        ConversionSync.platform == platform,
    )
    return row


async def _log(databases, org, conversion_id, platform) -> list[PlatformSyncLog]:
    entries = await rows(
        databases,
        org,
        PlatformSyncLog,
        PlatformSyncLog.conversion_id == uuid.UUID(str(conversion_id)),
        PlatformSyncLog.platform == platform,
    )
    return sorted(entries, key=lambda e: e.attempt)


# --- the full path ------------------------------------------------------------------------------


async def _tracked_lead(client, site, *, query, session, visitor, name, email, phone) -> str:
    landing = f"{ORIGIN}/lp?utm_source=ads&utm_medium=cpc&utm_campaign=b2b&{query}"
    visit = batch(
        site,
        [event(url=landing, view_id="pv-" + session[-4:], offset=-600)],
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
        headers=site.headers,
        json={"stage_name": "won", "stage_value": "1500.00"},
    )
    assert won.status_code == 201, won.text
    return lead_id


async def test_linkedin_and_tiktok_clicks_become_sales_each_platform_accepts(
    client, databases, settings, linkedin, tiktok
):
    site = await make_site(client, databases)
    await add_credentials(client, site.headers, linkedin, tiktok)
    li_lead = await _tracked_lead(
        client,
        site,
        query=f"li_fat_id={LI_FAT_ID}",
        session="s_" + "l" * 22,
        visitor="v_" + "k" * 22,
        name="Jane Doe",
        email=" Jane.Doe+promo@GMail.com ",
        phone="(11) 98765-4321",
    )
    tt_lead = await _tracked_lead(
        client,
        site,
        query=f"ttclid={TTCLID}",
        session="s_" + "t" * 22,
        visitor="v_" + "u" * 22,
        name="Maria Silva",
        email="Maria.Silva@Example.com.br",
        phone="(21) 99876-5432",
    )
    organization = Scope.organization(site.account.organization_id)
    async with databases.bi.transaction(organization) as bi:
        touches = {t.li_fat_id or t.ttclid: t for t in await bi.scalars(select(UtmTracking))}
    async with databases.crm.transaction(organization) as s:
        conversions = {c.lead_id: c for c in await s.scalars(select(OfflineConversion))}
        leads = {lead.lead_id: lead for lead in await s.scalars(select(Lead))}
    li_conv = conversions[uuid.UUID(li_lead)]
    tt_conv = conversions[uuid.UUID(tt_lead)]
    # The click ids and the click time come from the tracked touch, through capture.
    assert (li_conv.li_fat_id, li_conv.ttclid) == (LI_FAT_ID, None)
    assert (tt_conv.ttclid, tt_conv.li_fat_id) == (TTCLID, None)
    assert li_conv.clicked_at == touches[LI_FAT_ID].created_at
    assert tt_conv.clicked_at == touches[TTCLID].created_at
    # Both platforms can match both sales (click id or e-mail); Meta has no account.
    for conversion in (li_conv, tt_conv):
        assert conversion.sync_status["linkedin"] == "pending"
        assert conversion.sync_status["tiktok"] == "pending"
        assert conversion.sync_status["meta"] == "not_applicable"

    await drain_jobs(settings, databases, queues=["conversions"])

    # LinkedIn: one BATCH_CREATE with the version headers and the Bearer token.
    (request,) = linkedin.event_requests
    assert request.headers["linkedin-version"] == "202601"
    assert request.headers["x-restli-protocol-version"] == "2.0.0"
    assert request.headers["x-restli-method"] == "BATCH_CREATE"
    assert request.headers["authorization"] == f"Bearer {LINKEDIN_TOKEN}"
    by_id = {e["eventId"]: e for e in linkedin.accepted}
    assert set(by_id) == {li_conv.order_id, tt_conv.order_id}
    li_event = by_id[li_conv.order_id]
    assert li_event["conversion"] == f"urn:lla:llaPartnerConversion:{RULE_ID}"
    assert li_event["conversionHappenedAt"] == int(li_conv.conversion_date.timestamp() * 1000)
    assert li_event["conversionValue"] == {"currencyCode": "BRL", "amount": "1500.00"}
    # LinkedIn's rules by hand: e-mail trimmed and lower-cased (no gmail rewriting), the
    # li_fat_id as it came, unhashed.
    assert li_event["user"] == {
        "userIds": [
            {"idType": "SHA256_EMAIL", "idValue": sha("jane.doe+promo@gmail.com")},
            {"idType": "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID", "idValue": LI_FAT_ID},
        ]
    }
    assert by_id[tt_conv.order_id]["user"] == {
        "userIds": [{"idType": "SHA256_EMAIL", "idValue": sha("maria.silva@example.com.br")}]
    }

    # TikTok: one request, the pixel as a web source, the token in Access-Token.
    (request,) = tiktok.event_requests
    assert request.headers["access-token"] == TIKTOK_TOKEN
    assert request.json["event_source"] == "web"
    assert request.json["event_source_id"] == PIXEL
    by_id = {e["event_id"]: e for e in tiktok.accepted}
    assert set(by_id) == {li_conv.order_id, tt_conv.order_id}
    tt_event = by_id[tt_conv.order_id]
    assert tt_event["event"] == "Purchase"
    assert tt_event["event_time"] == int(tt_conv.conversion_date.timestamp())
    # TikTok's rules by hand: e-mail trimmed and lower-cased, phone in E.164 *with* the
    # "+" (Meta would hash "5521998765432"), the ttclid unhashed.
    assert tt_event["user"] == {
        "ttclid": TTCLID,
        "email": sha("maria.silva@example.com.br"),
        "phone": sha("+5521998765432"),
        "external_id": sha(str(leads[tt_conv.lead_id].contact_id)),
    }
    assert tt_event["properties"] == {
        "value": 1500.0,
        "currency": "BRL",
        "order_id": tt_conv.order_id,
    }
    li_on_tiktok = by_id[li_conv.order_id]["user"]
    assert "ttclid" not in li_on_tiktok
    assert li_on_tiktok["email"] == sha("jane.doe+promo@gmail.com")
    assert li_on_tiktok["phone"] == sha("+5511987654321")
    assert li_on_tiktok["phone"] != sha("5511987654321")

    for conversion in (li_conv, tt_conv):
        detail = await client.get(
            f"/api/conversions/{conversion.conversion_id}", headers=site.headers
        )
        assert detail.status_code == 200, detail.text
        body = detail.json()
        assert body["conversion"]["sync_status"]["linkedin"] == "sent"
        assert body["conversion"]["sync_status"]["tiktok"] == "sent"
        assert platform_sync(body["conversion"], "linkedin")["attempts"] == 1
        log = {entry["platform"]: entry for entry in body["sync_log"]}
        assert log["linkedin"]["sync_status"] == log["tiktok"]["sync_status"] == "success"
        assert log["linkedin"]["request_payload"]["request"]["linkedin_version"] == "202601"
        assert log["tiktok"]["response_data"]["code"] == 0
        # Personal data only hashed in the log, and never a token.
        logged = str(body["sync_log"])
        secrets = ("jane.doe", "maria.silva", "5511987654321", "5521998765432")
        for secret in (*secrets, LINKEDIN_TOKEN, TIKTOK_TOKEN):
            assert secret not in logged


# --- TikTok: the body code decides, even on HTTP 200 ----------------------------------------------


async def test_tiktok_200_with_error_code_transient_vs_final(client, databases, settings, tiktok):
    org = await org_with(client, databases, tiktok=tiktok)
    lead = await make_lead(databases, org, click_ids={"ttclid": TTCLID})
    cid = (await create_conversion(client, org, lead))["conversion_id"]
    tiktok.rate_limit()  # 40100 on HTTP 200
    tiktok.error_200(50000, "System error")
    tiktok.fail(1, 503, {"code": 50002, "message": "Service error"})
    tiktok.hang(seconds=3)
    config = replace(FAST, timeout=0.5, max_attempts=6)
    now = datetime.now(UTC)
    for step in range(5):
        await sync(settings, databases, config, now=now + timedelta(hours=step))
    log = await _log(databases, org, cid, "tiktok")
    assert [(e.sync_status, e.http_status_code) for e in log] == [
        ("retrying", 200),
        ("retrying", 200),
        ("retrying", 503),
        ("retrying", None),
        ("success", 200),
    ]
    assert log[0].error_message.startswith("TikTok error 40100")
    assert "Timed out" in log[3].error_message
    assert (await _sync_row(databases, org, cid, "tiktok")).status == "sent"
    assert tiktok.unique_event_ids == {cid}

    # 40002 (invalid parameter) on HTTP 200 is final: failed at once, never sent again.
    other = await make_lead(databases, org, click_ids={"ttclid": "E.C.P.other"})
    bad = (await create_conversion(client, org, other))["conversion_id"]
    tiktok.error_200(40002, "Invalid value for event_time")
    before = len(tiktok.event_requests)
    report = await sync(settings, databases, config)
    assert (report.failed, report.retrying, report.sent) == (1, 0, 0)
    state = await _sync_row(databases, org, bad, "tiktok")
    assert state.status == "failed"
    assert "TikTok error 40002" in state.reason
    later = await sync(settings, databases, config, now=datetime.now(UTC) + timedelta(days=1))
    assert later.requests == 0
    assert len(tiktok.event_requests) == before + 1
    assert bad not in tiktok.unique_event_ids


async def test_tiktok_offline_source_uses_the_event_set_and_batches(
    client, databases, settings, tiktok, monkeypatch
):
    monkeypatch.setattr(TikTokConnector, "batch_limit", 2)
    org = await org_with(
        client,
        databases,
        tiktok=tiktok,
        tiktok_settings={"pixel_code": PIXEL, "event_set_id": EVENT_SET},
    )
    for _ in range(3):
        await create_conversion(client, org, await make_lead(databases, org))
    report = await sync(settings, databases)
    assert (report.requests, report.sent) == (2, 3)
    # Two batches of an account may be in flight at once: their order is not fixed.
    assert sorted(len(r.json["data"]) for r in tiktok.event_requests) == [1, 2]
    assert {r.json["event_source"] for r in tiktok.event_requests} == {"offline"}
    assert {r.json["event_source_id"] for r in tiktok.event_requests} == {EVENT_SET}

    # An offline source given the pixel code: TikTok's 40002 on event_source_id, final.
    wrong = await org_with(
        client,
        databases,
        tiktok=tiktok,
        tiktok_settings={"pixel_code": PIXEL, "event_set_id": PIXEL},
    )
    cid = (await create_conversion(client, wrong, await make_lead(databases, wrong)))[
        "conversion_id"
    ]
    await sync(settings, databases, organization_id=wrong.id)
    state = await _sync_row(databases, wrong, cid, "tiktok")
    assert state.status == "failed"
    assert "event_source_id" in state.reason


# --- LinkedIn: version header, retries, the all-or-nothing batch ----------------------------------


async def test_linkedin_requires_an_active_version_header(client, databases, settings, linkedin):
    # The fake refuses a request without the header, as LinkedIn does.
    async with httpx.AsyncClient(base_url=linkedin.url) as raw:
        response = await raw.post(
            "/rest/conversionEvents",
            json={"elements": []},
            headers={
                "authorization": f"Bearer {LINKEDIN_TOKEN}",
                "x-restli-protocol-version": "2.0.0",
                "x-restli-method": "BATCH_CREATE",
            },
        )
    assert response.status_code == 400
    assert response.json()["code"] == "VERSION_MISSING"

    # A credential pinned to a sunset version: 426, final, with LinkedIn's code.
    org = await org_with(
        client,
        databases,
        linkedin=linkedin,
        linkedin_settings={"conversion_rule_id": RULE_ID, "api_version": "202401"},
    )
    cid = (await create_conversion(client, org, await make_lead(databases, org)))["conversion_id"]
    report = await sync(settings, databases)
    assert (report.failed, report.retrying) == (1, 0)
    state = await _sync_row(databases, org, cid, "linkedin")
    assert state.status == "failed"
    assert "426 NONEXISTENT_VERSION" in state.reason
    assert linkedin.event_requests[-1].headers["linkedin-version"] == "202401"
    assert linkedin.accepted == []

    # Moving the credential to a current version and retrying sends it.
    credential = (await client.get("/api/credentials", headers=org.headers)).json()["items"][0]
    patched = await client.put(
        f"/api/credentials/{credential['id']}",
        headers=org.headers,
        json={"settings": {"conversion_rule_id": RULE_ID, "api_version": "202603"}},
    )
    assert patched.status_code == 200, patched.text
    retried = await client.post(
        f"/api/conversions/{cid}/retry", headers=org.headers, json={"platform": "linkedin"}
    )
    assert retried.status_code == 200, retried.text
    await sync(settings, databases)
    assert (await _sync_row(databases, org, cid, "linkedin")).status == "sent"
    assert linkedin.event_requests[-1].headers["linkedin-version"] == "202603"
    assert linkedin.unique_event_ids == {cid}


async def test_linkedin_retries_429_and_5xx_but_not_401(client, databases, settings, linkedin):
    org = await org_with(client, databases, linkedin=linkedin)
    lead = await make_lead(databases, org, click_ids={"li_fat_id": LI_FAT_ID})
    cid = (await create_conversion(client, org, lead))["conversion_id"]
    linkedin.rate_limit(retry_after="30")
    linkedin.fail(1, 500, {"status": 500, "message": "Internal Server Error"})
    now = datetime.now(UTC)
    report = await sync(settings, databases, now=now)
    assert (report.requests, report.retrying) == (1, 1)
    state = await _sync_row(databases, org, cid, "linkedin")
    assert state.next_attempt_at >= now + timedelta(seconds=30)  # Retry-After honoured
    assert "LinkedIn error 429" in state.reason
    assert (await sync(settings, databases, now=now + timedelta(seconds=5))).requests == 0
    await sync(settings, databases, now=now + timedelta(hours=1))
    await sync(settings, databases, now=now + timedelta(hours=2))
    log = await _log(databases, org, cid, "linkedin")
    assert [(e.attempt, e.sync_status, e.http_status_code) for e in log] == [
        (1, "retrying", 429),
        (2, "retrying", 500),
        (3, "success", 200),
    ]
    assert [e["eventId"] for e in linkedin.accepted] == [cid]

    # A revoked token is final.
    other = await make_lead(databases, org, click_ids={"li_fat_id": "aa-bb-cc"})
    bad = (await create_conversion(client, org, other))["conversion_id"]
    linkedin.script.append(
        Scripted(
            401,
            {
                "status": 401,
                "serviceErrorCode": 65601,
                "code": "REVOKED_ACCESS_TOKEN",
                "message": "The token used in the request has been revoked by the user",
            },
        )
    )
    await sync(settings, databases)
    state = await _sync_row(databases, org, bad, "linkedin")
    assert state.status == "failed"
    assert "REVOKED_ACCESS_TOKEN" in state.reason
    assert (await sync(settings, databases, now=now + timedelta(days=1))).requests == 0


async def test_linkedin_drops_the_elements_a_400_names_and_sends_the_rest(
    client, databases, settings, linkedin
):
    org = await org_with(client, databases, linkedin=linkedin)
    put = await client.put(
        "/api/conversions/settings",
        headers=org.headers,
        json={
            "actions": {
                "contract_signed": {"linkedin": {"action_id": "999"}},  # unknown at LinkedIn
                "upsell": {"linkedin": {"action_id": "urn:lla:llaPartnerConversion:777"}},
            }
        },
    )
    assert put.status_code == 200, put.text
    good = (await create_conversion(client, org, await make_lead(databases, org)))["conversion_id"]
    bad = (
        await create_conversion(
            client, org, await make_lead(databases, org), conversion_name="contract_signed"
        )
    )["conversion_id"]
    upsell = (
        await create_conversion(
            client, org, await make_lead(databases, org), conversion_name="upsell"
        )
    )["conversion_id"]
    report = await sync(settings, databases)
    assert (report.requests, report.sent, report.failed) == (1, 2, 1)
    # One attempt, two requests: the batch of three, then the two valid ones.
    assert [len(r.json["elements"]) for r in linkedin.event_requests] == [3, 2]
    accepted = {e["eventId"]: e["conversion"] for e in linkedin.accepted}
    assert accepted == {
        good: f"urn:lla:llaPartnerConversion:{RULE_ID}",
        upsell: "urn:lla:llaPartnerConversion:777",
    }
    state = await _sync_row(databases, org, bad, "linkedin")
    assert state.status == "failed"
    assert "conversion rule 999 not found" in state.reason
    (entry,) = await _log(databases, org, bad, "linkedin")
    assert entry.request_payload["event"]["conversion"] == "urn:lla:llaPartnerConversion:999"
    for cid in (good, upsell):
        assert (await _sync_row(databases, org, cid, "linkedin")).status == "sent"


async def test_linkedin_without_a_conversion_rule_fails_with_the_reason(
    client, databases, settings, linkedin
):
    org = await org_with(client, databases, linkedin=linkedin, linkedin_settings={"x": "y"})
    cid = (await create_conversion(client, org, await make_lead(databases, org)))["conversion_id"]
    await sync(settings, databases)
    state = await _sync_row(databases, org, cid, "linkedin")
    assert state.status == "failed"
    assert "conversion_rule_id" in state.reason
    assert linkedin.event_requests == []


# --- windows and the platforms' age limits -------------------------------------------------------


async def test_windows_and_age_limits(client, databases, settings, linkedin, tiktok):
    org = await org_with(client, databases, linkedin, tiktok)
    now = datetime.now(UTC)

    async def statuses(**lead_fields):
        body = lead_fields.pop("body", {})
        lead = await make_lead(databases, org, **lead_fields)
        out = await create_conversion(client, org, lead, **body)
        return out, out["sync_status"]

    # LinkedIn: 90 days after the li_fat_id click (seed 000).
    out, status = await statuses(
        click_ids={"li_fat_id": "old-li"}, clicked_at=now - timedelta(days=91)
    )
    assert status["linkedin"] == "expired"
    assert "90 days" in platform_sync(out, "linkedin")["reason"]
    assert status["tiktok"] == "pending"  # no TikTok click: matched by e-mail, no window
    _, status = await statuses(
        click_ids={"li_fat_id": "recent-li"}, clicked_at=now - timedelta(days=85)
    )
    assert status["linkedin"] == "pending"

    # TikTok: 28 days after the ttclid click; an action's own window overrides it.
    out, status = await statuses(
        click_ids={"ttclid": "old-tt"}, clicked_at=now - timedelta(days=30)
    )
    assert status["tiktok"] == "expired"
    assert "28 days" in platform_sync(out, "tiktok")["reason"]
    _, status = await statuses(click_ids={"ttclid": "tt-20"}, clicked_at=now - timedelta(days=20))
    assert status["tiktok"] == "pending"
    put = await client.put(
        "/api/conversions/settings",
        headers=org.headers,
        json={"actions": {"contract_signed": {"tiktok": {"window_days": 35}}}},
    )
    assert put.status_code == 200, put.text
    _, status = await statuses(
        click_ids={"ttclid": "tt-30"},
        clicked_at=now - timedelta(days=30),
        body={"conversion_name": "contract_signed"},
    )
    assert status["tiktok"] == "pending"

    # The platforms' own age limits: LinkedIn 90 days, TikTok 7 (Rastro's cap).
    out, status = await statuses(body={"conversion_date": (now - timedelta(days=8)).isoformat()})
    assert status["tiktok"] == "expired"
    assert "7 days" in platform_sync(out, "tiktok")["reason"]
    assert status["linkedin"] == "pending"
    out, status = await statuses(body={"conversion_date": (now - timedelta(days=91)).isoformat()})
    assert status["linkedin"] == "expired"
    assert "up to 90 days old" in platform_sync(out, "linkedin")["reason"]

    # One that turns 90 days old while waiting expires at send time, unsent.
    late, status = await statuses(
        body={"conversion_date": (now - timedelta(days=90) + timedelta(minutes=30)).isoformat()}
    )
    assert status["linkedin"] == "pending"
    await sync(settings, databases, now=now + timedelta(hours=1))
    row = await _sync_row(databases, org, late["conversion_id"], "linkedin")
    assert row.status == "expired"
    assert late["conversion_id"] not in linkedin.unique_event_ids
    # Everything else pending went out, each accepted by its fake's own age checks.
    assert len(linkedin.unique_event_ids) == 5
    assert len(tiktok.unique_event_ids) == 4


# --- normalization ---------------------------------------------------------------------------------


def test_platforms_md_cheat_sheet():
    email, phone = " Jane.Doe+promo@GMail.com ", "(11) 98765-4321"
    assert normalize.tiktok_email(email) == "jane.doe+promo@gmail.com"
    assert normalize.linkedin_email(email) == "jane.doe+promo@gmail.com"
    assert normalize.tiktok_phone(phone) == "+5511987654321"
    assert normalize.meta_phone(phone) == "5511987654321"
    assert normalize.tiktok_phone("+55 11 98765-4321") == "+5511987654321"
    assert normalize.tiktok_phone("0055 11 98765-4321") == "+5511987654321"
    # The digest's TikTok example: phone = sha256("+5511987654321").
    assert (
        normalize.sha256_hex(normalize.tiktok_phone(phone))
        == "38225ec3dccec4189659c110ddc4f3dc9c27539850cb6a9ddae31ae03a5cf441"
    )


@given(
    country=st.sampled_from(["1", "44", "55", "351"]),
    national=st.from_regex(r"[1-9][0-9]{7,10}", fullmatch=True),
    spacing=st.sampled_from(["{}", "({}) ", "{} ", "{}-"]),
)
def test_tiktok_phone_is_meta_digits_with_the_plus(country, national, spacing):
    raw = "+" + spacing.format(country) + national[:3] + " " + national[3:]
    tiktok = normalize.tiktok_phone(raw)
    assert tiktok == "+" + country + national
    assert tiktok == "+" + normalize.meta_phone(raw)


@given(st.emails())
def test_the_same_email_hashes_alike_on_tiktok_linkedin_and_meta(address):
    raw = f"  {address.upper()} "
    expected = address.strip().lower()
    assert normalize.tiktok_email(raw) == normalize.linkedin_email(raw) == expected
    assert normalize.meta_email(raw) == expected


def test_each_linkedin_log_row_keeps_only_its_own_answer():
    from rastro.conversions.connectors.linkedin import LinkedInConnector

    answer = {"elements": [{"status": 201}, {"status": 400, "error": {"message": "bad"}}]}
    connector = LinkedInConnector()
    assert connector.row_response(answer, 1) == {
        "element": {"status": 400, "error": {"message": "bad"}}
    }
    assert connector.row_response(answer, 0) == {"element": {"status": 201}}
    assert connector.row_response({"message": "x"}, 0) == {"message": "x"}
