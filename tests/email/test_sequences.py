"""Sequences end to end with a fixed clock: a trigger delivered twice enrolls once, waits
are respected, conditions branch, exit rules stop, a suppressed contact gets nothing, a
restarted job sends nothing twice, and each step has its figures."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import func, select

from rastro.core.db import SYSTEM, Scope
from rastro.core.ids import uuid7
from rastro.core.jobs import JobContext, set_job_context
from rastro.crm.models import Lead
from rastro.crm.service import hooks
from rastro.email.event_models import MessageEvent
from rastro.email.jobs import run_sequences
from rastro.email.models import Message
from rastro.email.senders.simulated import SimulatedSender
from rastro.email.sequence_models import Enrollment
from rastro.email.service import aggregates
from rastro.email.service.sequences import runner, triggers
from tests.crm.factories import make_leads
from tests.email.conftest import clicks_stored, get, post
from tests.email.sequence_helpers import (
    T0,
    activate,
    days,
    enrollments,
    message_count,
    run,
    sequence,
    step,
    tracked,
)


async def _enroll(databases, org, lead_ids, now=T0) -> int:  # type: ignore[no-untyped-def]
    async with databases.crm.transaction(SYSTEM) as crm:  # as the outbox claims
        return await triggers.leads_created(crm, org.id, lead_ids, now=now)


async def test_a_trigger_delivered_twice_enrolls_once_and_waits_are_kept(
    client, org, databases, settings
) -> None:
    created = await sequence(client, org)
    sid = created["sequence_id"]
    await step(client, org, sid, subject="Bem-vindo, {{ name }}")
    await step(client, org, sid, subject="Dois dias depois", wait_minutes=2 * 24 * 60)
    await activate(client, org, sid)
    leads = await make_leads(databases, org.id, 2)
    ids = [lead.lead_id for lead in leads]
    async with databases.crm.transaction(SYSTEM) as crm:  # the CRM's own announcement
        await hooks.announce_leads_created(crm, org.id, ids)
    assert await _enroll(databases, org, ids) == 0  # delivered again: nobody new
    enrolled = await enrollments(databases, org)
    assert {e.lead_id for e in enrolled.values()} == set(ids)
    start = max(e.next_run_at for e in enrolled.values() if e.next_run_at)

    sender = SimulatedSender()
    secret = settings.secret_key_value
    await run(databases, org, start, sender, secret=secret)
    names = {m.to: m.subject for m in sender.sent}
    assert names == {
        lead.email: f"Bem-vindo, {await _name(databases, org, lead)}" for lead in leads
    }
    assert {m.to for m in sender.sent} == {lead.email for lead in leads}
    assert all(m.unsubscribe_url and "/e/o/" in m.html for m in sender.sent)

    await run(databases, org, start + days(1), sender, secret=secret)
    assert len(sender.sent) == 2  # one day later: still waiting
    await run(databases, org, start + days(2), sender, secret=secret)
    assert len(sender.sent) == 4
    assert {m.subject for m in sender.sent[2:]} == {"Dois dias depois"}
    done = await enrollments(databases, org)
    assert {(e.status, e.position, e.next_run_at) for e in done.values()} == {
        ("completed", 3, None)
    }
    await run(databases, org, start + days(9), sender, secret=secret)
    assert len(sender.sent) == 4
    assert await message_count(databases, org) == 4


async def _name(databases, org, lead) -> str:  # type: ignore[no-untyped-def]
    async with databases.crm.transaction(Scope.organization(org.id)) as crm:
        return str(await crm.scalar(select(Lead.name).where(Lead.lead_id == lead.lead_id)))


async def test_conditions_branch(client, org, databases, settings) -> None:
    sid = (await sequence(client, org))["sequence_id"]
    await step(client, org, sid, subject="Primeiro")
    await step(
        client,
        org,
        sid,
        subject="Para quem abriu",
        wait_minutes=60,
        condition={"kind": "previous_email", "event": "opened"},
    )
    await step(
        client,
        org,
        sid,
        subject="Qualificados",
        wait_minutes=60,
        condition={"kind": "stage", "stages": ["qualified"]},
        otherwise="exit",
    )
    await step(
        client, org, sid, subject="VIP", condition={"kind": "tag", "tag": "vip"}, otherwise="skip"
    )
    await activate(client, org, sid)
    opener, other = await make_leads(databases, org.id, 2)
    (qualified,) = await make_leads(databases, org.id, 1, stage="qualified", score="A")
    await post(
        client, org, "/contacts/import", {"contacts": [{"email": qualified.email, "tags": ["vip"]}]}
    )
    await _enroll(databases, org, [opener.lead_id, other.lead_id, qualified.lead_id])
    sender, secret = SimulatedSender(), settings.secret_key_value

    await run(databases, org, T0, sender, secret=secret)
    assert len(sender.sent) == 3
    mail = next(m for m in sender.sent if m.to == opener.email)
    assert (await client.get(tracked(mail.html, "o"))).status_code == 200

    after_one = await run(databases, org, T0 + days(0.05), sender, secret=secret)
    assert (after_one.queued, after_one.skipped) == (1, 2)
    assert [m.to for m in sender.sent[3:]] == [opener.email]

    after_two = await run(databases, org, T0 + days(0.1), sender, secret=secret)
    assert after_two.exits == {"condition": 2}
    assert [m.to for m in sender.sent[4:]] == [qualified.email]
    await run(databases, org, T0 + days(0.1), sender, secret=secret)
    assert [m.subject for m in sender.sent[5:]] == ["VIP"]
    state = await enrollments(databases, org)
    assert (state[opener.contact_id].status, state[opener.contact_id].exit_reason) == (
        "exited",
        "condition",
    )
    assert state[qualified.contact_id].status == "completed"
    report = await get(client, org, f"/sequences/{sid}/report")
    assert [s["skipped"] for s in report["steps"]] == [0, 2, 0, 0]
    assert [s["exited"] for s in report["steps"]] == [0, 0, 2, 0]
    assert report["exits"] == {"condition": 2}


async def test_exit_rules_stop_the_sequence(client, org, other_org, databases, settings) -> None:
    sid = (await sequence(client, org, exit_stages=["qualified", "won"], exit_on_reply=True))[
        "sequence_id"
    ]
    await step(client, org, sid, subject="Oi")
    await step(client, org, sid, subject="Lembrete", wait_minutes=24 * 60)
    await activate(client, org, sid)
    onboarding = (await sequence(client, org, trigger="deal_won", name="Onboarding"))["sequence_id"]
    await step(client, org, onboarding, subject="Bem-vindo a bordo")
    await activate(client, org, onboarding)
    moved, replied, unsubscribed, won, stays = await make_leads(databases, org.id, 5)
    leads = [moved, replied, unsubscribed, won, stays]
    await _enroll(databases, org, [lead.lead_id for lead in leads])
    sender, secret = SimulatedSender(), settings.secret_key_value
    await run(databases, org, T0, sender, secret=secret)
    assert len(sender.sent) == 5

    changed = await client.post(
        f"/api/leads/{moved.lead_id}/stages", json={"stage_name": "qualified"}, headers=org.headers
    )
    assert changed.status_code == 201, changed.text
    answer = await post(client, org, "/sequences/replies", {"contact_id": str(replied.contact_id)})
    assert answer == {"exited": 1}
    foreign = await client.post(
        "/api/email/sequences/replies",
        json={"contact_id": str(stays.contact_id)},
        headers=other_org.headers,
    )
    assert foreign.status_code == 422
    assert foreign.json()["error"]["code"] == "unknown_reference"
    mail = next(m for m in sender.sent if m.to == unsubscribed.email)
    page = await client.post(
        tracked(mail.html, "u"),
        content="scope=campaign",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert page.status_code == 200
    await client.post(
        f"/api/leads/{won.lead_id}/stages", json={"stage_name": "won"}, headers=org.headers
    )

    await run(databases, org, T0 + days(1.01), sender, secret=secret)
    assert [m.to for m in sender.sent[5:]] == [stays.email]
    by_lead = {e.lead_id: e for e in (await enrollments(databases, org, sid)).values()}
    assert {lead.lead_id: by_lead[lead.lead_id].exit_reason for lead in leads} == {
        moved.lead_id: "stage",
        replied.lead_id: "replied",
        unsubscribed.lead_id: "unsubscribed",
        won.lead_id: "won",
        stays.lead_id: None,
    }
    async with databases.crm.transaction(Scope.organization(org.id)) as crm:
        welcomed = list(
            await crm.scalars(
                select(Enrollment.lead_id).where(Enrollment.sequence_id == uuid.UUID(onboarding))
            )
        )
    assert welcomed == [won.lead_id]  # won: out of one sequence, into onboarding
    report = await get(client, org, f"/sequences/{sid}/report")
    assert report["exits"] == {"stage": 1, "replied": 1, "unsubscribed": 1, "won": 1}
    assert (report["completed"], report["exited"]) == (1, 4)


async def test_a_suppressed_contact_is_skipped(client, org, databases, settings) -> None:
    sid = (await sequence(client, org))["sequence_id"]
    await step(client, org, sid, subject="Oferta")
    await activate(client, org, sid)
    kept, blocked = await make_leads(databases, org.id, 2)
    await post(client, org, "/suppressions", {"email": blocked.email})
    await _enroll(databases, org, [kept.lead_id, blocked.lead_id])
    sender = SimulatedSender()
    done = await run(databases, org, T0, sender, secret=settings.secret_key_value)
    assert [m.to for m in sender.sent] == [kept.email]
    assert done.exits == {"suppressed": 1}
    assert await message_count(databases, org) == 1
    state = await enrollments(databases, org)
    assert state[blocked.contact_id].exit_reason == "suppressed"


async def test_a_restarted_job_sends_nothing_twice(client, org, databases, settings) -> None:
    sid = (await sequence(client, org))["sequence_id"]
    await step(client, org, sid, subject="Única")
    await activate(client, org, sid)
    leads = await make_leads(databases, org.id, 3)
    await _enroll(databases, org, [lead.lead_id for lead in leads])
    scope = Scope.organization(org.id)

    class Crash(Exception):
        pass

    try:  # the worker dies after advancing, before its commit: nothing happened
        async with databases.crm.transaction(scope) as crm:
            assert (await runner.advance_due(crm, now=T0)).queued == 3
            raise Crash
    except Crash:
        pass
    assert await message_count(databases, org) == 0
    async with databases.crm.transaction(scope) as crm:  # a batch commits, then a crash
        assert (await runner.advance_due(crm, now=T0, batch_size=2)).queued == 2
    set_job_context(JobContext(databases=databases, settings=settings))
    try:
        assert await run_sequences(0) == 1  # the rest advances; everything queued is sent
        assert await run_sequences(0) == 0
    finally:
        set_job_context(None)
    async with databases.crm.transaction(scope) as crm:
        statuses = list(await crm.scalars(select(Message.status)))
    assert statuses == ["sent"] * 3
    async with databases.bi.transaction(scope) as bi:
        sent = await bi.scalar(
            select(func.count()).select_from(MessageEvent).where(MessageEvent.type == "sent")
        )
    assert sent == 3
    sender = SimulatedSender()
    await run(databases, org, T0 + days(30), sender, secret=settings.secret_key_value)
    assert sender.sent == []


async def test_each_step_reports_its_figures_and_revenue(
    app, client, org, databases, settings
) -> None:
    sid = (await sequence(client, org))["sequence_id"]
    first = await step(client, org, sid, subject="Primeiro")
    await step(client, org, sid, subject="Segundo", wait_minutes=60)
    await activate(client, org, sid)
    buyer, reader = await make_leads(databases, org.id, 2)
    await _enroll(databases, org, [buyer.lead_id, reader.lead_id])
    sender = SimulatedSender()
    await run(databases, org, T0, sender, secret=settings.secret_key_value)
    mail = next(m for m in sender.sent if m.to == buyer.email)
    await client.get(tracked(mail.html, "o"))
    click = await client.get(tracked(mail.html, "c"), follow_redirects=False)
    assert click.status_code == 302
    assert f"mid={mail.message_id}" in click.headers["location"]
    await clicks_stored(app)  # the click's event follows the answer
    async with databases.crm.transaction(Scope.organization(org.id)) as crm:
        crm.add(  # the buyer came back through the link and bought
            Lead(
                lead_id=uuid7(),
                contact_id=buyer.contact_id,
                email=buyer.email,
                lead_score="A",
                current_stage="won",
                stage_value=Decimal("497.00"),
            )
        )
    async with databases.bi.transaction(Scope.organization(org.id)) as bi:
        for campaign_id in (first["campaign_id"],):
            await aggregates.refresh_daily(bi, campaign_id=uuid.UUID(campaign_id))
    report = await get(client, org, f"/sequences/{sid}/report")
    one, two = report["steps"]
    assert (one["sent"], one["unique_opens"], one["unique_clicks"]) == (2, 1, 1)
    assert (one["leads"], one["won_leads"]) == (1, 1)
    assert one["revenue"] == [{"currency": None, "amount": "497.00"}]
    assert (two["sent"], two["waiting"], two["leads"]) == (0, 2, 0)
    # Each of the step's figures opens onto as many rows as it counts.
    drill = f"/sequences/{sid}/steps/{first['step_id']}/drill?figure="
    for figure in ("sent", "unique_opens", "unique_clicks", "leads", "won_leads"):
        rows = await get(client, org, drill + figure)
        assert rows["total"] == one[figure] == len(rows["items"]), figure
    assert [r["email"] for r in (await get(client, org, drill + "won_leads"))["items"]] == [
        buyer.email
    ]
    foreign = await client.get(
        f"/api/email/sequences/{uuid7()}/steps/{first['step_id']}/drill?figure=sent",
        headers=org.headers,
    )
    assert foreign.status_code == 404
    assert (report["enrolled"], report["active"]) == (2, 2)
    campaigns = await get(client, org, "/campaigns")
    assert campaigns == []  # the steps' campaigns are not listed with the campaigns
    for action in ("pause", "cancel", "send"):  # nor run through the campaigns' routes
        answer = await client.post(
            f"/api/email/campaigns/{first['campaign_id']}/{action}", headers=org.headers
        )
        assert answer.status_code == 404
    assert (await get(client, org, f"/sequences/{sid}"))["status"] == "active"
