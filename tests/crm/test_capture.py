"""Lead capture: attribution from a tracked visit, hashes, score, duplicates, stitching,
and bad input."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sqlalchemy import func, select, update

from rastro.core.db import Scope
from rastro.core.outbox import OutboxMessage
from rastro.core.personal import blind_index
from rastro.crm.models import Activity, Contact, Lead, LeadStage
from rastro.crm.service.capture import LEAD_CONVERTED
from rastro.tracking.models import LeadAttribution, TrackedSession, UtmTracking, VisitorJourney
from tests.auth.factories import make_account
from tests.crm.capture_setup import (
    SESSION,
    VISITOR,
    bi_rows,
    capture_form,
    crm_rows,
    post_capture,
    sha,
    tracked_visit,
)
from tests.helpers import drain_jobs
from tests.tracking.factories import ORIGIN, batch, collect, event, make_site


async def test_a_tracked_visit_becomes_an_attributed_scored_lead(client, databases, settings):
    site = await make_site(client, databases)
    await tracked_visit(client, site, minutes_ago=5)

    response = await post_capture(client, capture_form(site))
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"lead_id", "duplicate"}  # a public form learns nothing more
    assert body["duplicate"] is False

    (lead,) = await crm_rows(databases, site, Lead)
    (touch,) = await bi_rows(databases, site, UtmTracking)
    assert lead.utm_tracking_id == touch.tracking_id
    assert touch.gclid == "TEST123"
    assert lead.session_id == SESSION
    assert lead.visitor_id == VISITOR
    assert lead.attribution_status == "attributed"
    assert (lead.source, lead.medium, lead.campaign, lead.channel) == (
        "google",
        "cpc",
        "bf",
        "Paid Search",
    )
    # Seconds from the visitor's first visit (5 minutes ago) to the lead.
    assert 290 <= lead.time_to_conversion <= 330
    assert lead.email == "joao.silva@empresa.com.br"
    assert lead.hashed_email == sha("joao.silva@empresa.com.br")
    assert lead.phone == "+5511987654321"
    assert lead.hashed_phone == sha("+5511987654321")
    assert lead.email_domain == "empresa.com.br"
    assert lead.is_business_email is True
    scoring = lead.metadata_["scoring"]
    assert scoring["demographic"] == 100  # name + e-mail + phone
    assert scoring["firmographic"] == 100  # business e-mail + company + message
    assert scoring["behavioral"] > 0  # two page views and a click
    assert lead.lead_score in {"A", "B"}
    assert lead.page_id is None  # no landing page registered for /form
    assert lead.metadata_["submitted_attribution"]["gclid"] == "TEST123"

    (stage,) = await crm_rows(databases, site, LeadStage)
    assert (stage.stage_name, stage.changed_by, stage.lead_id) == ("new", "system", lead.lead_id)
    assert lead.current_stage == "new"
    (contact,) = await crm_rows(databases, site, Contact)
    assert contact.contact_id == lead.contact_id
    assert contact.visitor_ids == [VISITOR]
    types = {a.activity_type for a in await crm_rows(databases, site, Activity)}
    assert types == {"lead_created"}

    # The outbox job marks the session and journey converted and writes lead_attribution.
    await drain_jobs(settings, databases, queues=["outbox"])
    (tracked,) = await bi_rows(databases, site, TrackedSession)
    (journey,) = await bi_rows(databases, site, VisitorJourney)
    assert tracked.converted is True
    assert journey.converted is True
    assert journey.conversion_session_id == SESSION
    (attribution,) = await bi_rows(databases, site, LeadAttribution)
    assert attribution.lead_id == lead.lead_id
    assert (attribution.campaign_id, attribution.source, attribution.channel) == (
        "bf",
        "google",
        "Paid Search",
    )
    assert [t["gclid"] for t in attribution.touchpoints] == ["TEST123"]
    (message,) = await crm_rows(
        databases, site, OutboxMessage, OutboxMessage.topic == LEAD_CONVERTED
    )
    assert message.delivered_at is not None


async def test_free_mail_and_disposable_domains_are_not_business(client, databases):
    site = await make_site(client, databases)
    for address, disposable in (("maria@bol.com.br", False), ("x@mailinator.com", True)):
        response = await post_capture(
            client, capture_form(site, email=address, rastro_session_id=None, company=None)
        )
        assert response.status_code == 201, response.text
        (lead,) = await crm_rows(
            databases, site, Lead, Lead.email_index == blind_index("email", address)
        )
        assert lead.is_business_email is False
        assert lead.attribution_status == "no_session"
        if disposable:  # a throwaway address sinks the firmographic score
            assert lead.metadata_["scoring"]["firmographic"] == 0


async def test_the_same_form_submitted_twice_gives_one_lead(client, databases):
    site = await make_site(client, databases)
    first = await post_capture(client, capture_form(site))
    again = await post_capture(client, capture_form(site, email="joao.silva@empresa.com.br"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {"lead_id": first.json()["lead_id"], "duplicate": True}
    # Another page is another lead (the same contact).
    other = await post_capture(
        client, capture_form(site, page_url=f"{ORIGIN}/outra", form_location="footer")
    )
    assert other.status_code == 201
    leads = await crm_rows(databases, site, Lead)
    assert len(leads) == 2
    assert len({lead.contact_id for lead in leads}) == 1


async def test_concurrent_double_submits_and_idempotency_keys_store_one_lead(client, databases):
    site = await make_site(client, databases)
    responses = await asyncio.gather(*(post_capture(client, capture_form(site)) for _ in range(5)))
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 201]
    assert len({r.json()["lead_id"] for r in responses}) == 1

    key = {"idempotency-key": "order-123"}
    first = await post_capture(client, capture_form(site, email="ana@corp.com.br"), headers=key)
    # The same key answers with the stored lead even if the body changed.
    again = await post_capture(client, capture_form(site, email="bruno@corp.com.br"), headers=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["lead_id"] == first.json()["lead_id"]
    assert len(await crm_rows(databases, site, Lead)) == 2


async def test_a_duplicate_window_of_ten_minutes(client, databases):
    site = await make_site(client, databases)
    first = await post_capture(client, capture_form(site))
    async with databases.crm.transaction(Scope.organization(site.account.organization_id)) as s:
        await s.execute(update(Lead).values(created_at=func.now() - timedelta(minutes=11)))
    later = await post_capture(client, capture_form(site))
    assert later.status_code == 201
    assert later.json()["lead_id"] != first.json()["lead_id"]


async def test_identity_stitching_links_a_second_browser_to_the_same_contact(
    client, databases, settings
):
    site = await make_site(client, databases)
    await tracked_visit(client, site, minutes_ago=60 * 24)  # laptop, yesterday, from the ad
    await post_capture(client, capture_form(site))
    # Today on the phone: a new visitor, direct, submits the same e-mail on another page.
    phone_session, phone_visitor = "s_" + "e" * 22, "v_" + "f" * 22
    response = await collect(
        client,
        batch(
            site,
            [event(url=f"{ORIGIN}/pricing", view_id="pv9")],
            session_id=phone_session,
            visitor_id=phone_visitor,
        ),
    )
    assert response.status_code == 200
    second = await post_capture(
        client,
        capture_form(
            site,
            email="JOAO.SILVA@empresa.com.br",
            phone=None,
            page_url=f"{ORIGIN}/pricing",
            form_location="pricing",
            rastro_session_id=phone_session,
            rastro_visitor_id=phone_visitor,
            gclid=None,
        ),
    )
    assert second.status_code == 201, second.text
    (contact,) = await crm_rows(databases, site, Contact)
    assert contact.visitor_ids == [VISITOR, phone_visitor]
    leads = await crm_rows(databases, site, Lead)
    assert {lead.contact_id for lead in leads} == {contact.contact_id}

    # Both messages go in one delivery; each lead gets the journey as it stood for it.
    await drain_jobs(settings, databases, queues=["outbox"])
    attributions = {a.lead_id: a for a in await bi_rows(databases, site, LeadAttribution)}
    second_id = uuid.UUID(second.json()["lead_id"])
    (first_id,) = set(attributions) - {second_id}
    # The phone's lead carries the laptop's ad click in its journey.
    assert [t.get("gclid") for t in attributions[second_id].touchpoints] == ["TEST123", None]
    assert [t.get("gclid") for t in attributions[first_id].touchpoints] == ["TEST123"]
    journeys = {j.visitor_id: j for j in await bi_rows(databases, site, VisitorJourney)}
    assert journeys[VISITOR].conversion_session_id == SESSION
    assert journeys[phone_visitor].conversion_session_id == phone_session


async def test_an_unknown_session_still_stores_the_lead_flagged(client, databases, settings):
    site = await make_site(client, databases)
    response = await post_capture(client, capture_form(site, rastro_session_id="s_nobody"))
    assert response.status_code == 201
    (lead,) = await crm_rows(databases, site, Lead)
    assert lead.attribution_status == "unknown_session"
    assert lead.utm_tracking_id is None
    assert lead.session_id is None
    assert lead.metadata_["unknown_session_id"] == "s_nobody"
    await drain_jobs(settings, databases, queues=["outbox"])
    (attribution,) = await bi_rows(databases, site, LeadAttribution)
    assert attribution.campaign_id == "(none)"
    assert attribution.touchpoints == []


async def test_servers_capture_with_an_api_key_and_see_the_details(client, databases):
    site = await make_site(client, databases)
    await tracked_visit(client, site)
    key = await client.post(
        "/api/api-keys", headers=site.headers, json={"name": "backend", "scopes": ["crm:write"]}
    )
    assert key.status_code == 201, key.text
    token = key.json()["key"]
    body = capture_form(site, site=None, external_id="crm-42")
    response = await post_capture(
        client, body, origin=None, headers={"authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201, response.text
    out = response.json()
    assert out["lead_score"] in "ABCD"
    assert out["attribution_status"] == "attributed"
    assert out["current_stage"] == "new"
    assert out["time_to_conversion"] > 0
    (lead,) = await crm_rows(databases, site, Lead)
    assert lead.external_id == "crm-42"

    readonly = await client.post(
        "/api/api-keys", headers=site.headers, json={"name": "ro", "scopes": ["crm:read"]}
    )
    denied = await post_capture(
        client,
        capture_form(site, site=None, email="x@y.com.br"),
        origin=None,
        headers={"authorization": f"Bearer {readonly.json()['key']}"},
    )
    assert denied.status_code == 403


async def test_an_html_form_post_redirects_to_an_allowed_page(client, databases):
    site = await make_site(client, databases)
    form = capture_form(site, _next=f"{ORIGIN}/obrigado", qualification=None)
    form = {k: v for k, v in form.items() if v is not None}
    response = await client.post("/api/leads", data=form, headers={"origin": ORIGIN})
    assert response.status_code == 303
    assert response.headers["location"] == f"{ORIGIN}/obrigado"
    # A foreign `_next` is not followed (no open redirect): the JSON answer instead.
    again = await client.post(
        "/api/leads",
        data={**form, "email": "outra@empresa.com.br", "_next": "https://evil.example/"},
        headers={"origin": ORIGIN},
    )
    assert again.status_code == 201
    # A `_next` that does not parse as a URL is not followed either (hypothesis found it).
    broken = await client.post(
        "/api/leads",
        data={**form, "email": "tres@empresa.com.br", "_next": "http://["},
        headers={"origin": ORIGIN},
    )
    assert broken.status_code == 201
    leads = await crm_rows(databases, site, Lead)
    assert len(leads) == 3


async def test_bad_input_is_rejected_with_the_field_named_and_nothing_stored(client, databases):
    site = await make_site(client, databases)
    cases = [
        (capture_form(site, email="not-an-email"), 422, "email"),
        (capture_form(site, email="+promo@gmail.com"), 422, "email"),  # a +tag is no mailbox
        (capture_form(site, email=None, phone="12"), 422, "phone"),
        (capture_form(site, email=None, phone=None), 422, "email"),
        (capture_form(site, name="x" * 300), 422, "body.name"),
        (capture_form(site, message="x" * 5001), 422, "body.message"),
        (capture_form(site, **{f"f{i}": "v" for i in range(60)}), 422, "body.fields"),
    ]
    for body, status, field in cases:
        response = await post_capture(client, body)
        assert response.status_code == status, (field, response.text)
        assert field in [d["loc"] for d in response.json()["error"]["details"]], response.text
    assert (
        await post_capture(client, capture_form(site), origin="https://evil.example")
    ).status_code == 403
    assert (await post_capture(client, capture_form(site, site="nope"))).status_code == 401
    malformed = await client.post(
        "/api/leads",
        content=b"{not json",
        headers={"origin": ORIGIN, "content-type": "application/json"},
    )
    assert malformed.status_code == 400
    huge = await client.post(
        "/api/leads",
        content=b'{"x": "' + b"a" * 70_000 + b'"}',
        headers={"origin": ORIGIN, "content-type": "application/json"},
    )
    assert huge.status_code == 413
    # Script in a field is stored as text (the dashboard escapes it), not rejected.
    ok = await post_capture(client, capture_form(site, name="<script>alert(1)</script>"))
    assert ok.status_code == 201
    assert len(await crm_rows(databases, site, Lead)) == 1
    assert len(await crm_rows(databases, site, Contact)) == 1


async def test_an_unreadable_phone_beside_a_valid_email_keeps_the_lead(client, databases):
    site = await make_site(client, databases)
    response = await post_capture(client, capture_form(site, phone="12"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["warnings"] == [
        {
            "loc": "phone",
            "message": "Invalid phone number. The lead was stored without it.",
            "type": "value_error",
        }
    ]
    (lead,) = await crm_rows(databases, site, Lead)
    assert lead.email == "joao.silva@empresa.com.br"
    assert (lead.phone, lead.hashed_phone) == (None, None)
    assert lead.metadata_["invalid_fields"] == ["phone"]
    assert lead.metadata_["scoring"]["demographic"] < 100  # no phone counted
    (contact,) = await crm_rows(databases, site, Contact)
    assert (contact.email, contact.phone, contact.hashed_phone) == (lead.email, None, None)
    # The same person again within the window: the lead already stored, the warning again.
    again = await post_capture(client, capture_form(site, phone="not a phone"))
    assert again.status_code == 200, again.text
    assert again.json()["lead_id"] == body["lead_id"]
    assert [w["loc"] for w in again.json()["warnings"]] == ["phone"]
    # A valid phone answers with no warnings at all.
    fine = await post_capture(client, capture_form(site, email="outra@empresa.com.br"))
    assert fine.status_code == 201
    assert "warnings" not in fine.json()
    assert len(await crm_rows(databases, site, Lead)) == 2


async def test_another_organization_never_sees_the_lead(client, databases):
    site = await make_site(client, databases)
    await post_capture(client, capture_form(site))
    other = await make_account(databases)
    async with databases.crm.transaction(Scope.organization(other.organization_id)) as s:
        assert await s.scalar(select(func.count()).select_from(Lead)) == 0
