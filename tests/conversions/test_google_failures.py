"""Google: failures and limits. Partial failures mapped to their rows, fast-fail, a
conversion without an action, the 6-hour minimum click age, the 90-day window, retries of
429/5xx (not of auth errors), auth headers, and de-duplication by the order id."""

import json
from datetime import UTC, datetime, timedelta

from tests.conversions.factories import (
    FAST,
    create_conversion,
    make_lead,
    sync,
)
from tests.conversions.google_setup import (
    ACTION_ID,
    MANAGER_ID,
    SIX_HOURS,
    clicked,
    google_log,
    google_org,
    google_state,
)


async def test_ads_partial_failure_fails_only_its_rows(client, databases, settings, google_ads):
    org = await google_org(client, databases, google_ads.url, "ads", login_customer_id=MANAGER_ID)
    ids = {}
    for gclid in ("ok-1", "bad-gclid", "ok-2", "too-soon", "dup"):
        lead = await make_lead(databases, org, click_ids={"gclid": gclid}, clicked_at=clicked(7))
        ids[gclid] = (await create_conversion(client, org, lead))["conversion_id"]
    google_ads.reject("bad-gclid", "UNPARSEABLE_GCLID")
    google_ads.reject("too-soon", "TOO_RECENT_EVENT")
    google_ads.reject("dup", "CLICK_CONVERSION_ALREADY_EXISTS")
    now = datetime.now(UTC)
    report = await sync(settings, databases, now=now)
    assert (report.requests, report.sent, report.failed, report.retrying) == (1, 3, 1, 1)
    states = {g: await google_state(databases, org, cid) for g, cid in ids.items()}
    assert states["ok-1"].status == states["ok-2"].status == "sent"
    assert states["dup"].status == "sent"  # Google already has it: not an error
    assert states["bad-gclid"].status == "failed"
    assert "UNPARSEABLE_GCLID" in states["bad-gclid"].reason
    assert "request-id fake-" in states["bad-gclid"].reason
    # Too recent for Google: pending again 6 hours later, only that row.
    assert states["too-soon"].status == "pending"
    assert states["too-soon"].next_attempt_at == now + SIX_HOURS
    assert "TOO_RECENT_EVENT" in states["too-soon"].reason
    (entry,) = await google_log(databases, org, ids["bad-gclid"])
    assert (entry.sync_status, entry.http_status_code) == ("failed", 200)
    assert "partialFailureError" in entry.response_data

    google_ads.rejections.clear()
    assert (await sync(settings, databases, now=now + timedelta(hours=1))).requests == 0
    report = await sync(settings, databases, now=now + SIX_HOURS)
    assert (report.requests, report.sent) == (1, 1)
    assert (await google_state(databases, org, ids["too-soon"])).status == "sent"
    (last,) = google_ads.upload_requests[1:]
    assert [c["gclid"] for c in last.json["conversions"]] == ["too-soon"]
    # The failed row is never sent again on its own.
    assert (await google_state(databases, org, ids["bad-gclid"])).attempts == 1


async def test_data_manager_fast_fail_sends_the_others_and_fails_the_named_event(
    client, databases, settings, data_manager
):
    org = await google_org(client, databases, data_manager.url, "data_manager")
    ids = {}
    for gclid in ("fine-1", "broken", "fine-2"):
        lead = await make_lead(databases, org, click_ids={"gclid": gclid}, clicked_at=clicked(8))
        ids[gclid] = (await create_conversion(client, org, lead))["conversion_id"]
    data_manager.reject("broken", "INVALID_FORMAT")
    report = await sync(settings, databases)
    assert (report.sent, report.failed) == (2, 1)
    first, second = data_manager.ingest_requests
    assert len(first.json["events"]) == 3
    assert [e["adIdentifiers"]["gclid"] for e in second.json["events"]] == ["fine-1", "fine-2"]
    assert sorted(e["adIdentifiers"]["gclid"] for e in data_manager.accepted) == [
        "fine-1",
        "fine-2",
    ]
    broken = await google_state(databases, org, ids["broken"])
    assert broken.status == "failed"
    assert "INVALID_FORMAT" in broken.reason
    assert "events[1].ad_identifiers.gclid" in broken.reason


async def test_a_conversion_without_a_google_action_fails_alone(
    client, databases, settings, data_manager
):
    org = await google_org(
        client,
        databases,
        data_manager.url,
        "data_manager",
        conversion_action_id="",
        conversion_actions={"purchase": ACTION_ID},
    )
    mapped = await create_conversion(
        client,
        org,
        await make_lead(databases, org, click_ids={"gclid": "a"}, clicked_at=clicked(9)),
    )
    unmapped = await create_conversion(
        client,
        org,
        await make_lead(databases, org, click_ids={"gclid": "b"}, clicked_at=clicked(9)),
        conversion_name="upsell",
    )
    await sync(settings, databases)
    assert (await google_state(databases, org, mapped["conversion_id"])).status == "sent"
    failed = await google_state(databases, org, unmapped["conversion_id"])
    assert failed.status == "failed"
    assert "conversion action" in failed.reason
    assert [e["transactionId"] for e in data_manager.accepted] == [mapped["order_id"]]


# --- timing --------------------------------------------------------------------------------------


async def test_a_click_younger_than_6_hours_waits_then_is_sent(
    client, databases, settings, google_ads
):
    org = await google_org(client, databases, google_ads.url, "ads", login_customer_id=MANAGER_ID)
    click_time = clicked(1)
    lead = await make_lead(databases, org, click_ids={"gclid": "fresh"}, clicked_at=click_time)
    out = await create_conversion(client, org, lead)
    assert out["sync_status"]["google"] == "pending"
    now = datetime.now(UTC)
    # Claimed once and put off until the click is 6 hours old; not due before that.
    for later, waiting in ((timedelta(0), 1), (timedelta(hours=4), 0)):
        report = await sync(settings, databases, now=now + later)
        assert (report.requests, report.waiting) == (0, waiting)
        state = await google_state(databases, org, out["conversion_id"])
        assert (state.status, state.attempts) == ("pending", 0)
        assert state.next_attempt_at == click_time + SIX_HOURS
        assert "Waiting until" in state.reason
    assert google_ads.upload_requests == []
    assert await google_log(databases, org, out["conversion_id"]) == []
    report = await sync(settings, databases, now=click_time + SIX_HOURS)
    assert (report.requests, report.sent) == (1, 1)
    state = await google_state(databases, org, out["conversion_id"])
    assert (state.status, state.attempts, state.reason) == ("sent", 1, None)


async def test_the_90_day_window_expires_conversions(client, databases, settings, data_manager):
    org = await google_org(client, databases, data_manager.url, "data_manager")
    now = datetime.now(UTC)
    old = await make_lead(
        databases, org, click_ids={"gclid": "old"}, clicked_at=now - timedelta(days=91)
    )
    expired = await create_conversion(client, org, old)
    assert expired["sync_status"]["google"] == "expired"
    reason = next(p for p in expired["platforms"] if p["platform"] == "google")["reason"]
    assert "90 days" in reason

    # Inside the window at the sale, but past Google's 90 days by the time it is sent.
    edge = await make_lead(
        databases, org, click_ids={"gclid": "edge"}, clicked_at=now - timedelta(days=89)
    )
    late = await create_conversion(client, org, edge)
    assert late["sync_status"]["google"] == "pending"
    report = await sync(settings, databases, now=now + timedelta(days=2))
    assert (report.expired, report.requests) == (1, 0)
    state = await google_state(databases, org, late["conversion_id"])
    assert state.status == "expired"
    assert "90 days" in state.reason
    assert data_manager.accepted == []


# --- retries -------------------------------------------------------------------------------------


async def test_ads_429_and_5xx_are_retried_then_sent(client, databases, settings, google_ads):
    org = await google_org(client, databases, google_ads.url, "ads", login_customer_id=MANAGER_ID)
    lead = await make_lead(databases, org, click_ids={"gclid": "retry-me"}, clicked_at=clicked(7))
    cid = (await create_conversion(client, org, lead))["conversion_id"]
    google_ads.rate_limit(retry_after="120")
    google_ads.server_error(status=500)
    google_ads.server_error(status=503)
    now = datetime.now(UTC)
    report = await sync(settings, databases, now=now)
    assert report.retrying == 1
    state = await google_state(databases, org, cid)
    assert state.status == "pending"
    assert state.next_attempt_at >= now + timedelta(seconds=120)  # Retry-After honoured
    assert "RESOURCE_EXHAUSTED" in state.reason
    for step in range(1, 4):
        await sync(settings, databases, now=now + timedelta(hours=step))
    log = await google_log(databases, org, cid)
    assert [(e.sync_status, e.http_status_code) for e in log] == [
        ("retrying", 429),
        ("retrying", 500),
        ("retrying", 503),
        ("success", 200),
    ]
    assert "TRANSIENT_ERROR" in log[2].error_message
    assert google_ads.order_ids == [str(cid)]


async def test_data_manager_5xx_and_timeouts_retry_but_auth_errors_do_not(
    client, databases, settings, data_manager
):
    from dataclasses import replace

    org = await google_org(client, databases, data_manager.url, "data_manager")
    lead = await make_lead(databases, org, click_ids={"gclid": "dm-retry"}, clicked_at=clicked(7))
    cid = (await create_conversion(client, org, lead))["conversion_id"]
    data_manager.server_error(status=503)
    data_manager.hang(seconds=3)
    data_manager.rate_limit()
    config = replace(FAST, timeout=0.5, max_attempts=6)
    now = datetime.now(UTC)
    for step in range(4):
        await sync(settings, databases, config, now=now + timedelta(hours=step))
    log = await google_log(databases, org, cid)
    assert [(e.sync_status, e.http_status_code) for e in log] == [
        ("retrying", 503),
        ("retrying", None),
        ("retrying", 429),
        ("success", 200),
    ]
    assert (await google_state(databases, org, cid)).status == "sent"

    # A bad token is not retried.
    other = await make_lead(databases, org, click_ids={"gclid": "dm-401"}, clicked_at=clicked(7))
    bad = (await create_conversion(client, org, other))["conversion_id"]
    data_manager.token = "another-token"
    await sync(settings, databases, config, now=now + timedelta(hours=5))
    state = await google_state(databases, org, bad)
    assert state.status == "failed"
    assert "HTTP 401 UNAUTHENTICATED" in state.reason
    assert (await sync(settings, databases, config, now=now + timedelta(days=1))).requests == 0
    assert len(await google_log(databases, org, bad)) == 1


async def test_ads_auth_headers_are_checked(client, databases, settings, google_ads):
    # No login-customer-id while access goes through the manager: Google refuses it.
    org = await google_org(client, databases, google_ads.url, "ads")
    lead = await make_lead(databases, org, click_ids={"gclid": "no-manager"}, clicked_at=clicked(7))
    cid = (await create_conversion(client, org, lead))["conversion_id"]
    await sync(settings, databases)
    state = await google_state(databases, org, cid)
    assert state.status == "failed"
    assert "HTTP 403 PERMISSION_DENIED" in state.reason
    assert "USER_PERMISSION_DENIED" in state.reason
    assert google_ads.accepted == []


async def test_sending_again_is_deduplicated_by_the_order_id(
    client, databases, settings, google_ads
):
    org = await google_org(client, databases, google_ads.url, "ads", login_customer_id=MANAGER_ID)
    lead = await make_lead(databases, org, click_ids={"gclid": "twice"}, clicked_at=clicked(7))
    out = await create_conversion(client, org, lead)
    await sync(settings, databases)
    resend = await client.post(
        f"/api/conversions/{out['conversion_id']}/resend",
        headers=org.headers,
        json={"platform": "google"},
    )
    assert resend.status_code == 200, resend.text
    await sync(settings, databases)
    first, second = google_ads.upload_requests
    # The same order id and date string both times: Google keeps one conversion and
    # answers ORDER_ID_ALREADY_IN_USE, which means it has it.
    assert first.json["conversions"] == second.json["conversions"]
    assert google_ads.order_ids == [out["order_id"]]
    log = await google_log(databases, org, out["conversion_id"])
    assert [e.sync_status for e in log] == ["success", "success"]
    assert "ORDER_ID_ALREADY_IN_USE" in json.dumps(log[1].response_data)
    assert (await google_state(databases, org, out["conversion_id"])).status == "sent"
