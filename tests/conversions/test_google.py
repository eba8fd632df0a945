"""Google: a tracked gclid click through a lead and `won` to a conversion accepted by the
fake Data Manager API (the default path) and by the fake Google Ads API; click id
precedence; enhanced conversions for leads hashed by Google's rules; partial failures
mapped to their rows; the 6-hour minimum click age; the 90-day window; retries."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.ads.googleads.v26.services.types.conversion_upload_service import (
    UploadClickConversionsRequest,
)
from google.protobuf import json_format
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from rastro.conversions import normalize
from rastro.conversions.models import ConversionSync, OfflineConversion, PlatformSyncLog
from rastro.core.db import Scope
from tests.conversions.factories import (
    FAST,
    Org,
    create_conversion,
    make_lead,
    make_org,
    rows,
    sync,
)
from tests.fakes.google_ads import FakeGoogleAds
from tests.fakes.google_data_manager import FakeDataManager
from tests.helpers import drain_jobs
from tests.tracking.factories import ORIGIN, batch, collect, event, make_site

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


@pytest.fixture
def google_ads() -> Iterator[FakeGoogleAds]:
    server = FakeGoogleAds(
        TOKEN,
        CUSTOMER_ID,
        actions=(ACTION_ID,),
        developer_token=DEVELOPER_TOKEN,
        login_customer_id=MANAGER_ID,
    ).start()
    yield server
    server.stop()


@pytest.fixture
def data_manager() -> Iterator[FakeDataManager]:
    server = FakeDataManager(TOKEN, CUSTOMER_ID, actions=(ACTION_ID,)).start()
    yield server
    server.stop()


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


# --- the full path, once per API ------------------------------------------------------------


async def _tracked_click_won(
    client,
    databases,
    settings,
    api: str,
    url: str,
    settings_action: str | None = None,
    **creds: Any,
):
    """A Google Ads click tracked on the site, the lead captured, the deal won."""
    site = await make_site(client, databases)
    await add_google(client, site.headers, url, api, **creds)
    if settings_action:
        put = await client.put(
            "/api/conversions/settings",
            headers=site.headers,
            json={"actions": {"purchase": {"google": {"action_id": settings_action}}}},
        )
        assert put.status_code == 200, put.text
    visit = batch(
        site,
        [event(url=LANDING, referrer="https://www.google.com/", view_id="pv1", offset=-600)],
        session_id=SESSION,
        visitor_id=VISITOR,
    )
    assert (await collect(client, visit)).json()["accepted"] == 1
    captured = await client.post(
        "/api/leads",
        headers={"origin": ORIGIN},
        json={
            "site": site.key,
            "name": "Jane Doe",
            "email": " Jane.Doe+promo@GMail.com ",
            "phone": "(11) 98765-4321",
            "page_url": f"{ORIGIN}/lp",
            "rastro_session_id": SESSION,
            "rastro_visitor_id": VISITOR,
        },
    )
    assert captured.status_code == 201, captured.text
    lead_id = captured.json()["lead_id"]
    won = await client.post(
        f"/api/leads/{lead_id}/stages",
        headers=site.headers,
        json={"stage_name": "won", "stage_value": "1500.00"},
    )
    assert won.status_code == 201, won.text
    async with databases.crm.transaction(Scope.organization(site.account.organization_id)) as s:
        (conversion,) = await s.scalars(select(OfflineConversion))
    assert conversion.gclid == GCLID
    assert conversion.sync_status["google"] == "pending"
    # The worker runs at once: the click is minutes old, so Google's 6-hour minimum
    # click age makes it wait, pending, without a request.
    await drain_jobs(settings, databases, queues=["conversions"])
    org = Org(site.account, site.headers, None)
    waiting = await google_state(databases, org, conversion.conversion_id)
    assert waiting.status == "pending"
    assert waiting.attempts == 0
    assert waiting.next_attempt_at == conversion.clicked_at + SIX_HOURS
    assert "Waiting until" in waiting.reason
    report = await sync(
        settings, databases, now=conversion.clicked_at + SIX_HOURS + timedelta(minutes=1)
    )
    assert report.sent == 1, report
    return org, conversion


async def test_a_gclid_click_won_is_accepted_by_the_data_manager_api(
    client, databases, settings, data_manager
):
    # The conversion action comes from the organization's conversion settings here.
    org, conversion = await _tracked_click_won(
        client,
        databases,
        settings,
        "data_manager",
        data_manager.url,
        settings_action=ACTION_ID,
        conversion_action_id="",
    )
    (request,) = data_manager.ingest_requests
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert "developer-token" not in request.headers  # an Ads API header only
    body = request.json
    assert body["encoding"] == "HEX"
    assert body["destinations"] == [
        {
            "reference": ACTION_ID,
            "operatingAccount": {"accountType": "GOOGLE_ADS", "accountId": CUSTOMER_ID},
            "productDestinationId": ACTION_ID,
        }
    ]
    (sent,) = data_manager.accepted
    assert sent["adIdentifiers"] == {"gclid": GCLID}
    assert "userData" not in sent  # a click id: no enhanced conversions
    assert sent["transactionId"] == conversion.order_id == str(conversion.conversion_id)
    assert sent["eventTimestamp"] == conversion.conversion_date.astimezone(UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert sent["conversionValue"] == 1500.0
    assert sent["currency"] == "BRL"
    assert sent["destinationReferences"] == [ACTION_ID]
    state = await google_state(databases, org, conversion.conversion_id)
    assert (state.status, state.attempts, state.reason) == ("sent", 1, None)
    (entry,) = await google_log(databases, org, conversion.conversion_id)
    assert entry.sync_status == "success"
    assert entry.http_status_code == 200
    assert entry.request_payload["request"]["api"] == "data_manager"
    assert entry.response_data["requestId"]
    assert TOKEN not in json.dumps(entry.request_payload)


async def test_a_gclid_click_won_is_accepted_by_the_google_ads_api(
    client, databases, settings, google_ads
):
    org, conversion = await _tracked_click_won(
        client,
        databases,
        settings,
        "ads",
        google_ads.url,
        secret=DEVELOPER_TOKEN,  # the developer token in the vault's secret
        developer_token="",
        login_customer_id="987-654-3210",
        conversion_action_id="",
        conversion_actions={"purchase": ACTION_ID},
    )
    (request,) = google_ads.upload_requests
    assert request.path == f"/v26/customers/{CUSTOMER_ID}:uploadClickConversions"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["developer-token"] == DEVELOPER_TOKEN
    assert request.headers["login-customer-id"] == MANAGER_ID
    body = request.json
    assert body["partialFailure"] is True
    # The body loads into the official v26 protobuf request (the fake checked it too).
    parsed = UploadClickConversionsRequest.pb()()
    json_format.ParseDict(body, parsed)
    (click,) = parsed.conversions
    assert click.gclid == GCLID
    assert not click.gbraid
    assert not click.wbraid
    assert len(click.user_identifiers) == 0
    assert click.conversion_action == f"customers/{CUSTOMER_ID}/conversionActions/{ACTION_ID}"
    assert click.order_id == str(conversion.conversion_id)
    assert click.conversion_value == 1500.0
    assert click.currency_code == "BRL"
    assert re.fullmatch(
        r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}", click.conversion_date_time
    )
    assert datetime.fromisoformat(click.conversion_date_time) == conversion.conversion_date.replace(
        microsecond=0
    )
    assert google_ads.order_ids == [str(conversion.conversion_id)]
    state = await google_state(databases, org, conversion.conversion_id)
    assert state.status == "sent"
    (entry,) = await google_log(databases, org, conversion.conversion_id)
    assert entry.request_payload["request"]["path"] == request.path
    assert entry.response_data["results"][0]["gclid"] == GCLID


# --- click ids and enhanced conversions ------------------------------------------------------


@pytest.mark.parametrize("api", ["ads", "data_manager"])
async def test_click_id_precedence_sends_exactly_one(
    client, databases, settings, google_ads, data_manager, api
):
    fake = google_ads if api == "ads" else data_manager
    org = await google_org(
        client, databases, fake.url, api, login_customer_id=MANAGER_ID if api == "ads" else ""
    )
    cases = {
        "all three": ({"gclid": "G-1", "gbraid": "GB-1", "wbraid": "WB-1"}, ("gclid", "G-1")),
        "both braids": ({"gbraid": "GB-2", "wbraid": "WB-2"}, ("gbraid", "GB-2")),
        "wbraid only": ({"wbraid": "WB-3"}, ("wbraid", "WB-3")),
    }
    expected: dict[str, tuple[str, str]] = {}
    for ids, chosen in cases.values():
        lead = await make_lead(databases, org, click_ids=ids, clicked_at=clicked(7))
        out = await create_conversion(client, org, lead)
        assert out["sync_status"]["google"] == "pending"
        expected[out["order_id"]] = chosen
    report = await sync(settings, databases)
    assert report.sent == 3
    if api == "ads":
        (request,) = google_ads.upload_requests
        for conversion in request.json["conversions"]:
            present = [k for k in ("gclid", "gbraid", "wbraid") if k in conversion]
            name, value = expected[conversion["orderId"]]
            assert present == [name]
            assert conversion[name] == value
            assert "userIdentifiers" not in conversion
    else:
        (request,) = data_manager.ingest_requests
        for sent in request.json["events"]:
            name, value = expected[sent["transactionId"]]
            assert sent["adIdentifiers"] == {name: value}
            assert "userData" not in sent


@pytest.mark.parametrize("api", ["ads", "data_manager"])
async def test_enhanced_conversions_for_leads_hash_by_googles_rules(
    client, databases, settings, google_ads, data_manager, api
):
    fake = google_ads if api == "ads" else data_manager
    org = await google_org(
        client, databases, fake.url, api, login_customer_id=MANAGER_ID if api == "ads" else ""
    )
    gmail = await make_lead(
        databases, org, email="jane.doe+promo@googlemail.com", phone="+5511987654321"
    )
    other = await make_lead(
        databases, org, email="user.name+nyc@example.com.br", phone="+5521912345678"
    )
    nothing = await make_lead(databases, org, email="x@y.com", phone=None)
    async with databases.crm.transaction(Scope.organization(org.id)) as session:
        from rastro.crm.models import Lead

        (await session.get(Lead, nothing)).email = None
    by_order = {}
    for lead in (gmail, other):
        out = await create_conversion(client, org, lead)
        by_order[out["order_id"]] = lead
    skipped = await create_conversion(client, org, nothing)
    assert skipped["sync_status"]["google"] == "not_applicable"
    assert "gclid" in next(p for p in skipped["platforms"] if p["platform"] == "google")["reason"]
    assert (await sync(settings, databases)).sent == 2

    # Computed here by hand from Google's formatting guide: gmail/googlemail lose the
    # dots and the +tag, other domains keep both; phones are E.164 with the "+".
    want = {
        gmail: (sha("janedoe@googlemail.com"), sha("+5511987654321")),
        other: (sha("user.name+nyc@example.com.br"), sha("+5521912345678")),
    }
    if api == "ads":
        (request,) = google_ads.upload_requests
        for conversion in request.json["conversions"]:
            assert not {"gclid", "gbraid", "wbraid"} & set(conversion)
            email, phone = want[by_order[conversion["orderId"]]]
            assert conversion["userIdentifiers"] == [
                {"hashedEmail": email, "userIdentifierSource": "FIRST_PARTY"},
                {"hashedPhoneNumber": phone, "userIdentifierSource": "FIRST_PARTY"},
            ]
    else:
        (request,) = data_manager.ingest_requests
        assert request.json["encoding"] == "HEX"
        for sent in request.json["events"]:
            assert "adIdentifiers" not in sent
            email, phone = want[by_order[sent["transactionId"]]]
            assert sent["userData"] == {
                "userIdentifiers": [{"emailAddress": email}, {"phoneNumber": phone}]
            }
    # Never the raw e-mail in the log.
    for entry in await rows(databases, org, PlatformSyncLog):
        assert "jane.doe" not in json.dumps(entry.request_payload)


def test_google_normalizers_match_the_published_example():
    # platforms.md §1.7: the digests Google's formatting guide gives for this person.
    assert normalize.google_email(" Jane.Doe+promo@GMail.com ") == "janedoe@gmail.com"
    assert (
        normalize.sha256_hex(normalize.google_email(" Jane.Doe+promo@GMail.com "))
        == "d6117306485ed0e50afab3ac871e98f81699151f30281527d63ff5f233656c69"
    )
    assert normalize.google_phone("(11) 98765-4321") == "+5511987654321"
    assert (
        normalize.sha256_hex(normalize.google_phone("(11) 98765-4321"))
        == "38225ec3dccec4189659c110ddc4f3dc9c27539850cb6a9ddae31ae03a5cf441"
    )
    assert normalize.google_phone("+1 (800) 555-0100") == "+18005550100"
    assert normalize.google_email("User.Name+NYC@Example.com") == "user.name+nyc@example.com"
    # Meta keeps what Google rewrites.
    assert normalize.meta_email(" Jane.Doe+promo@GMail.com ") == "jane.doe+promo@gmail.com"


_LOCAL = st.text(alphabet="abcXYZ019._+- ", min_size=1, max_size=20)


@given(local=_LOCAL, domain=st.sampled_from(["gmail.com", "GoogleMail.com", "example.com"]))
def test_google_email_rules_hold_for_any_address(local, domain):
    out = normalize.google_email(f" {local}@{domain} ")
    mailbox = re.sub(r"\s", "", local).lower()
    if domain.lower() in ("gmail.com", "googlemail.com"):
        mailbox = mailbox.split("+", 1)[0].replace(".", "")
    if not mailbox:  # nothing names a mailbox (`+promo@gmail.com`): no address, not `@gmail.com`
        assert out is None
        return
    assert out == normalize.google_email(out)  # idempotent
    assert out == out.lower()
    assert not re.search(r"\s", out)
    name, _, host = out.rpartition("@")
    assert host == domain.lower()
    if host in ("gmail.com", "googlemail.com"):
        assert "." not in name
        assert "+" not in name
    else:
        assert name == re.sub(r"\s", "", local).lower()


# --- partial failures ---------------------------------------------------------------------------


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
