"""Each platform gets its own click from the person's whole journey, and an order postback
carries one touch's UTMs (issue 15, items 1 and 2).

A visitor comes from a Meta ad (fbclid), returns days later through a Google ad (gclid)
on the same browser, becomes a lead and is won. Reporting credits the first touch (Meta);
Google must still get the gclid with the Google click's time, Meta the fbc built from the
fbclid and the Meta click's time, and UTMify every UTM, src and sck of the credited touch
— the two touches differ in every field.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from rastro.conversions.connectors.base import ConversionRecord
from rastro.conversions.models import ConversionSync, OfflineConversion
from rastro.conversions.service import clicks
from rastro.core.db import Scope
from rastro.tracking.models import UtmTracking
from tests.conversions.factories import DATASET_ID, META_TOKEN, Org, add_utmify, sync
from tests.conversions.google_setup import ACTION_ID, CUSTOMER_ID, TOKEN, add_google
from tests.fakes.google_data_manager import FakeDataManager
from tests.fakes.meta import FakeMeta
from tests.helpers import drain_jobs
from tests.tracking.factories import ORIGIN, Site, batch, collect, event, make_site

FBCLID = "IwAR2F4-dbP0l7Mn1IawQQGCINEz7PYXQvwjNwB_qa2ofrHyiLjcbCRxTDMgk"
GCLID = "Cj0KCQjwJOURNEYgclid"
VISITOR = "v_" + "j" * 22
META_TOUCH = {
    "utm_source": "facebook",
    "utm_medium": "paid_social",
    "utm_campaign": "bf-video",
    "utm_content": "video1",
    "utm_term": "lookalike",
    "src": "instagram",
    "sck": "stories",
}
GOOGLE_TOUCH = {
    "utm_source": "google",
    "utm_medium": "cpc",
    "utm_campaign": "natal-search",
    "utm_content": "rsa2",
    "utm_term": "kit verao",
    "src": "search",
    "sck": "brand",
}


def _url(touch: dict[str, str], **click: str) -> str:
    query = "&".join(f"{k}={v.replace(' ', '+')}" for k, v in {**touch, **click}.items())
    return f"{ORIGIN}/lp?{query}"


@pytest.fixture
def data_manager() -> Iterator[FakeDataManager]:
    server = FakeDataManager(TOKEN, CUSTOMER_ID, actions=(ACTION_ID,)).start()
    yield server
    server.stop()


@dataclass
class Journey:
    site: Site
    lead_id: str
    meta_touch: UtmTracking
    google_touch: UtmTracking


async def _journey(client, databases, *, meta_days: float = 5, google_days: float = 2) -> Journey:
    """Meta click, then (days later, same browser) a Google click; the lead is captured on
    the Google visit with the hidden fields the tracker fills from its last touch."""
    site = await make_site(client, databases)
    for session_id, url, referrer in (
        ("s_" + "1" * 22, _url(META_TOUCH, fbclid=FBCLID), "https://l.facebook.com/"),
        ("s_" + "2" * 22, _url(GOOGLE_TOUCH, gclid=GCLID), "https://www.google.com/"),
    ):
        body = batch(
            site,
            [event(url=url, referrer=referrer, view_id=session_id[-4:], offset=-60)],
            session_id=session_id,
            visitor_id=VISITOR,
        )
        assert (await collect(client, body)).json()["accepted"] == 1
    org_id = site.account.organization_id
    # "Days later": the stored touch times moved back.
    now = datetime.now(UTC)
    async with databases.bi.transaction(Scope.organization(org_id)) as bi:
        for key, days in (("fbclid", meta_days), ("gclid", google_days)):
            await bi.execute(
                update(UtmTracking)
                .where(getattr(UtmTracking, key).is_not(None))
                .values(created_at=now - timedelta(days=days))
            )
    captured = await client.post(
        "/api/leads",
        headers={"origin": ORIGIN},
        json={
            "site": site.key,
            "name": "Jane Doe",
            "email": "jane.journey@example.com",
            "page_url": f"{ORIGIN}/lp",
            "rastro_session_id": "s_" + "2" * 22,
            "rastro_visitor_id": VISITOR,
            # What the tracker's hidden fields carry: its last touch (Google's).
            **GOOGLE_TOUCH,
            "gclid": GCLID,
        },
    )
    assert captured.status_code == 201, captured.text
    async with databases.bi.transaction(Scope.organization(org_id)) as bi:
        touches = list(await bi.scalars(select(UtmTracking)))
    meta_touch = next(t for t in touches if t.fbclid)
    google_touch = next(t for t in touches if t.gclid)
    return Journey(site, captured.json()["lead_id"], meta_touch, google_touch)


async def _win(client, journey: Journey) -> None:
    won = await client.post(
        f"/api/leads/{journey.lead_id}/stages",
        headers=journey.site.headers,
        json={"stage_name": "won", "stage_value": "1500.00"},
    )
    assert won.status_code == 201, won.text


async def _add_meta(client, headers: dict[str, str], meta: FakeMeta) -> None:
    response = await client.post(
        "/api/credentials",
        headers=headers,
        json={
            "name": "Meta",
            "service": "meta",
            "api_key": META_TOKEN,
            "api_url": meta.url,
            "settings": {"pixel_id": DATASET_ID},
        },
    )
    assert response.status_code == 201, response.text


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


async def test_google_gets_the_gclid_and_meta_the_fbc_of_the_same_journey(
    client, databases, settings, meta, data_manager
):
    journey = await _journey(client, databases)
    await add_google(client, journey.site.headers, data_manager.url, "data_manager")
    await _add_meta(client, journey.site.headers, meta)
    await _win(client, journey)
    org_id = journey.site.account.organization_id
    async with databases.crm.transaction(Scope.organization(org_id)) as s:
        (conversion,) = await s.scalars(select(OfflineConversion))
    # Reporting credits the first touch: the conversion names the Meta touch.
    assert conversion.original_tracking_id == journey.meta_touch.tracking_id
    assert conversion.fbclid == FBCLID
    assert conversion.gclid is None

    await drain_jobs(settings, databases, queues=["conversions"])

    (google_event,) = data_manager.accepted
    assert google_event["adIdentifiers"] == {"gclid": GCLID}
    (meta_event,) = meta.accepted
    assert meta_event["user_data"]["fbc"] == (f"fb.1.{_ms(journey.meta_touch.created_at)}.{FBCLID}")

    detail = await client.get(
        f"/api/conversions/{conversion.conversion_id}", headers=journey.site.headers
    )
    platforms = {p["platform"]: p for p in detail.json()["conversion"]["platforms"]}
    assert platforms["google"]["status"] == platforms["meta"]["status"] == "sent"
    google_click = platforms["google"]["click"]
    assert google_click["click_id_type"] == "gclid"
    assert google_click["click_id"] == GCLID
    assert google_click["tracking_id"] == str(journey.google_touch.tracking_id)
    assert datetime.fromisoformat(google_click["clicked_at"]) == journey.google_touch.created_at
    assert (google_click["utm_source"], google_click["utm_medium"]) == ("google", "cpc")
    assert google_click["utm_campaign"] == "natal-search"
    assert google_click["credited"] is False
    meta_click = platforms["meta"]["click"]
    assert meta_click["click_id_type"] == "fbclid"
    assert meta_click["tracking_id"] == str(journey.meta_touch.tracking_id)
    assert meta_click["credited"] is True


async def test_a_pending_conversion_takes_the_journey_click_at_its_next_sync(
    client, databases, settings, meta, data_manager
):
    """Created before the Google account existed in the sync's eyes: still pending, it gets
    the gclid when it is sent — nothing was fixed at creation."""
    journey = await _journey(client, databases, meta_days=30, google_days=3)
    await add_google(client, journey.site.headers, data_manager.url, "data_manager")
    await _add_meta(client, journey.site.headers, meta)
    await _win(client, journey)
    org_id = journey.site.account.organization_id
    async with databases.crm.transaction(Scope.organization(org_id)) as s:
        (conversion,) = await s.scalars(select(OfflineConversion))
        syncs = {row.platform: row for row in await s.scalars(select(ConversionSync))}
    # The credited Meta click is 30 days old (outside Meta's 28 days), but the person is
    # tracked: the decision waits for the journey at send time.
    assert syncs["google"].status == syncs["meta"].status == "pending"
    report = await sync(settings, databases, organization_id=org_id)
    assert report.sent == 1
    assert report.expired == 1, report
    (google_event,) = data_manager.accepted
    assert google_event["adIdentifiers"] == {"gclid": GCLID}
    assert meta.accepted == []
    async with databases.crm.transaction(Scope.organization(org_id)) as s:
        meta_sync = await s.get(ConversionSync, (conversion.conversion_id, "meta"))
        assert meta_sync is not None
    assert meta_sync.status == "expired"
    assert "28 days" in (meta_sync.reason or "")
    assert meta_sync.click is not None
    assert meta_sync.click["click_id"] == FBCLID


async def test_an_order_postback_carries_one_touch(client, databases, settings, utmify):
    """The credited (Meta) touch and the last (Google) touch differ in every field; the
    form's hidden fields carry the last; UTMify gets every field of the credited one."""
    journey = await _journey(client, databases)
    org = Org(journey.site.account, journey.site.headers, None)
    await add_utmify(client, org, utmify)
    await _win(client, journey)
    await drain_jobs(settings, databases, queues=["conversions"])
    (order,) = utmify.accepted
    assert order["trackingParameters"] == META_TOUCH


# --- the rule, touch by touch ------------------------------------------------------------------


def _touch(at: datetime, **fields: str) -> clicks.JourneyTouch:
    return clicks.JourneyTouch(tracking_id=uuid.uuid4(), at=at, fields=fields)


def test_the_newest_click_of_the_platform_wins_with_its_own_time() -> None:
    now = datetime.now(UTC)
    old_gclid = _touch(now - timedelta(days=9), gclid="old", utm_source="google")
    meta = _touch(now - timedelta(days=5), fbclid="fb1")
    braid = _touch(now - timedelta(days=3), wbraid="wb", gbraid="gb")
    later = _touch(now + timedelta(days=1), gclid="after-the-sale")
    touches = [old_gclid, meta, braid, later]
    google = clicks.newest_click("google", touches, until=now)
    assert google is not None
    assert (google.click_ids, google.clicked_at) == ({"gbraid": "gb"}, braid.at)
    found = clicks.newest_click("meta", touches, until=now)
    assert found is not None
    assert found.click_ids == {"fbclid": "fb1"}
    assert clicks.newest_click("tiktok", touches, until=now) is None


def test_meta_click_time_and_fbc() -> None:
    now = datetime.now(UTC)
    click_at = now - timedelta(days=6)
    cookie = f"fb.1.{_ms(click_at)}.fbOld"
    # A later touch carries only the _fbc cookie of the earlier click: timed by the cookie.
    carried = _touch(now - timedelta(days=1), fbc=cookie, fbp="fb.1.1.42")
    found = clicks.newest_click("meta", [carried], until=now)
    assert found is not None
    assert found.click_ids == {"fbc": cookie}
    assert abs((found.clicked_at or now) - click_at) < timedelta(milliseconds=1)
    # A URL fbclid that differs from the cookie is a new click: the cookie is not used.
    fresh = _touch(now - timedelta(hours=2), fbclid="fbNew", fbc=cookie)
    found = clicks.newest_click("meta", [carried, fresh], until=now)
    assert found is not None
    assert found.click_ids == {"fbclid": "fbNew"}
    assert clicks.fbc_time("garbage") is None


def test_a_record_gets_only_its_platform_click_and_the_credited_touch_utms() -> None:
    now = datetime.now(UTC)
    first = _touch(now - timedelta(days=5), fbclid="fb1", fbp="fb.1.1.9", **META_TOUCH)
    last = _touch(now - timedelta(days=2), gclid="g1", **GOOGLE_TOUCH)
    record = ConversionRecord(
        conversion_id=uuid.uuid4(),
        order_id="o",
        conversion_name="purchase",
        conversion_date=now,
        value=None,
        currency="BRL",
        clicked_at=first.at,
        click_ids={"fbclid": "fb1"},
        email="a@b.co",
        phone=None,
        name=None,
        person_id="p",
        page_url=None,
        tracking={"utm_source": "facebook", "utm_content": "mixed-from-elsewhere"},
    )
    google, click = clicks.for_platform(
        record, "google", [first, last], credited_id=first.tracking_id
    )
    assert (google.click_ids, google.clicked_at) == ({"gclid": "g1"}, last.at)
    assert google.tracking == META_TOUCH
    assert click is not None
    assert click.credited is False
    meta, click = clicks.for_platform(record, "meta", [first, last], credited_id=first.tracking_id)
    assert meta.click_ids == {"fbclid": "fb1", "fbp": "fb.1.1.9"}
    assert click is not None
    assert click.credited is True
    utmify, click = clicks.for_platform(
        record, "utmify", [first, last], credited_id=first.tracking_id
    )
    assert utmify.tracking == META_TOUCH
    assert click is None
