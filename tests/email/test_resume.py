"""A send job that crashes mid-campaign is resumed by the periodic `resume_campaigns`
job: the messages already sent stay sent, the rest are sent, none twice; the batch the
crash left claimed is never sent again (failed as interrupted after its lease)."""

from __future__ import annotations

import functools
import uuid
from collections import Counter

from sqlalchemy import select

from rastro.core.db import SYSTEM, Scope
from rastro.core.jobs import JobContext, set_job_context
from rastro.core.units import TransactionBoundary
from rastro.email.event_models import MessageEvent
from rastro.email.jobs import resume_campaigns
from rastro.email.models import Message
from rastro.email.senders.base import OutgoingMail, SendResult
from rastro.email.senders.simulated import SimulatedSender
from rastro.email.service import recovery, sending
from tests.email.conftest import campaign, contacts, get, post, static_audience
from tests.helpers import drain_jobs


class _CrashesOnce:
    """A simulated sender whose worker dies on its second batch, before sending it."""

    kind = "simulated"

    def __init__(self, inner: SimulatedSender) -> None:
        self.inner, self.calls = inner, 0

    async def send(self, mails: list[OutgoingMail]) -> list[SendResult]:
        self.calls += 1
        if self.calls == 2:
            raise RuntimeError("worker crashed")
        return await self.inner.send(mails)


async def _state(databases, org, campaign_id):  # type: ignore[no-untyped-def]
    async with databases.crm.transaction(Scope.organization(org.id)) as crm:
        rows = list(await crm.scalars(select(Message).where(Message.campaign_id == campaign_id)))
    return {m.message_id: (m.status, m.error) for m in rows}


async def _resume(settings, databases) -> None:  # type: ignore[no-untyped-def]
    set_job_context(JobContext(databases=databases, settings=settings))
    try:
        await resume_campaigns(0)
    finally:
        set_job_context(None)


async def test_a_crashed_send_job_is_resumed_and_sends_each_message_once(
    client, org, settings, databases, monkeypatch
) -> None:
    delivered = SimulatedSender()
    crashing = _CrashesOnce(delivered)

    async def sender_for(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        return crashing

    send_batch = sending.send_batch
    monkeypatch.setattr(sending, "sender_for", sender_for)
    monkeypatch.setattr(sending, "send_batch", functools.partial(sending.send_batch, batch_size=2))
    ids = await contacts(client, org, [f"r{n}@cliente.com.br" for n in range(7)])
    audience = await static_audience(client, org, list(ids.values()))
    created = await campaign(client, org, [audience])
    campaign_id = uuid.UUID(created["campaign_id"])
    find_stalled = recovery.stalled_campaigns

    async def nothing_stalled(_crm):  # type: ignore[no-untyped-def]
        return []

    # Without the resuming job (the worker runs it every minute), nothing restarts.
    monkeypatch.setattr(recovery, "stalled_campaigns", nothing_stalled)
    await post(client, org, f"/campaigns/{campaign_id}/send")
    await drain_jobs(settings, databases, queues=["email"])

    # Batch 1 went out, batch 2 was claimed when the worker crashed, 3 are still queued.
    crashed = Counter(status for status, _ in (await _state(databases, org, campaign_id)).values())
    assert crashed == {"sent": 2, "sending": 2, "queued": 3}
    assert (await get(client, org, f"/campaigns/{campaign_id}"))["status"] == "sending"
    await drain_jobs(settings, databases, queues=["email"])  # nothing was queued again
    assert Counter(s for s, _ in (await _state(databases, org, campaign_id)).values()) == crashed

    monkeypatch.setattr(recovery, "stalled_campaigns", find_stalled)
    async with databases.crm.transaction(SYSTEM) as crm:
        stalled = await recovery.stalled_campaigns(crm)
    assert recovery.Stalled(org.id, campaign_id, "send") in stalled
    await _resume(settings, databases)
    await drain_jobs(settings, databases, queues=["email"])
    resumed = await _state(databases, org, campaign_id)
    assert Counter(s for s, _ in resumed.values()) == {"sent": 5, "sending": 2}
    async with databases.crm.transaction(SYSTEM) as crm:  # its next run waits for the lease
        assert all(s.campaign_id != campaign_id for s in await recovery.stalled_campaigns(crm))

    # Past the lease, the crashed batch fails as interrupted and the campaign ends.
    monkeypatch.setattr(sending, "SENDING_LEASE_SECONDS", 0.0)
    links = sending.Links(base_url="http://127.0.0.1:8000", secret=settings.secret_key_value)
    more = await send_batch(  # the job queued for the lease's end, run now
        TransactionBoundary(databases.crm),
        TransactionBoundary(databases.bi),
        Scope.organization(org.id),
        campaign_id=campaign_id,
        sender=crashing,
        links=links,
    )
    assert more is False
    final = await _state(databases, org, campaign_id)
    assert Counter(final.values()) == {("sent", None): 5, ("failed", "interrupted"): 2}
    assert (await get(client, org, f"/campaigns/{campaign_id}"))["status"] == "sent"

    # Every message left at most once; each sent one exactly once, in mail and in events.
    sent_ids = [mail.message_id for mail in delivered.sent]
    assert len(sent_ids) == len(set(sent_ids)) == 5
    assert set(sent_ids) == {mid for mid, (status, _) in final.items() if status == "sent"}
    async with databases.bi.transaction(Scope.organization(org.id)) as bi:
        events = Counter(
            await bi.scalars(
                select(MessageEvent.message_id).where(
                    MessageEvent.campaign_id == campaign_id, MessageEvent.type == "sent"
                )
            )
        )
    assert events == Counter(sent_ids)
