"""Lead capture's outbox into BI (applied once, surviving a killed worker), the
organization's lead rules (credit, scoring, phone country) and the score preview."""

from __future__ import annotations

import asyncio
import sys
import uuid

from sqlalchemy import func, update

from rastro.core.db import Scope
from rastro.core.outbox import OutboxMessage, deliver
from rastro.crm.models import Lead
from rastro.crm.service.capture import LEAD_CONVERTED
from rastro.tracking.models import LeadAttribution, TrackedSession, UtmTracking
from tests.crm.capture_setup import (
    SESSION,
    VISITOR,
    bi_rows,
    capture_form,
    crm_rows,
    post_capture,
    tracked_visit,
)
from tests.helpers import drain_jobs
from tests.tracking.factories import ORIGIN, batch, collect, event, make_site


async def test_the_outbox_is_applied_once_even_when_delivered_twice(client, databases, settings):
    site = await make_site(client, databases)
    await tracked_visit(client, site)
    await post_capture(client, capture_form(site))
    (_message,) = await crm_rows(
        databases, site, OutboxMessage, OutboxMessage.topic == LEAD_CONVERTED
    )
    await drain_jobs(settings, databases, queues=["outbox"])
    # A second delivery (a worker that died before marking the message) changes nothing.
    async with databases.crm.transaction(Scope.organization(site.account.organization_id)) as s:
        await s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.topic == LEAD_CONVERTED)
            .values(delivered_at=None, available_at=func.now())
        )
    assert await deliver(databases) == 1
    assert len(await bi_rows(databases, site, LeadAttribution)) == 1
    (tracked,) = await bi_rows(databases, site, TrackedSession)
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
    await tracked_visit(client, site)
    await post_capture(client, capture_form(site))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _DYING_WORKER, settings.crm_database_url, settings.bi_database_url
    )
    assert await process.wait() == 9
    (message,) = await crm_rows(
        databases, site, OutboxMessage, OutboxMessage.topic == LEAD_CONVERTED
    )
    assert message.delivered_at is None  # the dead worker's claim was rolled back
    assert len(await bi_rows(databases, site, LeadAttribution)) == 1  # its BI commit stayed

    # The next worker (the minute sweep) delivers it again; the handler is idempotent.
    assert await deliver(databases) == 1
    (message,) = await crm_rows(
        databases, site, OutboxMessage, OutboxMessage.topic == LEAD_CONVERTED
    )
    assert message.delivered_at is not None
    assert len(await bi_rows(databases, site, LeadAttribution)) == 1
    (tracked,) = await bi_rows(databases, site, TrackedSession)
    assert tracked.converted is True


async def test_lead_rules_change_the_credit_the_scoring_and_the_phone_country(client, databases):
    site = await make_site(client, databases)
    # The visitor's first touch from Google; later a Meta click (a new campaign, so a new
    # session) from which the lead converts.
    await tracked_visit(client, site)
    later = f"{ORIGIN}/lp?utm_source=facebook&utm_medium=paid_social&utm_campaign=rmk&fbclid=F1"
    await collect(
        client,
        batch(site, [event(url=later, view_id="pv3")], session_id=SESSION, visitor_id=VISITOR),
    )
    assert len(await bi_rows(databases, site, UtmTracking)) == 2
    first = await post_capture(client, capture_form(site, email="first@empresa.com.br"))
    (lead,) = await crm_rows(databases, site, Lead)
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

    response = await post_capture(
        client, capture_form(site, phone="912 345 678")
    )  # a Portuguese mobile
    assert response.status_code == 201, response.text
    (lead,) = await crm_rows(
        databases, site, Lead, Lead.lead_id != uuid.UUID(first.json()["lead_id"])
    )
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
