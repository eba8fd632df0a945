"""LinkedIn Conversions API and TikTok Events API: a tracked click through a lead to
`won` and a conversion each fake accepts, hashed by each platform's own rules (computed
here by hand from platforms.md §6.4), and the normalizers."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from rastro.conversions import normalize
from rastro.conversions.models import OfflineConversion
from rastro.core.db import Scope
from rastro.crm.models import Lead
from rastro.tracking.models import UtmTracking
from tests.conversions.factories import (
    platform_sync,
)
from tests.conversions.linkedin_tiktok_setup import (
    LI_FAT_ID,
    LINKEDIN_TOKEN,
    PIXEL,
    RULE_ID,
    TIKTOK_TOKEN,
    TTCLID,
    add_credentials,
    sha,
    tracked_lead,
)
from tests.helpers import drain_jobs
from tests.tracking.factories import make_site


async def test_linkedin_and_tiktok_clicks_become_sales_each_platform_accepts(
    client, databases, settings, linkedin, tiktok
):
    site = await make_site(client, databases)
    await add_credentials(client, site.headers, linkedin, tiktok)
    li_lead = await tracked_lead(
        client,
        site,
        query=f"li_fat_id={LI_FAT_ID}",
        session="s_" + "l" * 22,
        visitor="v_" + "k" * 22,
        name="Jane Doe",
        email=" Jane.Doe+promo@GMail.com ",
        phone="(11) 98765-4321",
    )
    tt_lead = await tracked_lead(
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
