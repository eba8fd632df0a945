"""Google: a tracked gclid click through a lead and `won` to a conversion accepted by the
fake Data Manager API (the default path) and by the fake Google Ads API; click id
precedence; enhanced conversions for leads hashed by Google's rules; partial failures
mapped to their rows; the 6-hour minimum click age; the 90-day window; retries."""

from __future__ import annotations

import json
import re
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
from rastro.conversions.models import OfflineConversion, PlatformSyncLog
from rastro.core.db import Scope
from tests.conversions.factories import (
    Org,
    create_conversion,
    make_lead,
    rows,
    sync,
    tracked_won_lead,
)
from tests.conversions.google_setup import (
    ACTION_ID,
    CUSTOMER_ID,
    DEVELOPER_TOKEN,
    GCLID,
    LANDING,
    MANAGER_ID,
    SESSION,
    SIX_HOURS,
    TOKEN,
    VISITOR,
    add_google,
    clicked,
    google_log,
    google_org,
    google_state,
    sha,
)
from tests.helpers import drain_jobs
from tests.tracking.factories import make_site

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
    await tracked_won_lead(
        client,
        site,
        landing=LANDING,
        referrer="https://www.google.com/",
        session=SESSION,
        visitor=VISITOR,
        name="Jane Doe",
        email=" Jane.Doe+promo@GMail.com ",
        phone="(11) 98765-4321",
    )
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
