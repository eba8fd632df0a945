"""The campaign's status machine, scheduled sending, and a temporary failure that waits
for its retry instead of failing the campaign."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from rastro.core.db import Scope
from rastro.core.units import TransactionBoundary
from rastro.email.models import Campaign, Message
from rastro.email.senders.base import OutgoingMail, SendResult
from rastro.email.service import sending
from tests.email.conftest import campaign, contacts, get, post, static_audience
from tests.helpers import drain_jobs


async def test_transitions_follow_the_machine(client, org) -> None:
    ids = await contacts(client, org, ["a@cliente.com.br"])
    created = await campaign(client, org, [await static_audience(client, org, list(ids.values()))])
    path = f"/api/email/campaigns/{created['campaign_id']}"
    paused = await client.post(f"{path}/pause", headers=org.headers)
    assert paused.status_code == 409
    assert paused.json()["error"]["details"] == {"from": "draft", "to": "paused"}
    naive = await client.post(
        f"{path}/schedule", json={"scheduled_at": "2030-01-01T10:00:00"}, headers=org.headers
    )
    assert naive.status_code == 422
    scheduled = await post(
        client,
        org,
        f"/campaigns/{created['campaign_id']}/schedule",
        {"scheduled_at": "2030-01-01T10:00:00-03:00"},
    )
    assert scheduled["status"] == "scheduled"
    patched = await client.patch(path, json={"subject": "Novo assunto"}, headers=org.headers)
    assert patched.json()["subject"] == "Novo assunto"
    assert (await post(client, org, f"/campaigns/{created['campaign_id']}/cancel"))["status"] == (
        "cancelled"
    )
    again = await client.post(f"{path}/send", headers=org.headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invalid_campaign_transition"


async def test_scheduled_campaign_starts_when_due(client, org, settings, databases) -> None:
    ids = await contacts(client, org, ["b@cliente.com.br", "c@cliente.com.br"])
    created = await campaign(client, org, [await static_audience(client, org, list(ids.values()))])
    campaign_id = uuid.UUID(created["campaign_id"])
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    await post(client, org, f"/campaigns/{campaign_id}/schedule", {"scheduled_at": soon})
    async with databases.crm.transaction(Scope.organization(org.id)) as session:
        await session.execute(
            update(Campaign)
            .where(Campaign.campaign_id == campaign_id)
            .values(scheduled_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    from rastro.core.jobs import JobContext, set_job_context
    from rastro.email.jobs import start_scheduled

    set_job_context(JobContext(databases=databases, settings=settings))
    try:
        assert await start_scheduled(0) == 1
    finally:
        set_job_context(None)
    await drain_jobs(settings, databases, queues=["email"])
    done = await get(client, org, f"/campaigns/{campaign_id}")
    assert (done["status"], done["generated"]) == ("sent", 2)


class _Busy:
    """A sender whose server answers 4xx to everything (greylisting)."""

    kind = "smtp"

    async def send(self, mails: list[OutgoingMail]) -> list[SendResult]:
        return [SendResult(m.message_id, "retry", error="smtp_451") for m in mails]


async def test_temporary_failure_waits_for_its_retry(client, org, settings, databases) -> None:
    ids = await contacts(client, org, ["d@cliente.com.br"])
    created = await campaign(client, org, [await static_audience(client, org, list(ids.values()))])
    campaign_id = uuid.UUID(created["campaign_id"])
    await post(client, org, f"/campaigns/{campaign_id}/generate")
    await drain_jobs(settings, databases, queues=["email"])
    scope = Scope.organization(org.id)
    async with databases.crm.transaction(scope) as session:
        row = await session.get(Campaign, campaign_id)
        assert row is not None
        row.status = "sending"
    links = sending.Links(base_url="http://127.0.0.1:8000", secret=settings.secret_key_value)
    crm, bi = TransactionBoundary(databases.crm), TransactionBoundary(databases.bi)
    for expected in (True, False):
        more = await sending.send_batch(
            crm, bi, scope, campaign_id=campaign_id, sender=_Busy(), links=links
        )
        assert more is expected
    async with databases.crm.transaction(scope) as session:
        message = await session.scalar(select(Message).where(Message.campaign_id == campaign_id))
        assert message is not None
        assert (message.status, message.attempts, message.error) == ("queued", 1, "smtp_451")
        assert message.retry_at is not None
        assert message.retry_at > datetime.now(UTC) + timedelta(seconds=50)
    still = await get(client, org, f"/campaigns/{campaign_id}")
    assert still["status"] == "sending"
