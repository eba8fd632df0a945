"""UTMify order postback: a conversion becomes a paid order with the lead's UTMs, a refund
or chargeback posts the same order again with its new status; retries, age limits,
the log without plain personal data, and the refund API's errors."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from rastro.conversions.connectors.base import ConversionRecord
from rastro.conversions.connectors.utmify import UtmifyConnector, utc_text
from rastro.conversions.models import ConversionSync, PlatformSyncLog
from rastro.core.db import Scope
from rastro.crm.models import Lead
from tests.conversions.factories import (
    FAST,
    add_utmify,
    create_conversion,
    make_lead,
    make_org,
    rows,
    sync,
)
from tests.crm.factories import make_leads
from tests.helpers import drain_jobs

UTMS = {"utm_content": "ad|789", "utm_term": "Instagram_Feed", "src": "bio", "sck": "stories"}


def sha(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


async def _lead(databases, org, **fields):
    (row,) = await make_leads(
        databases,
        org.id,
        source="facebook",
        medium="paid_social",
        campaign="bf|123",
        # An untracked lead (no credited touch in the BI database): the form's hidden
        # fields are its one touch.
        metadata_={
            "submitted_attribution": {
                "utm_source": "facebook",
                "utm_medium": "paid_social",
                "utm_campaign": "bf|123",
                **UTMS,
            }
        },
        **{"email": f"maria.{uuid.uuid4().hex[:8]}@example.com", "name": "Maria Silva", **fields},
    )
    return row.lead_id


async def _utmify_state(databases, org, conversion_id):
    (row,) = await rows(
        databases,
        org,
        ConversionSync,
        ConversionSync.conversion_id == uuid.UUID(str(conversion_id)),
        ConversionSync.platform == "utmify",
    )
    return row


async def _utmify_log(databases, org, conversion_id):
    entries = await rows(
        databases,
        org,
        PlatformSyncLog,
        PlatformSyncLog.conversion_id == uuid.UUID(str(conversion_id)),
        PlatformSyncLog.platform == "utmify",
    )
    return sorted(entries, key=lambda e: (e.synced_at, e.attempt))


async def test_a_sale_is_a_paid_order_and_a_refund_updates_the_same_order(
    client, databases, settings, meta, utmify
):
    org = await make_org(client, databases, meta)
    await add_utmify(client, org, utmify, settings={"platform_name": "LojaX", "is_test": True})
    lead = await _lead(databases, org, email="maria.silva@example.com", phone="+5511987654321")
    sold_at = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0)
    local = sold_at.astimezone(timezone(timedelta(hours=-3)))
    conversion = await create_conversion(
        client,
        org,
        lead,
        conversion_value="199.90",
        order_id="ORDER-10001",
        conversion_date=local.isoformat(),
    )
    assert (conversion["sync_status"]["meta"], conversion["sync_status"]["utmify"]) == (
        "pending",
        "pending",
    )
    assert conversion["order_status"] == "paid"

    await drain_jobs(settings, databases, queues=["conversions"])

    (request,) = utmify.order_requests
    assert request.headers["x-api-token"] == "utmify-fake-api-credential-5678"
    (order,) = utmify.accepted
    created = sold_at.strftime("%Y-%m-%d %H:%M:%S")  # UTC, whatever offset came in
    assert order == {
        "orderId": "ORDER-10001",
        "platform": "LojaX",
        "paymentMethod": "pix",
        "status": "paid",
        "createdAt": created,
        "approvedDate": created,
        "refundedAt": None,
        "customer": {
            "name": "Maria Silva",
            "email": "maria.silva@example.com",
            "phone": "11987654321",
            "document": None,
            "country": "BR",
        },
        "products": [
            {
                "id": "purchase",
                "name": "purchase",
                "planId": None,
                "planName": None,
                "quantity": 1,
                "priceInCents": 19990,
            }
        ],
        # All from one touch: here the form's hidden fields (the lead was not tracked).
        "trackingParameters": {
            "src": "bio",
            "sck": "stories",
            "utm_source": "facebook",
            "utm_campaign": "bf|123",
            "utm_medium": "paid_social",
            "utm_content": "ad|789",
            "utm_term": "Instagram_Feed",
        },
        "commission": {
            "totalPriceInCents": 19990,
            "gatewayFeeInCents": 0,
            "userCommissionInCents": 19990,
            "currency": "BRL",
        },
        "isTest": True,
    }
    assert len(meta.accepted) == 1  # the ad platform got its event as usual
    state = await _utmify_state(databases, org, conversion["conversion_id"])
    assert (state.status, state.attempts) == ("sent", 1)
    (entry,) = await _utmify_log(databases, org, conversion["conversion_id"])
    assert (entry.sync_status, entry.http_status_code) == ("success", 200)
    # UTMify takes the customer in plain text; the log keeps only hashes, never the token.
    logged = str(entry.request_payload)
    assert "maria.silva@example.com" not in logged
    assert "Maria Silva" not in logged
    assert "11987654321" not in logged
    assert "utmify-fake" not in logged
    assert entry.request_payload["event"]["customer"] == {
        "email_sha256": sha("maria.silva@example.com"),
        "phone_sha256": sha("11987654321"),
        "country": "BR",
    }
    assert entry.request_payload["request"]["path"] == "/api-credentials/orders"

    # The refund posts the same order (same id, same createdAt) with its new status.
    refunded_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    refund = await client.post(
        f"/api/conversions/{conversion['conversion_id']}/refund",
        headers=org.headers,
        json={"status": "refunded", "refunded_at": refunded_at.isoformat()},
    )
    assert refund.status_code == 200, refund.text
    body = refund.json()
    assert body["order_status"] == "refunded"
    assert (body["sync_status"]["meta"], body["sync_status"]["utmify"]) == ("sent", "pending")
    await drain_jobs(settings, databases, queues=["conversions"])
    assert [o["status"] for o in utmify.accepted] == ["paid", "refunded"]
    update = utmify.orders["ORDER-10001"]
    assert update["createdAt"] == created
    assert update["approvedDate"] == created
    assert update["refundedAt"] == refunded_at.strftime("%Y-%m-%d %H:%M:%S")
    assert len(meta.accepted) == 1  # Meta keeps the sale: no second event
    log = await _utmify_log(databases, org, conversion["conversion_id"])
    assert [(e.sync_status, e.request_payload["event"]["status"]) for e in log] == [
        ("success", "paid"),
        ("success", "refunded"),
    ]

    # Once refunded, the order cannot be refunded or charged back again.
    for status in ("refunded", "chargedback"):
        again = await client.post(
            f"/api/conversions/{conversion['conversion_id']}/refund",
            headers=org.headers,
            json={"status": status},
        )
        assert again.status_code == 409, again.text
        assert again.json()["error"]["code"] == "conflict"
    assert len(utmify.accepted) == 2


async def test_transient_failures_retry_and_rejections_do_not(client, databases, settings, utmify):
    org = await make_org(client, databases, None)
    await add_utmify(client, org, utmify)
    first = await create_conversion(client, org, await _lead(databases, org))
    utmify.fail(1, 429, {"message": "Too many requests"}, **{"retry-after": "30"})
    utmify.fail(1, 502, {"message": "Bad gateway"})
    now = datetime.now(UTC)
    report = await sync(settings, databases, now=now)
    assert (report.requests, report.retrying) == (1, 1)
    state = await _utmify_state(databases, org, first["conversion_id"])
    assert state.status == "pending"
    assert state.next_attempt_at >= now + timedelta(seconds=30)
    assert "HTTP 429" in state.reason
    await sync(settings, databases, now=now + timedelta(minutes=5))
    await sync(settings, databases, now=now + timedelta(hours=1))
    log = await _utmify_log(databases, org, first["conversion_id"])
    assert [(e.sync_status, e.http_status_code) for e in log] == [
        ("retrying", 429),
        ("retrying", 502),
        ("success", 200),
    ]
    assert [o["orderId"] for o in utmify.accepted] == [first["order_id"]]

    # A 400 (a rejected order) is final: logged with UTMify's message, not retried.
    second = await create_conversion(
        client, org, await _lead(databases, org), conversion_name="upsell"
    )
    utmify.fail(1, 400, {"message": "customer.email must be an e-mail address"})
    await sync(settings, databases, FAST)
    state = await _utmify_state(databases, org, second["conversion_id"])
    assert state.status == "failed"
    assert "customer.email must be an e-mail address" in state.reason
    assert (await sync(settings, databases, now=now + timedelta(days=1))).requests == 0


async def test_a_wrong_token_is_a_final_failure(client, databases, settings, utmify):
    org = await make_org(client, databases, None)
    await add_utmify(client, org, utmify, token="not-the-token")
    conversion = await create_conversion(client, org, await _lead(databases, org))
    await sync(settings, databases)
    state = await _utmify_state(databases, org, conversion["conversion_id"])
    assert state.status == "failed"
    assert "HTTP 401" in state.reason
    assert utmify.accepted == []


async def test_age_limits_and_what_cannot_be_sent(client, databases, settings, utmify):
    org = await make_org(client, databases, None)
    await add_utmify(client, org, utmify)
    # A sale 8 days old: past UTMify's 7 days for paid orders, expired unsent...
    old = await create_conversion(
        client,
        org,
        await _lead(databases, org),
        conversion_date=(datetime.now(UTC) - timedelta(days=8)).isoformat(),
    )
    assert old["sync_status"]["utmify"] == "expired"
    state = await _utmify_state(databases, org, old["conversion_id"])
    assert "7 days" in state.reason
    # ...but its refund is inside the 45 days UTMify gives refunds: it is posted.
    refund = await client.post(
        f"/api/conversions/{old['conversion_id']}/refund",
        headers=org.headers,
        json={"status": "chargedback"},
    )
    assert refund.status_code == 200, refund.text
    assert refund.json()["sync_status"]["utmify"] == "pending"
    await sync(settings, databases)
    (order,) = utmify.accepted
    assert (order["status"], order["orderId"]) == ("chargedback", old["order_id"])
    assert order["refundedAt"] is not None

    # No e-mail: nothing UTMify can take.
    no_email = await make_lead(databases, org, email="x@y.com.br")
    async with databases.crm.transaction(Scope.organization(org.id)) as session:
        (await session.get(Lead, no_email)).email = None
    out = await create_conversion(client, org, no_email)
    assert out["sync_status"]["utmify"] == "not_applicable"
    # A currency UTMify does not list fails at send time with the reason.
    jpy = await create_conversion(
        client, org, await _lead(databases, org), conversion_currency="JPY"
    )
    await sync(settings, databases)
    state = await _utmify_state(databases, org, jpy["conversion_id"])
    assert state.status == "failed"
    assert "JPY" in state.reason
    assert len(utmify.accepted) == 1

    # Without a UTMify credential the delivery is not applicable, and a refund posts
    # nothing (there is no order to update).
    other = await make_org(client, databases, None)
    plain = await create_conversion(client, other, await _lead(databases, other))
    assert plain["sync_status"]["utmify"] == "not_applicable"
    refund = await client.post(
        f"/api/conversions/{plain['conversion_id']}/refund",
        headers=other.headers,
        json={"status": "refunded"},
    )
    assert refund.status_code == 200
    assert refund.json()["sync_status"]["utmify"] == "not_applicable"


async def test_the_refund_api_rejects_bad_input(client, databases, utmify):
    org = await make_org(client, databases, None)
    await add_utmify(client, org, utmify)
    conversion = await create_conversion(
        client,
        org,
        await _lead(databases, org),
        conversion_date=(datetime.now(UTC) - timedelta(days=1)).isoformat(),
    )
    path = f"/api/conversions/{conversion['conversion_id']}/refund"
    bad = [
        {},
        {"status": "paid"},
        {"status": "cancelled"},
        {"status": "refunded", "refunded_at": "2026-01-01T10:00:00"},  # no offset
        {"status": "refunded", "refunded_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()},
        {"status": "refunded", "refunded_at": (datetime.now(UTC) - timedelta(days=2)).isoformat()},
    ]
    for body in bad:
        response = await client.post(path, headers=org.headers, json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["code"] == "validation_error"
    unknown = await client.post(
        f"/api/conversions/{uuid.uuid4()}/refund", headers=org.headers, json={"status": "refunded"}
    )
    assert unknown.status_code == 404
    other = await make_org(client, databases, None)
    cross = await client.post(path, headers=other.headers, json={"status": "refunded"})
    assert cross.status_code == 404
    # Nothing changed.
    detail = await client.get(
        f"/api/conversions/{conversion['conversion_id']}", headers=org.headers
    )
    assert detail.json()["conversion"]["order_status"] == "paid"


@given(
    moment=st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=-3)), timezone(timedelta(hours=5, minutes=45))]
        ),
    ),
    cents=st.integers(min_value=0, max_value=10**12),
)
def test_dates_are_utc_text_and_values_whole_cents(moment, cents):
    text = utc_text(moment)
    assert datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC) == moment.astimezone(
        UTC
    ).replace(microsecond=0)
    record = ConversionRecord(
        conversion_id=uuid.uuid4(),
        order_id="o-1",
        conversion_name="purchase",
        conversion_date=moment,
        value=Decimal(cents) / 100,
        currency="brl",
        clicked_at=None,
        click_ids={},
        email="a@b.co",
        phone="+14155550123",
        name=None,
        person_id="p",
        page_url=None,
    )
    order = UtmifyConnector().event(record)
    assert order["products"][0]["priceInCents"] == cents
    assert order["commission"]["totalPriceInCents"] == cents
    assert order["createdAt"] == text
    assert order["customer"]["phone"] == "14155550123"
    assert order["customer"]["country"] == "US"
    assert order["customer"]["name"] == "a"
    assert set(order["trackingParameters"].values()) == {None}
