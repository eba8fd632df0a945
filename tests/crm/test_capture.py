"""Lead capture: attribution from a tracked visit, hashes, score, duplicates, stitching,
the outbox into BI, and bad input."""

from __future__ import annotations

import asyncio
import hashlib
import sys
import uuid
from datetime import timedelta

from sqlalchemy import func, select, update

from rastro.core.db import Scope
from rastro.core.outbox import OutboxMessage, deliver
from rastro.core.personal import blind_index
from rastro.crm.models import Activity, Contact, Lead, LeadStage
from rastro.crm.service.capture import LEAD_CONVERTED
from rastro.tracking.models import LeadAttribution, TrackedSession, UtmTracking, VisitorJourney
from tests.auth.factories import make_account
from tests.helpers import drain_jobs
from tests.tracking.factories import ORIGIN, batch, collect, event, make_site

LANDING = f"{ORIGIN}/lp?utm_source=google&utm_medium=cpc&utm_campaign=bf&gclid=TEST123"
SESSION = "s_" + "c" * 22
VISITOR = "v_" + "d" * 22


def sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


async def _visit(client, site, *, session_id=SESSION, visitor_id=VISITOR, minutes_ago=5):
    """A visit from a Google Ads click: two page views and a click, `minutes_ago` ago."""
    start = -60 * minutes_ago
    events = [
        event(url=LANDING, referrer="https://www.google.com/", view_id="pv1", offset=start),
        event("click", url=LANDING, view_id="pv1", label="cta", offset=start + 30),
        event(url=f"{ORIGIN}/form", referrer=LANDING, view_id="pv2", offset=start + 60),
        event("page_leave", view_id="pv1", time_on_page=60, exit=False, offset=start + 60),
    ]
    response = await collect(
        client, batch(site, events, session_id=session_id, visitor_id=visitor_id)
    )
    assert response.json()["accepted"] == 4, response.text


def _form(target, **fields):
    body = {
        "site": target.key,
        "name": "João Silva",
        "email": "  Joao.Silva@Empresa.com.br ",
        "phone": "(11) 98765-4321",
        "company": "Empresa XYZ",
        "message": "Quero uma proposta",
        "form_location": "lp-hero",
        "page_url": f"{ORIGIN}/form",
        "rastro_session_id": SESSION,
        "rastro_visitor_id": VISITOR,
        "utm_source": "google",
        "utm_campaign": "bf",
        "gclid": "TEST123",
    }
    body.update(fields)
    return body


async def _post(client, body, *, origin=ORIGIN, headers=None):
    return await client.post(
        "/api/leads",
        json=body,
        headers={"origin": origin, **(headers or {})} if origin else headers,
    )


async def _crm(databases, site, model, *where):
    async with databases.crm.transaction(Scope.organization(site.account.organization_id)) as s:
        return list(await s.scalars(select(model).where(*where)))


async def _bi(databases, site, model, *where):
    async with databases.bi.transaction(Scope.organization(site.account.organization_id)) as s:
        return list(await s.scalars(select(model).where(*where)))


async def test_a_tracked_visit_becomes_an_attributed_scored_lead(client, databases, settings):
    site = await make_site(client, databases)
    await _visit(client, site, minutes_ago=5)

    response = await _post(client, _form(site))
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"lead_id", "duplicate"}  # a public form learns nothing more
    assert body["duplicate"] is False

    (lead,) = await _crm(databases, site, Lead)
    (touch,) = await _bi(databases, site, UtmTracking)
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

    (stage,) = await _crm(databases, site, LeadStage)
    assert (stage.stage_name, stage.changed_by, stage.lead_id) == ("new", "system", lead.lead_id)
    assert lead.current_stage == "new"
    (contact,) = await _crm(databases, site, Contact)
    assert contact.contact_id == lead.contact_id
    assert contact.visitor_ids == [VISITOR]
    types = {a.activity_type for a in await _crm(databases, site, Activity)}
    assert types == {"lead_created"}

    # The outbox job marks the session and journey converted and writes lead_attribution.
    await drain_jobs(settings, databases, queues=["outbox"])
    (tracked,) = await _bi(databases, site, TrackedSession)
    (journey,) = await _bi(databases, site, VisitorJourney)
    assert tracked.converted is True
    assert journey.converted is True
    assert journey.conversion_session_id == SESSION
    (attribution,) = await _bi(databases, site, LeadAttribution)
    assert attribution.lead_id == lead.lead_id
    assert (attribution.campaign_id, attribution.source, attribution.channel) == (
        "bf",
        "google",
        "Paid Search",
    )
    assert [t["gclid"] for t in attribution.touchpoints] == ["TEST123"]
    (message,) = await _crm(databases, site, OutboxMessage, OutboxMessage.topic == LEAD_CONVERTED)
    assert message.delivered_at is not None


async def test_free_mail_and_disposable_domains_are_not_business(client, databases):
    site = await make_site(client, databases)
    for address, disposable in (("maria@bol.com.br", False), ("x@mailinator.com", True)):
        response = await _post(
            client, _form(site, email=address, rastro_session_id=None, company=None)
        )
        assert response.status_code == 201, response.text
        (lead,) = await _crm(
            databases, site, Lead, Lead.email_index == blind_index("email", address)
        )
        assert lead.is_business_email is False
        assert lead.attribution_status == "no_session"
        if disposable:  # a throwaway address sinks the firmographic score
            assert lead.metadata_["scoring"]["firmographic"] == 0


async def test_the_same_form_submitted_twice_gives_one_lead(client, databases):
    site = await make_site(client, databases)
    first = await _post(client, _form(site))
    again = await _post(client, _form(site, email="joao.silva@empresa.com.br"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {"lead_id": first.json()["lead_id"], "duplicate": True}
    # Another page is another lead (the same contact).
    other = await _post(client, _form(site, page_url=f"{ORIGIN}/outra", form_location="footer"))
    assert other.status_code == 201
    leads = await _crm(databases, site, Lead)
    assert len(leads) == 2
    assert len({lead.contact_id for lead in leads}) == 1


async def test_concurrent_double_submits_and_idempotency_keys_store_one_lead(client, databases):
    site = await make_site(client, databases)
    responses = await asyncio.gather(*(_post(client, _form(site)) for _ in range(5)))
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 201]
    assert len({r.json()["lead_id"] for r in responses}) == 1

    key = {"idempotency-key": "order-123"}
    first = await _post(client, _form(site, email="ana@corp.com.br"), headers=key)
    # The same key answers with the stored lead even if the body changed.
    again = await _post(client, _form(site, email="bruno@corp.com.br"), headers=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["lead_id"] == first.json()["lead_id"]
    assert len(await _crm(databases, site, Lead)) == 2


async def test_a_duplicate_window_of_ten_minutes(client, databases):
    site = await make_site(client, databases)
    first = await _post(client, _form(site))
    async with databases.crm.transaction(Scope.organization(site.account.organization_id)) as s:
        await s.execute(update(Lead).values(created_at=func.now() - timedelta(minutes=11)))
    later = await _post(client, _form(site))
    assert later.status_code == 201
    assert later.json()["lead_id"] != first.json()["lead_id"]


async def test_identity_stitching_links_a_second_browser_to_the_same_contact(
    client, databases, settings
):
    site = await make_site(client, databases)
    await _visit(client, site, minutes_ago=60 * 24)  # laptop, yesterday, from the ad
    await _post(client, _form(site))
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
    second = await _post(
        client,
        _form(
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
    (contact,) = await _crm(databases, site, Contact)
    assert contact.visitor_ids == [VISITOR, phone_visitor]
    leads = await _crm(databases, site, Lead)
    assert {lead.contact_id for lead in leads} == {contact.contact_id}

    # Both messages go in one delivery; each lead gets the journey as it stood for it.
    await drain_jobs(settings, databases, queues=["outbox"])
    attributions = {a.lead_id: a for a in await _bi(databases, site, LeadAttribution)}
    second_id = uuid.UUID(second.json()["lead_id"])
    (first_id,) = set(attributions) - {second_id}
    # The phone's lead carries the laptop's ad click in its journey.
    assert [t.get("gclid") for t in attributions[second_id].touchpoints] == ["TEST123", None]
    assert [t.get("gclid") for t in attributions[first_id].touchpoints] == ["TEST123"]
    journeys = {j.visitor_id: j for j in await _bi(databases, site, VisitorJourney)}
    assert journeys[VISITOR].conversion_session_id == SESSION
    assert journeys[phone_visitor].conversion_session_id == phone_session


async def test_an_unknown_session_still_stores_the_lead_flagged(client, databases, settings):
    site = await make_site(client, databases)
    response = await _post(client, _form(site, rastro_session_id="s_nobody"))
    assert response.status_code == 201
    (lead,) = await _crm(databases, site, Lead)
    assert lead.attribution_status == "unknown_session"
    assert lead.utm_tracking_id is None
    assert lead.session_id is None
    assert lead.metadata_["unknown_session_id"] == "s_nobody"
    await drain_jobs(settings, databases, queues=["outbox"])
    (attribution,) = await _bi(databases, site, LeadAttribution)
    assert attribution.campaign_id == "(none)"
    assert attribution.touchpoints == []


async def test_servers_capture_with_an_api_key_and_see_the_details(client, databases):
    site = await make_site(client, databases)
    await _visit(client, site)
    key = await client.post(
        "/api/api-keys", headers=site.headers, json={"name": "backend", "scopes": ["crm:write"]}
    )
    assert key.status_code == 201, key.text
    token = key.json()["key"]
    body = _form(site, site=None, external_id="crm-42")
    response = await _post(client, body, origin=None, headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.text
    out = response.json()
    assert out["lead_score"] in "ABCD"
    assert out["attribution_status"] == "attributed"
    assert out["current_stage"] == "new"
    assert out["time_to_conversion"] > 0
    (lead,) = await _crm(databases, site, Lead)
    assert lead.external_id == "crm-42"

    readonly = await client.post(
        "/api/api-keys", headers=site.headers, json={"name": "ro", "scopes": ["crm:read"]}
    )
    denied = await _post(
        client,
        _form(site, site=None, email="x@y.com.br"),
        origin=None,
        headers={"authorization": f"Bearer {readonly.json()['key']}"},
    )
    assert denied.status_code == 403


async def test_an_html_form_post_redirects_to_an_allowed_page(client, databases):
    site = await make_site(client, databases)
    form = _form(site, _next=f"{ORIGIN}/obrigado", qualification=None)
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
    leads = await _crm(databases, site, Lead)
    assert len(leads) == 3


async def test_bad_input_is_rejected_with_the_field_named_and_nothing_stored(client, databases):
    site = await make_site(client, databases)
    cases = [
        (_form(site, email="not-an-email"), 422, "email"),
        (_form(site, email="+promo@gmail.com"), 422, "email"),  # a +tag is no mailbox
        (_form(site, email=None, phone="12"), 422, "phone"),
        (_form(site, email=None, phone=None), 422, "email"),
        (_form(site, name="x" * 300), 422, "body.name"),
        (_form(site, message="x" * 5001), 422, "body.message"),
        (_form(site, **{f"f{i}": "v" for i in range(60)}), 422, "body.fields"),
    ]
    for body, status, field in cases:
        response = await _post(client, body)
        assert response.status_code == status, (field, response.text)
        assert field in [d["loc"] for d in response.json()["error"]["details"]], response.text
    assert (await _post(client, _form(site), origin="https://evil.example")).status_code == 403
    assert (await _post(client, _form(site, site="nope"))).status_code == 401
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
    ok = await _post(client, _form(site, name="<script>alert(1)</script>"))
    assert ok.status_code == 201
    assert len(await _crm(databases, site, Lead)) == 1
    assert len(await _crm(databases, site, Contact)) == 1


async def test_an_unreadable_phone_beside_a_valid_email_keeps_the_lead(client, databases):
    site = await make_site(client, databases)
    response = await _post(client, _form(site, phone="12"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["warnings"] == [
        {
            "loc": "phone",
            "message": "Invalid phone number. The lead was stored without it.",
            "type": "value_error",
        }
    ]
    (lead,) = await _crm(databases, site, Lead)
    assert lead.email == "joao.silva@empresa.com.br"
    assert (lead.phone, lead.hashed_phone) == (None, None)
    assert lead.metadata_["invalid_fields"] == ["phone"]
    assert lead.metadata_["scoring"]["demographic"] < 100  # no phone counted
    (contact,) = await _crm(databases, site, Contact)
    assert (contact.email, contact.phone, contact.hashed_phone) == (lead.email, None, None)
    # The same person again within the window: the lead already stored, the warning again.
    again = await _post(client, _form(site, phone="not a phone"))
    assert again.status_code == 200, again.text
    assert again.json()["lead_id"] == body["lead_id"]
    assert [w["loc"] for w in again.json()["warnings"]] == ["phone"]
    # A valid phone answers with no warnings at all.
    fine = await _post(client, _form(site, email="outra@empresa.com.br"))
    assert fine.status_code == 201
    assert "warnings" not in fine.json()
    assert len(await _crm(databases, site, Lead)) == 2


async def test_another_organization_never_sees_the_lead(client, databases):
    site = await make_site(client, databases)
    await _post(client, _form(site))
    other = await make_account(databases)
    async with databases.crm.transaction(Scope.organization(other.organization_id)) as s:
        assert await s.scalar(select(func.count()).select_from(Lead)) == 0


async def test_the_outbox_is_applied_once_even_when_delivered_twice(client, databases, settings):
    site = await make_site(client, databases)
    await _visit(client, site)
    await _post(client, _form(site))
    (_message,) = await _crm(databases, site, OutboxMessage, OutboxMessage.topic == LEAD_CONVERTED)
    await drain_jobs(settings, databases, queues=["outbox"])
    # A second delivery (a worker that died before marking the message) changes nothing.
    async with databases.crm.transaction(Scope.organization(site.account.organization_id)) as s:
        await s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.topic == LEAD_CONVERTED)
            .values(delivered_at=None, available_at=func.now())
        )
    assert await deliver(databases) == 1
    assert len(await _bi(databases, site, LeadAttribution)) == 1
    (tracked,) = await _bi(databases, site, TrackedSession)
    assert tracked.converted is True


# A worker process that applies the BI side of the message and dies (SIGKILL-like exit)
# before it could mark the message delivered.
_DYING_WORKER = """
import asyncio, os, sys
from rastro.core import outbox
from rastro.core.db import Database, Databases
from rastro.modules import load_modules

load_modules()
real = outbox._handlers["crm.lead_converted"]

async def dying(databases, crm, organization_id, messages):
    await real(databases, crm, organization_id, messages)
    os._exit(9)

outbox._handlers["crm.lead_converted"] = dying
databases = Databases(crm=Database("crm", sys.argv[1]), bi=Database("bi", sys.argv[2]))
asyncio.run(outbox.deliver(databases))
"""


async def test_the_outbox_survives_a_worker_killed_mid_job(client, databases, settings):
    site = await make_site(client, databases)
    await _visit(client, site)
    await _post(client, _form(site))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _DYING_WORKER, settings.crm_database_url, settings.bi_database_url
    )
    assert await process.wait() == 9
    (message,) = await _crm(databases, site, OutboxMessage, OutboxMessage.topic == LEAD_CONVERTED)
    assert message.delivered_at is None  # the dead worker's claim was rolled back
    assert len(await _bi(databases, site, LeadAttribution)) == 1  # its BI commit stayed

    # The next worker (the minute sweep) delivers it again; the handler is idempotent.
    assert await deliver(databases) == 1
    (message,) = await _crm(databases, site, OutboxMessage, OutboxMessage.topic == LEAD_CONVERTED)
    assert message.delivered_at is not None
    assert len(await _bi(databases, site, LeadAttribution)) == 1
    (tracked,) = await _bi(databases, site, TrackedSession)
    assert tracked.converted is True


async def test_lead_rules_change_the_credit_the_scoring_and_the_phone_country(client, databases):
    site = await make_site(client, databases)
    # The visitor's first touch from Google; later a Meta click (a new campaign, so a new
    # session) from which the lead converts.
    await _visit(client, site)
    later = f"{ORIGIN}/lp?utm_source=facebook&utm_medium=paid_social&utm_campaign=rmk&fbclid=F1"
    await collect(
        client,
        batch(site, [event(url=later, view_id="pv3")], session_id=SESSION, visitor_id=VISITOR),
    )
    assert len(await _bi(databases, site, UtmTracking)) == 2
    first = await _post(client, _form(site, email="first@empresa.com.br"))
    (lead,) = await _crm(databases, site, Lead)
    assert (lead.source, lead.channel) == ("google", "Paid Search")  # first touch by default
    assert lead.metadata_["attribution_credit"] == "first_touch"
    rules = {
        "default_country": "pt",
        "attribution_credit": "last_touch",
        "scoring_rules": {"thresholds": {"A": 99, "B": 98, "C": 97}},
    }
    saved = await client.put("/api/crm/settings", headers=site.headers, json=rules)
    assert saved.status_code == 200, saved.text
    assert saved.json()["effective_scoring_rules"]["thresholds"]["A"] == 99
    assert (await client.get("/api/crm/settings", headers=site.headers)).json()[
        "default_country"
    ] == "PT"

    response = await _post(client, _form(site, phone="912 345 678"))  # a Portuguese mobile
    assert response.status_code == 201, response.text
    (lead,) = await _crm(databases, site, Lead, Lead.lead_id != uuid.UUID(first.json()["lead_id"]))
    assert lead.phone == "+351912345678"
    assert (lead.source, lead.channel) == ("facebook", "Paid Social")
    assert lead.metadata_["attribution_credit"] == "last_touch"
    assert lead.lead_score == "D"  # nobody reaches 97

    for bad, loc in (
        ({"default_country": "XX"}, "body.default_country"),
        ({"scoring_rules": {"thresholds": {"A": 10}}}, "body.scoring_rules.thresholds"),
        ({"scoring_rules": {"nonsense": {"a": 1}}}, "body.scoring_rules.nonsense"),
        ({"attribution_credit": "linear"}, "body.attribution_credit"),
    ):
        rejected = await client.put("/api/crm/settings", headers=site.headers, json=bad)
        assert rejected.status_code == 422, bad
        assert loc in [d["loc"] for d in rejected.json()["error"]["details"]]


async def test_the_score_preview_uses_the_capture_formula_and_saves_nothing(client, databases):
    site = await make_site(client, databases)
    sample = {
        "has_name": True,
        "has_email": True,
        "has_phone": True,
        "business_email": True,
        "has_company": True,
        "page_views": 3,
    }
    default = await client.post(
        "/api/crm/settings/score-preview", headers=site.headers, json={"sample": sample}
    )
    assert default.status_code == 200, default.text
    # demographic 20+40+40, behavioral 3 pages x 10, firmographic 50+30;
    # total (100*0.3 + 30*0.4 + 80*0.3) = 66 -> B (A needs 75).
    assert default.json() == {
        "demographic": 100,
        "behavioral": 30,
        "firmographic": 80,
        "total": 66,
        "grade": "B",
    }
    lowered = await client.post(
        "/api/crm/settings/score-preview",
        headers=site.headers,
        json={"sample": sample, "scoring_rules": {"thresholds": {"A": 60}}},
    )
    assert lowered.json()["grade"] == "A"
    assert (await client.get("/api/crm/settings", headers=site.headers)).json()[
        "scoring_rules"
    ] == {}
    bad = await client.post(
        "/api/crm/settings/score-preview",
        headers=site.headers,
        json={"scoring_rules": {"thresholds": {"A": 10}}},
    )
    assert bad.status_code == 422
    negative = await client.post(
        "/api/crm/settings/score-preview", headers=site.headers, json={"sample": {"page_views": -1}}
    )
    assert negative.status_code == 422
