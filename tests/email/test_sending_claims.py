"""The set-based claim and results of the sending: concurrent claimers never take (or
send) the same message; a batch that fails before its claim commits leaves its messages
to be claimed again; the results and the claim leave what the per-message rules say."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text, update

from rastro.core.db import SYSTEM, Scope
from rastro.core.security import Keyring
from rastro.core.units import TransactionBoundary
from rastro.email.event_models import MessageEvent
from rastro.email.models import Campaign, Message, Suppression
from rastro.email.senders.base import SendResult
from rastro.email.senders.simulated import SimulatedSender
from rastro.email.senders.smtp import SmtpSender
from rastro.email.service import rendering, sending
from tests.email.conftest import campaign, contacts, post, static_audience
from tests.helpers import drain_jobs

LINKS = sending.Links(base_url="http://127.0.0.1:8000", secret="segredo-de-teste-" * 3)


async def _queued_campaign(client, org, settings, databases, count: int) -> uuid.UUID:  # type: ignore[no-untyped-def]
    """A campaign `sending` with `count` queued messages, its send job not run."""
    ids = await contacts(
        client, org, [f"c{n}-{uuid.uuid4().hex[:6]}@cliente.com.br" for n in range(count)]
    )
    audience = await static_audience(client, org, list(ids.values()))
    created = await campaign(client, org, [audience])
    campaign_id = uuid.UUID(created["campaign_id"])
    await post(client, org, f"/campaigns/{campaign_id}/generate")
    await drain_jobs(settings, databases, queues=["email"])
    async with databases.crm.transaction(Scope.organization(org.id)) as crm:
        await crm.execute(
            update(Campaign).where(Campaign.campaign_id == campaign_id).values(status="sending")
        )
    return campaign_id


async def _messages(databases, org, campaign_id) -> dict[uuid.UUID, Message]:  # type: ignore[no-untyped-def]
    async with databases.crm.transaction(Scope.organization(org.id)) as crm:
        return {
            m.message_id: m
            for m in await crm.scalars(select(Message).where(Message.campaign_id == campaign_id))
        }


async def _events(databases, org, campaign_id) -> Counter[tuple[uuid.UUID, str]]:  # type: ignore[no-untyped-def]
    async with databases.bi.transaction(Scope.organization(org.id)) as bi:
        rows = await bi.execute(
            select(MessageEvent.message_id, MessageEvent.type).where(
                MessageEvent.campaign_id == campaign_id
            )
        )
        return Counter((m, t) for m, t in rows.all())


async def test_two_open_claims_take_different_messages(client, org, settings, databases) -> None:
    campaign_id = await _queued_campaign(client, org, settings, databases, 10)
    scope, now = Scope.organization(org.id), datetime.now(UTC)
    async with databases.crm.transaction(scope) as first:
        a = await sending.claim_queued(first, campaign_id=campaign_id, now=now, batch_size=4)
        async with databases.crm.transaction(scope) as second:  # while the first holds its locks
            b = await sending.claim_queued(second, campaign_id=campaign_id, now=now, batch_size=4)
    taken_a, taken_b = {m.message_id for m in a}, {m.message_id for m in b}
    assert len(taken_a) == len(taken_b) == 4
    assert not taken_a & taken_b
    state = await _messages(databases, org, campaign_id)
    assert Counter(m.status for m in state.values()) == {"sending": 8, "queued": 2}
    assert all(state[mid].attempts == 1 for mid in taken_a | taken_b)


async def test_concurrent_claimers_send_each_message_exactly_once(
    client, org, settings, databases
) -> None:
    campaign_id = await _queued_campaign(client, org, settings, databases, 23)
    crm, bi = TransactionBoundary(databases.crm), TransactionBoundary(databases.bi)
    senders = [SimulatedSender() for _ in range(4)]

    async def claimer(sender: SimulatedSender) -> int:
        batches, more = 0, True
        while more:
            more = await sending.send_batch(
                crm,
                bi,
                Scope.organization(org.id),
                campaign_id=campaign_id,
                sender=sender,
                links=LINKS,
                batch_size=2,
            )
            batches += more
        return batches

    batches = await asyncio.gather(*(claimer(sender) for sender in senders))
    assert sum(batches) >= 12
    assert sum(1 for b in batches if b) > 1  # the claimers did share the work
    sent = [mail.message_id for sender in senders for mail in sender.sent]
    state = await _messages(databases, org, campaign_id)
    assert len(sent) == len(set(sent)) == 23
    assert set(sent) == set(state)
    assert all(m.status == "sent" and m.attempts == 1 for m in state.values())
    events = await _events(databases, org, campaign_id)
    assert events == Counter({(mid, t): 1 for mid in state for t in ("sent", "delivered")})
    async with databases.crm.transaction(Scope.organization(org.id)) as session:
        assert (await session.get(Campaign, campaign_id)).status == "sent"  # type: ignore[union-attr]


async def test_a_batch_that_fails_before_its_claim_commits_is_claimed_again(
    client, org, settings, databases, monkeypatch
) -> None:
    campaign_id = await _queued_campaign(client, org, settings, databases, 5)
    crm, bi = TransactionBoundary(databases.crm), TransactionBoundary(databases.bi)
    render = rendering.render

    async def crashing(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("worker crashed while rendering")

    monkeypatch.setattr(rendering, "render", crashing)
    sender, scope = SimulatedSender(), Scope.organization(org.id)
    try:
        await sending.send_batch(
            crm, bi, scope, campaign_id=campaign_id, sender=sender, links=LINKS, batch_size=3
        )
    except RuntimeError:
        pass
    else:
        raise AssertionError("the batch should have failed")
    state = await _messages(databases, org, campaign_id)
    assert all(
        (m.status, m.attempts, m.sending_since) == ("queued", 0, None) for m in state.values()
    )
    assert not await _events(databases, org, campaign_id)

    monkeypatch.setattr(rendering, "render", render)
    while await sending.send_batch(
        crm, bi, scope, campaign_id=campaign_id, sender=sender, links=LINKS, batch_size=3
    ):
        pass
    state = await _messages(databases, org, campaign_id)
    assert sorted(m.message_id for m in sender.sent) == sorted(state)
    assert all((m.status, m.attempts) == ("sent", 1) for m in state.values())


def _per_message(message: Message, result: SendResult, now: datetime) -> tuple:  # type: ignore[type-arg]
    """What the per-message path (one ORM object per result) left for a claimed message."""
    status, error, sent_at = message.status, message.error, message.sent_at
    provider, retry_at, sending_since = (
        message.provider_message_id,
        message.retry_at,
        message.sending_since,
    )
    if message.status == "sending":
        sending_since = None
        if result.outcome == "sent":
            status, sent_at, provider, error = "sent", now, result.provider_message_id, None
        elif result.outcome == "failed" or message.attempts >= sending.MAX_ATTEMPTS:
            status, error = "failed", result.error
        else:
            status, error = "queued", result.error
            delay = sending.RETRY_BASE_SECONDS * 2 ** (message.attempts - 1)
            retry_at = now + timedelta(seconds=delay)
    return (status, error, sent_at, provider, retry_at, sending_since, message.attempts)


def _row(message: Message) -> tuple:  # type: ignore[type-arg]
    return (
        message.status,
        message.error,
        message.sent_at,
        message.provider_message_id,
        message.retry_at,
        message.sending_since,
        message.attempts,
    )


async def test_results_and_claims_leave_what_the_per_message_rules_say(
    client, org, settings, databases
) -> None:
    campaign_id = await _queued_campaign(client, org, settings, databases, 9)
    scope, now = Scope.organization(org.id), datetime.now(UTC).replace(microsecond=0)
    ordered = sorted(await _messages(databases, org, campaign_id))
    refused, lost = ordered[7], ordered[8]
    async with databases.crm.transaction(scope) as crm:
        by_id = {m.message_id: m for m in (await _messages(databases, org, campaign_id)).values()}
        crm.add(
            Suppression(
                organization_id=org.id, contact_id=by_id[refused].contact_id, reason="manual"
            )
        )
        await crm.execute(  # the contact lost its address since generation
            text("UPDATE contacts SET email_encrypted = NULL WHERE contact_id = :c"),
            {"c": by_id[lost].contact_id},
        )
    async with databases.crm.transaction(scope) as crm, databases.bi.transaction(scope) as bi:
        campaign_row = await crm.get(Campaign, campaign_id)
        assert campaign_row is not None
        claimed = await sending.claim_queued(crm, campaign_id=campaign_id, now=now)
        claim = await sending.claim_messages(
            crm,
            bi,
            campaign=campaign_row,
            messages=claimed,
            sender_kind="smtp",
            links=LINKS,
            now=now,
        )
    assert [m.message_id for m in claimed] == ordered
    assert sorted(mail.message_id for mail in claim.mails) == ordered[:7]
    state = await _messages(databases, org, campaign_id)
    assert _row(state[refused]) == ("failed", "refused", None, None, None, None, 0)
    assert _row(state[lost]) == ("failed", "no_address", None, None, None, None, 0)
    assert all(
        _row(state[mid]) == ("sending", None, None, None, None, now, 1) for mid in ordered[:7]
    )

    # Earlier attempts (a retry due now), and one failed as interrupted meanwhile.
    async with databases.crm.transaction(scope) as crm:
        await crm.execute(
            update(Message)
            .where(Message.message_id == ordered[3])
            .values(attempts=sending.MAX_ATTEMPTS)
        )
        await crm.execute(
            update(Message).where(Message.message_id == ordered[4]).values(attempts=3)
        )
        await crm.execute(
            update(Message)
            .where(Message.message_id == ordered[6])
            .values(status="failed", error="interrupted", sending_since=None)
        )
    before = await _messages(databases, org, campaign_id)
    results = [
        SendResult(ordered[0], "sent", provider_message_id="<abc@smtp>"),
        SendResult(ordered[1], "retry", error="smtp_451"),
        SendResult(ordered[2], "failed", error="smtp_550"),
        SendResult(ordered[3], "retry", error="smtp_421"),  # out of attempts
        SendResult(ordered[4], "retry", error="timeout"),  # third attempt: a 240 s wait
        SendResult(ordered[5], "sent", provider_message_id="<def@smtp>"),
        SendResult(ordered[6], "sent", provider_message_id="<late@smtp>"),  # not ours
    ]
    async with databases.crm.transaction(scope) as crm, databases.bi.transaction(scope) as bi:
        await sending.record_results(crm, bi, results=results, sender_kind="smtp", now=now)
    after = await _messages(databases, org, campaign_id)
    for result in results:
        assert _row(after[result.message_id]) == _per_message(
            before[result.message_id], result, now
        )
    assert after[ordered[4]].retry_at == now + timedelta(seconds=4 * sending.RETRY_BASE_SECONDS)
    events = await _events(databases, org, campaign_id)
    assert events == Counter(
        {(ordered[0], "sent"): 1, (ordered[5], "sent"): 1, (refused, "refused"): 1}
    )


async def test_a_campaign_sent_in_parts_sends_each_message_once(
    client, org, settings, databases
) -> None:
    in_parts = settings.model_copy(update={"email_send_parts": 3})
    ids = await contacts(
        client, org, [f"p{n}-{uuid.uuid4().hex[:6]}@cliente.com.br" for n in range(9)]
    )
    audience = await static_audience(client, org, list(ids.values()))
    created = await campaign(client, org, [audience])
    campaign_id = uuid.UUID(created["campaign_id"])
    await post(client, org, f"/campaigns/{campaign_id}/send")
    await drain_jobs(in_parts, databases, queues=["email"])
    state = await _messages(databases, org, campaign_id)
    assert len(state) == 9
    assert all((m.status, m.attempts) == ("sent", 1) for m in state.values())
    events = await _events(databases, org, campaign_id)
    assert events == Counter({(mid, t): 1 for mid in state for t in ("sent", "delivered")})
    async with databases.crm.transaction(SYSTEM) as crm:
        jobs = (
            await crm.execute(
                text(
                    "SELECT coalesce(args->>'part', '0'), lock FROM procrastinate_jobs"
                    " WHERE task_name = 'email:send_campaign' AND args->>'campaign_id' = :c"
                ),
                {"c": str(campaign_id)},
            )
        ).all()
    assert {part: lock for part, lock in jobs} == {
        "0": f"email.send.{campaign_id}",
        "1": f"email.send.{campaign_id}.1",
        "2": f"email.send.{campaign_id}.2",
    }


async def test_parts_share_the_senders_rate(client, org, settings, databases) -> None:
    credential = await client.post(
        "/api/credentials",
        json={
            "name": "SMTP",
            "service": "smtp",
            "api_key": "s3nha",
            "settings": {
                "host": "127.0.0.1",
                "port": "2525",
                "username": "mailer",
                "security": "none",
            },
        },
        headers=org.headers,
    )
    assert credential.status_code == 201, credential.text
    keyring = Keyring(settings.encryption_key_value)
    for rate, wanted, parts, each in ((10, 4, 4, 2), (10, 1, 1, 10), (3, 8, 3, 1)):
        sender = await post(
            client,
            org,
            "/senders",
            {
                "name": f"SMTP {rate}/{wanted}",
                "kind": "smtp",
                "credential_id": credential.json()["id"],
                "rate_per_second": rate,
            },
        )
        async with databases.crm.transaction(Scope.organization(org.id)) as crm:
            row = Campaign(organization_id=org.id, sender_id=uuid.UUID(sender["sender_id"]))
            assert await sending.sending_parts(crm, row, wanted) == parts
            made = await sending.sender_for(crm, keyring, row, parts=parts)
        assert isinstance(made, SmtpSender)
        assert made.rate_per_second == each
        assert parts * each <= rate
    async with databases.crm.transaction(Scope.organization(org.id)) as crm:
        assert await sending.sending_parts(crm, Campaign(organization_id=org.id), 5) == 5
