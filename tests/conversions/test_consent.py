"""Consent on the way to the ad platforms (issue 22): a lead that refused its data to ad
platforms is never sent and its delivery says why (`no_ad_consent`); a lead that
consented goes with its consent as each platform takes it: Google's `consent`
(`adUserData` in the Ads API's ClickConversion, both purposes in Data Manager), Meta's
Limited Data Use when ad personalization is refused. The fakes refuse malformed consent
as the real APIs do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from google.ads.googleads.v26.services.types.conversion_upload_service import (
    UploadClickConversionsRequest,
)
from google.protobuf import json_format

from tests.conversions.factories import create_conversion, make_lead, make_org, platform_sync, sync
from tests.conversions.google_setup import ACTION_ID, GCLID, MANAGER_ID, google_org
from tests.fakes.meta import _check_processing_options

REFUSED = {"analytics": True, "ad_user_data": False, "ad_personalization": False}
DATA_ONLY = {"analytics": True, "ad_user_data": True, "ad_personalization": False}
GRANTED = {"analytics": True, "ad_user_data": True, "ad_personalization": True}


async def test_a_lead_without_ad_consent_is_never_sent(client, databases, settings, meta):
    org = await make_org(client, databases, meta)
    lead = await make_lead(databases, org, click_ids={"fbclid": "fb1"}, consent=REFUSED)
    conversion = await create_conversion(client, org, lead)
    assert conversion["sync_status"]["meta"] == "not_applicable"
    delivery = platform_sync(conversion, "meta")
    assert delivery["reason_code"] == "no_ad_consent"
    assert delivery["reason_params"] == {"platform": "meta"}
    await sync(settings, databases, organization_id=org.id)
    assert meta.event_requests == []
    # A sync later leaves it unsent.
    detail = await client.get(
        f"/api/conversions/{conversion['conversion_id']}", headers=org.headers
    )
    assert detail.json()["conversion"]["sync_status"]["meta"] == "not_applicable"


@pytest.mark.parametrize(
    ("consent", "expected"),
    [
        (
            DATA_ONLY,
            {
                "data_processing_options": ["LDU"],
                "data_processing_options_country": 0,
                "data_processing_options_state": 0,
            },
        ),
        (GRANTED, {"data_processing_options": []}),
        (None, {}),
    ],
)
async def test_meta_gets_limited_data_use_without_ad_personalization(
    client, databases, settings, meta, consent, expected
):
    org = await make_org(client, databases, meta)
    lead = await make_lead(databases, org, click_ids={"fbclid": "fb1"}, consent=consent)
    await create_conversion(client, org, lead)
    report = await sync(settings, databases, organization_id=org.id)
    assert report.sent == 1, report
    (sent,) = meta.accepted
    options = {k: v for k, v in sent.items() if k.startswith("data_processing_options")}
    assert options == expected


def _clicked() -> datetime:
    return datetime.now(UTC) - timedelta(hours=7)  # past Google's 6-hour minimum


async def test_google_data_manager_gets_both_purposes(client, databases, settings, data_manager):
    org = await google_org(client, databases, data_manager.url, "data_manager")
    lead = await make_lead(
        databases, org, click_ids={"gclid": GCLID}, clicked_at=_clicked(), consent=DATA_ONLY
    )
    await create_conversion(client, org, lead)
    report = await sync(settings, databases, organization_id=org.id)
    assert report.sent == 1, report
    (sent,) = data_manager.accepted
    assert sent["consent"] == {
        "adUserData": "CONSENT_GRANTED",
        "adPersonalization": "CONSENT_DENIED",
    }


async def test_google_ads_gets_ad_user_data_only(client, databases, settings, google_ads):
    org = await google_org(client, databases, google_ads.url, "ads", login_customer_id=MANAGER_ID)
    lead = await make_lead(
        databases, org, click_ids={"gclid": GCLID}, clicked_at=_clicked(), consent=GRANTED
    )
    await create_conversion(client, org, lead)
    report = await sync(settings, databases, organization_id=org.id)
    assert report.sent == 1, report
    (request,) = google_ads.upload_requests
    (conversion,) = request.json["conversions"]
    assert conversion["consent"] == {"adUserData": "GRANTED"}
    parsed = UploadClickConversionsRequest.pb()()
    json_format.ParseDict(request.json, parsed)  # the official v26 message takes it
    assert parsed.conversions[0].consent.ad_user_data == 2  # ConsentStatus.GRANTED


async def test_a_lead_without_consent_state_goes_without_consent(
    client, databases, settings, google_ads
):
    org = await google_org(client, databases, google_ads.url, "ads", login_customer_id=MANAGER_ID)
    lead = await make_lead(databases, org, click_ids={"gclid": GCLID}, clicked_at=_clicked())
    await create_conversion(client, org, lead)
    assert (await sync(settings, databases, organization_id=org.id)).sent == 1
    (request,) = google_ads.upload_requests
    assert "consent" not in request.json["conversions"][0]


# --- the fakes validate consent like the real APIs ------------------------------------------


def _ads_body(consent: dict[str, Any]) -> dict[str, Any]:
    return {
        "conversions": [
            {
                "conversionAction": f"customers/1234567890/conversionActions/{ACTION_ID}",
                "conversionDateTime": "2026-01-02 10:00:00+00:00",
                "gclid": GCLID,
                "consent": consent,
            }
        ],
        "partialFailure": True,
    }


def test_the_google_ads_fake_refuses_consent_the_api_refuses(google_ads):
    headers = {
        "authorization": "Bearer ya29.fake-oauth-access-token-0001",
        "developer-token": "fake-dev-token-abc",
        "login-customer-id": MANAGER_ID,
    }
    url = f"{google_ads.url}/v26/customers/1234567890:uploadClickConversions"
    # ad_personalization exists in Consent but not for click conversions: a row error.
    both = {"adUserData": "GRANTED", "adPersonalization": "GRANTED"}
    response = httpx.post(url, json=_ads_body(both), headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["partialFailureError"]
    assert google_ads.order_ids == []
    # An unknown status does not parse: the whole request is refused.
    response = httpx.post(url, json=_ads_body({"adUserData": "YES"}), headers=headers)
    assert response.status_code == 400
    # adUserData alone is taken.
    response = httpx.post(url, json=_ads_body({"adUserData": "DENIED"}), headers=headers)
    assert response.status_code == 200, response.text
    assert not response.json().get("partialFailureError"), response.json()


@pytest.mark.parametrize(
    "options",
    [
        {"data_processing_options": ["GDPR"]},
        {"data_processing_options": [], "data_processing_options_country": 1},
        {"data_processing_options": ["LDU"], "data_processing_options_state": 5},
        {"data_processing_options_country": 0},
    ],
)
def test_the_meta_fake_refuses_bad_processing_options(options):
    assert _check_processing_options(0, {"event_name": "Purchase", **options}) is not None
    assert _check_processing_options(0, {"data_processing_options": ["LDU"]}) is None
