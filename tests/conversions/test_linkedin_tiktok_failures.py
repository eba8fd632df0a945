"""LinkedIn and TikTok failures and limits: TikTok's HTTP-200-with-error codes and its
offline event set, LinkedIn's version header, its retries of 429/5xx (not 401), the
elements a 400 names, a missing conversion rule, windows and age limits."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx

from rastro.conversions.connectors.tiktok import TikTokConnector
from tests.conversions.factories import (
    FAST,
    create_conversion,
    make_lead,
    platform_sync,
    sync,
)
from tests.conversions.linkedin_tiktok_setup import (
    EVENT_SET,
    LI_FAT_ID,
    LINKEDIN_TOKEN,
    PIXEL,
    RULE_ID,
    TTCLID,
    org_with,
    sync_log,
    sync_row,
)
from tests.fakes.base import Scripted


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
    log = await sync_log(databases, org, cid, "tiktok")
    assert [(e.sync_status, e.http_status_code) for e in log] == [
        ("retrying", 200),
        ("retrying", 200),
        ("retrying", 503),
        ("retrying", None),
        ("success", 200),
    ]
    assert log[0].error_message.startswith("TikTok error 40100")
    assert "Timed out" in log[3].error_message
    assert (await sync_row(databases, org, cid, "tiktok")).status == "sent"
    assert tiktok.unique_event_ids == {cid}

    # 40002 (invalid parameter) on HTTP 200 is final: failed at once, never sent again.
    other = await make_lead(databases, org, click_ids={"ttclid": "E.C.P.other"})
    bad = (await create_conversion(client, org, other))["conversion_id"]
    tiktok.error_200(40002, "Invalid value for event_time")
    before = len(tiktok.event_requests)
    report = await sync(settings, databases, config)
    assert (report.failed, report.retrying, report.sent) == (1, 0, 0)
    state = await sync_row(databases, org, bad, "tiktok")
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
    state = await sync_row(databases, wrong, cid, "tiktok")
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
    state = await sync_row(databases, org, cid, "linkedin")
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
    assert (await sync_row(databases, org, cid, "linkedin")).status == "sent"
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
    state = await sync_row(databases, org, cid, "linkedin")
    assert state.next_attempt_at >= now + timedelta(seconds=30)  # Retry-After honoured
    assert "LinkedIn error 429" in state.reason
    assert (await sync(settings, databases, now=now + timedelta(seconds=5))).requests == 0
    await sync(settings, databases, now=now + timedelta(hours=1))
    await sync(settings, databases, now=now + timedelta(hours=2))
    log = await sync_log(databases, org, cid, "linkedin")
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
    state = await sync_row(databases, org, bad, "linkedin")
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
    state = await sync_row(databases, org, bad, "linkedin")
    assert state.status == "failed"
    assert "conversion rule 999 not found" in state.reason
    (entry,) = await sync_log(databases, org, bad, "linkedin")
    assert entry.request_payload["event"]["conversion"] == "urn:lla:llaPartnerConversion:999"
    for cid in (good, upsell):
        assert (await sync_row(databases, org, cid, "linkedin")).status == "sent"


async def test_linkedin_without_a_conversion_rule_fails_with_the_reason(
    client, databases, settings, linkedin
):
    org = await org_with(client, databases, linkedin=linkedin, linkedin_settings={"x": "y"})
    cid = (await create_conversion(client, org, await make_lead(databases, org)))["conversion_id"]
    await sync(settings, databases)
    state = await sync_row(databases, org, cid, "linkedin")
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
    row = await sync_row(databases, org, late["conversion_id"], "linkedin")
    assert row.status == "expired"
    assert late["conversion_id"] not in linkedin.unique_event_ids
    # Everything else pending went out, each accepted by its fake's own age checks.
    assert len(linkedin.unique_event_ids) == 5
    assert len(tiktok.unique_event_ids) == 4
