"""Entering a sequence again: per trigger occurrence (a second lead, a second unpaid PIX),
never twice for one occurrence (a redelivered trigger), as the sequence's `reentry` says
(`after_exit` by default, `never`, `always`), each enrollment with its own messages."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select, update

from rastro.core.db import SYSTEM, Scope
from rastro.crm.models import Lead
from rastro.email.models import Message
from rastro.email.senders.simulated import SimulatedSender
from rastro.email.sequence_models import Enrollment
from rastro.email.service.sequences import triggers
from tests.crm.factories import make_leads
from tests.email.conftest import get
from tests.email.sequence_helpers import T0, activate, days, run, sequence, step


async def _enroll(databases, org, lead_ids, now=T0) -> int:  # type: ignore[no-untyped-def]
    async with databases.crm.transaction(SYSTEM) as crm:  # as the outbox claims
        return await triggers.leads_created(crm, org.id, lead_ids, now=now)


async def _one_person_two_leads(databases, org):  # type: ignore[no-untyped-def]
    first, second = await make_leads(databases, org.id, 2)
    async with databases.crm.transaction(Scope.organization(org.id)) as crm:
        await crm.execute(
            update(Lead).where(Lead.lead_id == second.lead_id).values(contact_id=first.contact_id)
        )
    return first, second


async def _rows(databases, org, model, *where):  # type: ignore[no-untyped-def]
    async with databases.crm.transaction(Scope.organization(org.id)) as crm:
        rows = list(await crm.scalars(select(model).where(*where)))
        for row in rows:
            crm.expunge(row)
    return rows


async def _welcome(client, org, **fields):  # type: ignore[no-untyped-def]
    created = await sequence(client, org, **fields)
    await step(client, org, created["sequence_id"], subject="Bem-vindo")
    await activate(client, org, created["sequence_id"])
    return created


async def test_a_second_lead_enters_again_once_the_first_enrollment_ended(
    client, org, databases, settings
) -> None:
    created = await _welcome(client, org)
    assert created["reentry"] == "after_exit"
    sid = uuid.UUID(created["sequence_id"])
    first, second = await _one_person_two_leads(databases, org)
    assert await _enroll(databases, org, [first.lead_id]) == 1
    assert await _enroll(databases, org, [first.lead_id]) == 0  # redelivered
    assert await _enroll(databases, org, [second.lead_id]) == 0  # the first is still active

    sender = SimulatedSender()
    secret = settings.secret_key_value
    await run(databases, org, T0, sender, secret=secret)
    assert [m.to for m in sender.sent] == [first.email]
    # Ended: the first lead's trigger again is the same occurrence; the second is new.
    assert await _enroll(databases, org, [first.lead_id], now=T0 + days(1)) == 0
    assert await _enroll(databases, org, [second.lead_id], now=T0 + days(1)) == 1
    await run(databases, org, T0 + days(1), sender, secret=secret)
    assert [m.to for m in sender.sent] == [first.email, first.email]

    enrolled = await _rows(databases, org, Enrollment, Enrollment.sequence_id == sid)
    assert sorted((e.occurrence, e.status) for e in enrolled) == sorted(
        [(f"lead:{first.lead_id}", "completed"), (f"lead:{second.lead_id}", "completed")]
    )
    messages = await _rows(databases, org, Message, Message.contact_id == first.contact_id)
    assert len(messages) == 2
    assert {m.enrollment_id for m in messages} == {e.enrollment_id for e in enrolled}
    assert {m.status for m in messages} == {"sent"}
    await run(databases, org, T0 + days(5), sender, secret=secret)  # nothing more to send
    assert len(sender.sent) == 2
    report = await get(client, org, f"/sequences/{sid}/report")
    assert (report["enrolled"], report["completed"]) == (2, 2)
    listed = await get(client, org, f"/sequences/{sid}/enrollments")
    assert sorted(e["occurrence"] for e in listed["items"]) == sorted(
        [f"lead:{first.lead_id}", f"lead:{second.lead_id}"]
    )


async def test_never_enrolls_a_person_once(client, org, databases, settings) -> None:
    created = await _welcome(client, org, reentry="never")
    first, second = await _one_person_two_leads(databases, org)
    assert await _enroll(databases, org, [first.lead_id]) == 1
    sender = SimulatedSender()
    await run(databases, org, T0, sender, secret=settings.secret_key_value)
    assert await _enroll(databases, org, [second.lead_id], now=T0 + days(1)) == 0
    enrolled = await _rows(
        databases,
        org,
        Enrollment,
        Enrollment.sequence_id == uuid.UUID(created["sequence_id"]),
    )
    assert [(e.lead_id, e.occurrence) for e in enrolled] == [(first.lead_id, "")]


async def test_always_runs_a_recovery_per_unpaid_pix(client, org, databases, settings) -> None:
    created = await _welcome(
        client, org, trigger="pix_unpaid", trigger_minutes=30, reentry="always"
    )
    pix = [uuid.uuid4(), uuid.uuid4()]
    scope = Scope.organization(org.id)

    async def pending(payment_id: uuid.UUID) -> int:
        async with databases.crm.transaction(scope) as crm:
            return await triggers.payment_pending(
                crm, payment_id=payment_id, email="bia@cliente.com.br", name="Bia", now=T0
            )

    assert [await pending(pix[0]), await pending(pix[1]), await pending(pix[0])] == [1, 1, 0]
    async with databases.crm.transaction(scope) as crm:
        assert await triggers.payment_settled(crm, payment_id=pix[0], status="paid") == 1
    sender = SimulatedSender()
    await run(databases, org, T0 + timedelta(minutes=31), sender, secret=settings.secret_key_value)
    assert [m.to for m in sender.sent] == ["bia@cliente.com.br"]
    enrolled = await _rows(
        databases,
        org,
        Enrollment,
        Enrollment.sequence_id == uuid.UUID(created["sequence_id"]),
    )
    assert sorted((e.source_ref, e.status, e.exit_reason) for e in enrolled) == sorted(
        [(str(pix[0]), "exited", "paid"), (str(pix[1]), "completed", None)]
    )
