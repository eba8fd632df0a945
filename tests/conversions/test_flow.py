"""Conversions end to end: a tracked Meta click, a lead, `won`, the conversion accepted
by the fake Meta; windows and age limits; the API; tenant isolation."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from rastro.conversions.models import ConversionSync, OfflineConversion, PlatformSyncLog
from rastro.core.db import Scope
from rastro.crm.models import Lead
from rastro.tracking.models import UtmTracking
from tests.conversions.factories import (
    DATASET_ID,
    create_conversion,
    make_lead,
    make_org,
    platform_health,
    platform_sync,
    rows,
    sync,
    tracked_won_lead,
)
from tests.helpers import drain_jobs
from tests.tracking.factories import ORIGIN, make_site

FBCLID = "IwAR2F4-dbP0l7Mn1IawQQGCINEz7PYXQvwjNwB_qa2ofrHyiLjcbCRxTDMgk"
LANDING = f"{ORIGIN}/lp?utm_source=facebook&utm_medium=paid_social&utm_campaign=bf&fbclid={FBCLID}"
SESSION = "s_" + "m" * 22
VISITOR = "v_" + "n" * 22


def sha(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


async def test_a_meta_click_becomes_a_lead_then_a_sale_that_meta_accepts(
    client, databases, settings, meta
):
    site = await make_site(client, databases)
    org_headers = site.headers
    credential = await client.post(
        "/api/credentials",
        headers=org_headers,
        json={
            "name": "Meta",
            "service": "meta",
            "api_key": "EAAB-fake-system-user-token-1234",
            "api_url": meta.url,
            "settings": {"pixel_id": DATASET_ID},
        },
    )
    assert credential.status_code == 201, credential.text
    lead_id = await tracked_won_lead(
        client,
        site,
        landing=LANDING,
        referrer="https://l.facebook.com/",
        session=SESSION,
        visitor=VISITOR,
        name="Jane D'Ávila",
        email=" Jane.Doe+promo@GMail.com ",
        phone="(11) 98765-4321",
        headers=org_headers,
    )
    # Created in the stage change's transaction, with the click copied at capture.
    async with databases.bi.transaction(Scope.organization(site.account.organization_id)) as bi:
        (touch,) = await bi.scalars(select(UtmTracking))
    async with databases.crm.transaction(Scope.organization(site.account.organization_id)) as s:
        (conversion,) = await s.scalars(select(OfflineConversion))
        lead = await s.get(Lead, uuid.UUID(lead_id))
    assert conversion.lead_id == lead.lead_id
    assert conversion.fbclid == FBCLID
    assert conversion.clicked_at == touch.created_at
    assert conversion.original_tracking_id == touch.tracking_id
    assert conversion.conversion_value == 1500
    assert conversion.conversion_currency == "BRL"
    assert conversion.conversion_name == "purchase"
    assert conversion.origin == "won"
    assert conversion.sync_status["meta"] == "pending"

    await drain_jobs(settings, databases, queues=["conversions"])

    (request,) = meta.event_requests
    assert request.path == f"/v26.0/{DATASET_ID}/events"
    (sent,) = meta.accepted
    assert sent["event_name"] == "Purchase"
    assert sent["event_id"] == conversion.order_id == str(conversion.conversion_id)
    assert sent["action_source"] == "system_generated"
    assert sent["event_time"] == int(conversion.conversion_date.timestamp())
    user = sent["user_data"]
    # Meta's rules, computed here by hand: e-mail trimmed and lower-cased (no gmail
    # rewriting), phone digits with the country code and no "+", names without punctuation.
    assert user["em"] == [sha("jane.doe+promo@gmail.com")]
    assert user["ph"] == [sha("5511987654321")]
    assert user["fn"] == [sha("jane")]
    assert user["ln"] == [sha("dávila")]
    assert user["external_id"] == [sha(str(lead.contact_id))]
    click_ms = int(touch.created_at.timestamp() * 1000)
    assert user["fbc"] == f"fb.1.{click_ms}.{FBCLID}"
    assert sent["custom_data"] == {
        "value": 1500.0,
        "currency": "BRL",
        "order_id": str(conversion.conversion_id),
    }

    detail = await client.get(f"/api/conversions/{conversion.conversion_id}", headers=org_headers)
    assert detail.status_code == 200, detail.text
    body = detail.json()
    assert body["conversion"]["sync_status"]["meta"] == "sent"
    platform = platform_sync(body["conversion"], "meta")
    assert platform["status"] == "sent"
    assert platform["attempts"] == 1
    assert platform["sent_at"] is not None
    (entry,) = body["sync_log"]
    assert entry["sync_status"] == "success"
    assert entry["http_status_code"] == 200
    assert entry["response_data"]["events_received"] == 1
    # Personal data only hashed in the log, and never the token.
    logged = str(entry["request_payload"])
    assert "jane.doe" not in logged
    assert "5511987654321" not in logged
    assert "EAAB" not in logged
    assert "access_token" not in logged
    assert entry["request_payload"]["event"]["user_data"]["em"] == [sha("jane.doe+promo@gmail.com")]

    # Winning again (or a value change) creates nothing new.
    again = await client.post(
        f"/api/leads/{lead_id}/stages", headers=org_headers, json={"stage_name": "won"}
    )
    assert again.status_code == 201
    listed = await client.get("/api/conversions", headers=org_headers)
    assert listed.json()["total"] == 1
    assert listed.json()["items"][0]["campaign"] == "bf"


async def test_windows_and_meta_age_limit(client, databases, settings, meta):
    org = await make_org(client, databases, meta)
    now = datetime.now(UTC)
    # A click 30 days before the sale: outside Meta's 28-day window (seed 000 default).
    old_click = await make_lead(
        databases, org, click_ids={"fbclid": "old"}, clicked_at=now - timedelta(days=30)
    )
    expired = await create_conversion(client, org, old_click)
    assert expired["sync_status"]["meta"] == "expired"
    assert "28 days" in platform_sync(expired, "meta")["reason"]
    # The same reason as a code the dashboard translates, with its figures.
    outside = platform_sync(expired, "meta")
    assert outside["reason_code"] == "outside_window"
    assert outside["reason_params"]["window"] == 28
    assert outside["reason_params"]["days"] == 30
    assert outside["reason_params"]["platform"] == "meta"

    # A window of 35 days for this conversion action lets the same click through.
    put = await client.put(
        "/api/conversions/settings",
        headers=org.headers,
        json={"actions": {"contract_signed": {"meta": {"window_days": 35}}}},
    )
    assert put.status_code == 200, put.text
    assert put.json()["effective_windows"]["meta"] == 28
    inside = await create_conversion(client, org, old_click, conversion_name="contract_signed")
    assert inside["sync_status"]["meta"] == "pending"

    # An e-mail-only match has no click: no window applies.
    no_click = await make_lead(databases, org)
    assert (await create_conversion(client, org, no_click))["sync_status"]["meta"] == "pending"

    # A sale 8 days old is past Meta's 7-day event age at creation already...
    aged = await make_lead(databases, org, click_ids={"fbclid": "x"})
    too_old = await create_conversion(
        client, org, aged, conversion_date=(now - timedelta(days=8)).isoformat()
    )
    assert too_old["sync_status"]["meta"] == "expired"
    assert "7 days" in platform_sync(too_old, "meta")["reason"]
    assert platform_sync(too_old, "meta")["reason_code"] == "conversion_too_old"
    assert platform_sync(too_old, "meta")["reason_params"]["days"] == 7

    # ...and one that turns 7 days old while waiting expires at send time, unsent.
    waiting = await make_lead(databases, org, click_ids={"fbclid": "y"})
    late = await create_conversion(
        client,
        org,
        waiting,
        conversion_date=(now - timedelta(days=7) + timedelta(minutes=30)).isoformat(),
    )
    assert late["sync_status"]["meta"] == "pending"
    report = await sync(settings, databases, now=now + timedelta(hours=1))
    assert report.expired == 1
    (row,) = await rows(
        databases,
        org,
        ConversionSync,
        ConversionSync.conversion_id == uuid.UUID(late["conversion_id"]),
        ConversionSync.platform == "meta",
    )
    assert row.status == "expired"
    assert "7 days" in row.reason
    assert str(late["conversion_id"]) not in meta.unique_event_ids
    assert report.sent == 2  # the two others pending went out in one request
    assert len(meta.event_requests) == 1


async def test_not_applicable_without_an_account_or_anything_to_match(client, databases, meta):
    no_account = await make_org(client, databases, None)
    lead = await make_lead(databases, no_account, click_ids={"fbclid": "abc"})
    out = await create_conversion(client, no_account, lead)
    assert out["sync_status"]["meta"] == "not_applicable"
    assert "credential" in platform_sync(out, "meta")["reason"]

    org = await make_org(client, databases, meta)
    # No e-mail, no phone, no Meta click: nothing Meta can match on.
    anonymous = await make_lead(databases, org, phone=None, email="x@y.com.br")
    async with databases.crm.transaction(Scope.organization(org.id)) as s:
        row = await s.get(Lead, anonymous)
        row.email = None
    out = await create_conversion(client, org, anonymous)
    assert out["sync_status"]["meta"] == "not_applicable"
    assert "match" in platform_sync(out, "meta")["reason"]


async def test_the_api_creates_once_validates_and_checks_permissions(client, databases, meta):
    org = await make_org(client, databases, meta)
    lead = await make_lead(databases, org, campaign="bf")
    first = await create_conversion(
        client, org, lead, order_id="ORDER-10001", conversion_currency="usd"
    )
    assert first["order_id"] == "ORDER-10001"
    assert first["conversion_currency"] == "USD"
    assert first["origin"] == "api"
    again = await client.post(
        "/api/conversions",
        headers=org.headers,
        json={"lead_id": str(lead), "conversion_value": "999.00"},
    )
    assert again.status_code == 200
    assert again.json()["conversion_id"] == first["conversion_id"]
    assert again.json()["conversion_value"] == "250.00"

    bad = [
        {"lead_id": str(uuid.uuid4())},
        {"lead_id": str(lead), "conversion_value": "-1"},
        {"lead_id": str(lead), "conversion_currency": "reais"},
        {"lead_id": str(lead), "conversion_name": "Has Spaces"},
        {"lead_id": str(lead), "conversion_date": "2026-01-01T10:00:00"},  # no offset
        {
            "lead_id": str(lead),
            "conversion_date": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
        },
    ]
    for body in bad:
        response = await client.post("/api/conversions", headers=org.headers, json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["code"] == "validation_error"
    assert (await client.get("/api/conversions", headers=org.headers)).json()["total"] == 1

    # An API key needs conversions:write.
    key = await client.post(
        "/api/api-keys", headers=org.headers, json={"name": "checkout", "scopes": ["crm:write"]}
    )
    denied = await client.post(
        "/api/conversions",
        headers={"authorization": f"Bearer {key.json()['key']}"},
        json={"lead_id": str(lead), "conversion_name": "upsell"},
    )
    assert denied.status_code == 403
    key = await client.post(
        "/api/api-keys",
        headers=org.headers,
        json={"name": "checkout", "scopes": ["conversions:write"]},
    )
    allowed = await client.post(
        "/api/conversions",
        headers={"authorization": f"Bearer {key.json()['key']}"},
        json={"lead_id": str(lead), "conversion_name": "upsell"},
    )
    assert allowed.status_code == 201, allowed.text

    # Filters: platform status, campaign, dates.
    async def total(**params):
        response = await client.get("/api/conversions", headers=org.headers, params=params)
        assert response.status_code == 200, response.text
        return response.json()["total"]

    assert await total(status="pending", platform="meta") == 2
    assert await total(status="sent") == 0
    assert await total(campaign="bf") == 2
    assert await total(campaign="other") == 0
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert await total(date_from=tomorrow) == 0
    assert await total(date_to=tomorrow) == 2
    bad_filter = await client.get("/api/conversions", headers=org.headers, params={"status": "x"})
    assert bad_filter.status_code == 422


async def test_another_organization_sees_nothing(client, databases, settings, meta):
    org = await make_org(client, databases, meta)
    other = await make_org(client, databases, None)
    lead = await make_lead(databases, org)
    conversion = await create_conversion(client, org, lead)
    await sync(settings, databases)
    cid = conversion["conversion_id"]
    assert (await client.get("/api/conversions", headers=other.headers)).json()["total"] == 0
    for path in (f"/api/conversions/{cid}",):
        assert (await client.get(path, headers=other.headers)).status_code == 404
    retry = await client.post(f"/api/conversions/{cid}/retry", headers=other.headers, json={})
    assert retry.status_code == 404
    resend = await client.post(
        f"/api/conversions/{cid}/resend", headers=other.headers, json={"platform": "meta"}
    )
    assert resend.status_code == 404
    # Another organization's lead cannot be converted either.
    cross = await client.post(
        "/api/conversions", headers=other.headers, json={"lead_id": str(lead)}
    )
    assert cross.status_code == 422
    health = platform_health(
        (await client.get("/api/conversions/health", headers=other.headers)).json(), "meta"
    )
    assert health["last_success_at"] is None
    assert health["attempts_24h"] == 0
    assert len(await rows(databases, other, PlatformSyncLog)) == 0


async def test_a_crm_webhook_won_deal_creates_the_conversion_in_its_transaction(
    client, databases, settings, meta
):
    from tests.integrations import webhook_setup as crm_webhooks

    org = await crm_webhooks.make_org(client, databases)
    await crm_webhooks.add_credential(
        client, org, "pipedrive_webhook", "rastro", "pd-webhook-password-123"
    )
    credential = await client.post(
        "/api/credentials",
        headers=org.headers,
        json={
            "name": "Meta",
            "service": "meta",
            "api_key": "EAAB-fake-system-user-token-1234",
            "api_url": meta.url,
            "settings": {"pixel_id": DATASET_ID},
        },
    )
    assert credential.status_code == 201, credential.text
    lead_id = await crm_webhooks.make_lead(
        databases, org, email="joao@cliente.com.br", external_id="555"
    )
    body = crm_webhooks.pipedrive_body(
        "8c1f0b4e-6a2d-4f38-9d1e-2c6b2f7a9e10", 555, status="won", value=4200
    )
    ok = await client.post(
        org.url("pipedrive"),
        json=body,
        headers=crm_webhooks.basic("rastro", "pd-webhook-password-123"),
    )
    assert ok.status_code == 200, ok.text
    async with databases.crm.transaction(Scope.organization(org.id)) as s:
        (conversion,) = await s.scalars(select(OfflineConversion))
    assert conversion.lead_id == lead_id
    assert (conversion.origin, conversion.conversion_value) == ("won", 4200)
    assert conversion.sync_status["meta"] == "pending"
    # A replay of the same delivery changes nothing.
    await client.post(
        org.url("pipedrive"),
        json=body,
        headers=crm_webhooks.basic("rastro", "pd-webhook-password-123"),
    )
    await drain_jobs(settings, databases, queues=["conversions"])
    assert meta.unique_event_ids == {str(conversion.conversion_id)}
    assert len(meta.accepted) == 1
