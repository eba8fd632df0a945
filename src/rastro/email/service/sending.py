"""Sending a campaign: start (generation first when needed), then batches of queued
messages rendered for their recipient and handed to the campaign's sender.

Each batch is claimed in one statement (`UPDATE … FROM (SELECT … FOR UPDATE SKIP
LOCKED)`, so concurrent claimers — several jobs or processes on one campaign — never send
the same one) that refuses those whose recipient stopped being sendable since generation
(counted as `refused` events, never sent) and marks the rest `sending`, in a transaction
of its own before they are rendered for the sender (`rendering`); the results and a
`sent` event per message are recorded in the next one, again one statement per batch
(`UPDATE … FROM json_to_recordset(…)`). A message found `sending` after its lease (the
worker stopped between the server's acceptance and our record) is failed as
`interrupted`, never sent again blindly.
A temporary failure (an SMTP 4xx, a lost connection) leaves the message queued for a later
batch after a wait that doubles with each attempt (`RETRY_BASE_SECONDS`, the job queued
again for then), up to `MAX_ATTEMPTS`. When nothing is left the campaign is `sent`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    Integer,
    String,
    Uuid,
    any_,
    bindparam,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth.service import credentials
from rastro.core.db import Scope
from rastro.core.jobs import enqueue_once
from rastro.core.security import Keyring
from rastro.core.units import TransactionBoundary
from rastro.email.models import Campaign, Message, Sender
from rastro.email.senders.base import MailSender, OutgoingMail, SendResult
from rastro.email.senders.providers import API_KINDS, api_sender
from rastro.email.senders.simulated import SimulatedSender
from rastro.email.senders.smtp import SmtpSender, SmtpSettings
from rastro.email.service import ab_winner, dkim, rendering, variants
from rastro.email.service.campaigns import get_campaign, move
from rastro.email.service.events import NewEvent, record_events
from rastro.email.service.generation import SEND_TASK, enqueue_sending, start_generation
from rastro.email.service.rendering import Claimed, Links

__all__ = ["Claimed", "Links"]  # (re-exported: the jobs and the sequences' runner use them)

SEND_BATCH = 200
MAX_ATTEMPTS = 5
RETRY_BASE_SECONDS = 60.0
# Longer than any batch takes (200 mails at the slowest rate with SMTP timeouts).
SENDING_LEASE_SECONDS = 1800.0


async def start_sending(session: AsyncSession, *, campaign_id: uuid.UUID) -> Campaign:
    """Send now (or resume a paused campaign): generates the messages first if needed."""
    campaign = await get_campaign(session, campaign_id=campaign_id)
    move(campaign, "sending")
    if campaign.generation_status is None:
        await start_generation(session, campaign_id=campaign_id)
    elif campaign.generation_status == "done":
        await enqueue_sending(session, campaign)
    await session.flush()
    return campaign


async def sender_for(
    session: AsyncSession, keyring: Keyring, campaign: Campaign, *, parts: int = 1
) -> MailSender:
    """The campaign's sender (simulated when it names none): SMTP, signing with the
    organization's DKIM keys, or a provider's API with the key from the vault. `parts`:
    how many sending jobs share the sender's rate per second (each gets its share)."""
    if campaign.sender_id is None:
        return SimulatedSender(keep=False)
    sender = await session.get(Sender, campaign.sender_id)
    if sender is None or sender.kind == "simulated" or sender.credential_id is None:
        return SimulatedSender(keep=False)
    rate = max(1, sender.rate_per_second // max(1, parts))
    resolved = await credentials.resolve_credential(session, keyring, sender.credential_id)
    settings = resolved.settings
    if sender.kind in API_KINDS:
        return api_sender(
            sender.kind,
            api_key=resolved.api_key,
            api_secret=resolved.api_secret,
            base_url=resolved.base_url,
            settings=settings,
            rate_per_second=rate,
        )
    return SmtpSender(
        SmtpSettings(
            host=str(settings["host"]),
            port=int(settings.get("port") or 587),
            username=str(settings["username"]) if settings.get("username") else None,
            password=resolved.api_key or None,
            security=str(settings.get("security") or "starttls"),
        ),
        rate_per_second=rate,
        dkim_keys=await dkim.signing_keys(session, keyring),
    )


async def sending_parts(session: AsyncSession, campaign: Campaign, wanted: int) -> int:
    """How many sending jobs the campaign runs at once: `wanted` (`EMAIL_SEND_PARTS`), but
    no more than its sender's rate per second (each keeps a whole mail a second of it)."""
    wanted = max(1, wanted)
    if wanted == 1 or campaign.sender_id is None:
        return wanted
    sender = await session.get(Sender, campaign.sender_id)
    if sender is None or sender.kind == "simulated" or sender.credential_id is None:
        return wanted
    return max(1, min(wanted, sender.rate_per_second))


async def enqueue_parts(session: AsyncSession, campaign: Campaign, parts: int) -> None:
    """Make sure the campaign's other sending jobs (parts 1 to `parts - 1`, the first is
    the campaign's own job) wait or run, each under a lock of its own; their claims never
    overlap (`claim_queued`)."""
    for part in range(1, parts):
        await enqueue_once(
            session,
            SEND_TASK,
            queueing_lock=f"email.send.{campaign.campaign_id}.{part}",
            args={
                "organization_id": str(campaign.organization_id),
                "campaign_id": str(campaign.campaign_id),
                "part": part,
            },
            queue="email",
        )


@dataclass(frozen=True)
class Claim:
    """A batch claimed for sending (committed as `sending` before the sender is called)."""

    mails: list[OutgoingMail]


async def claim_batch(
    crm: AsyncSession,
    bi: AsyncSession,
    *,
    campaign_id: uuid.UUID,
    sender_kind: str,
    links: Links,
    batch_size: int = SEND_BATCH,
) -> Claim | None:
    """Claim the next batch of queued messages: refused ones failed, the rest rendered and
    marked `sending` (one more attempt). None when nothing is left to claim now (the
    campaign is then `sent`, or the job queued again for a retry or an unfinished batch)."""
    campaign = await get_campaign(crm, campaign_id=campaign_id)
    if campaign.status != "sending" or campaign.generation_status != "done":
        return None
    now = datetime.now(UTC)
    await fail_interrupted(crm, campaign_id, now)
    messages = await claim_queued(crm, campaign_id=campaign_id, now=now, batch_size=batch_size)
    if not messages:
        await _finish_or_wait(crm, campaign, now)
        return None
    return await claim_messages(
        crm, bi, campaign=campaign, messages=messages, sender_kind=sender_kind, links=links, now=now
    )


async def claim_queued(
    crm: AsyncSession, *, campaign_id: uuid.UUID, now: datetime, batch_size: int = SEND_BATCH
) -> list[Claimed]:
    """Claim the next queued messages of a campaign that are due, in one statement: locked
    with `FOR UPDATE SKIP LOCKED` (concurrent claimers never take the same one), those
    whose recipient is no longer sendable (suppressed, or not `active`) failed as
    `refused`, the rest marked `sending` (one more attempt). The refused ones are
    returned too (`claim_messages` records their events)."""
    rows = await crm.execute(
        _CLAIM,
        {"campaign": campaign_id, "now": now, "max": MAX_ATTEMPTS, "n": batch_size},
    )
    claimed = sorted(rows.all(), key=lambda row: row.message_id)
    return [
        Claimed(
            message_id=row.message_id,
            organization_id=row.organization_id,
            campaign_id=row.campaign_id,
            contact_id=row.contact_id,
            variant=row.variant,
            fields=row.fields or {},
            attributes=row.attributes or {},
            refused=row.refused,
        )
        for row in claimed
    ]


_CLAIM = (
    text(
        """
        WITH picked AS MATERIALIZED (
            SELECT message_id, contact_id FROM email_messages
            WHERE campaign_id = :campaign AND status = 'queued' AND attempts < :max
                AND (retry_at IS NULL OR retry_at <= :now)
            ORDER BY message_id
            LIMIT :n
            FOR UPDATE SKIP LOCKED
        ), checked AS MATERIALIZED (
            SELECT p.message_id, c.attributes,
                coalesce(c.status <> 'active', false) OR EXISTS (
                    SELECT 1 FROM email_suppressions s WHERE s.contact_id = p.contact_id
                ) AS refused
            FROM picked p LEFT JOIN email_contacts c ON c.contact_id = p.contact_id
        )
        UPDATE email_messages m SET
            status = CASE WHEN k.refused THEN 'failed' ELSE 'sending' END,
            error = CASE WHEN k.refused THEN 'refused' ELSE m.error END,
            sending_since = CASE WHEN k.refused THEN m.sending_since ELSE :now END,
            attempts = m.attempts + CASE WHEN k.refused THEN 0 ELSE 1 END
        FROM checked k
        WHERE m.message_id = k.message_id
        RETURNING m.message_id, m.organization_id, m.campaign_id, m.contact_id, m.variant,
            m.fields, k.attributes, k.refused
        """
    )
    .bindparams(bindparam("now", type_=DateTime(timezone=True)))
    .columns(
        message_id=Uuid,
        organization_id=Uuid,
        campaign_id=Uuid,
        contact_id=Uuid,
        variant=Integer,
        fields=JSONB,
        attributes=JSONB,
        refused=Boolean,
    )
)


async def claim_messages(
    crm: AsyncSession,
    bi: AsyncSession,
    *,
    campaign: Campaign,
    messages: list[Claimed],
    sender_kind: str,
    links: Links,
    now: datetime,
) -> Claim:
    """Render messages `claim_queued` claimed (a campaign's batch or a sequence step's)
    and record the `refused` events; a message whose contact lost its address is failed
    as `no_address` (its attempt given back), in the claim's transaction."""
    events = [
        _event(m, "refused", now, sender_kind, f"refused:{m.message_id}")
        for m in messages
        if m.refused
    ]
    sendable = [m for m in messages if not m.refused]
    mails = await rendering.render(crm, campaign, sendable, links)
    rendered = {mail.message_id for mail in mails}
    lost = [m.message_id for m in sendable if m.message_id not in rendered]
    if lost:
        await crm.execute(
            update(Message)
            .where(Message.message_id == any_(bindparam("lost", lost, type_=ARRAY(Uuid))))
            .values(
                status="failed",
                error="no_address",
                sending_since=None,
                attempts=Message.attempts - 1,
            )
            .execution_options(synchronize_session=False)
        )
    await record_events(bi, events=events)
    return Claim(mails)


async def fail_interrupted(crm: AsyncSession, campaign_id: uuid.UUID, now: datetime) -> None:
    """Messages left `sending` past the lease were being sent when a worker stopped: the
    server may have accepted them before we could record it, so they are never sent again
    blindly — they fail as `interrupted` (a duplicate e-mail is worse than a missing one)."""
    await crm.execute(
        update(Message)
        .where(
            Message.campaign_id == campaign_id,
            Message.status == "sending",
            Message.sending_since < now - timedelta(seconds=SENDING_LEASE_SECONDS),
        )
        .values(status="failed", error="interrupted")
    )


async def _finish_or_wait(crm: AsyncSession, campaign: Campaign, now: datetime) -> None:
    campaign_id = campaign.campaign_id
    waiting = await crm.scalar(
        select(func.min(Message.retry_at)).where(
            Message.campaign_id == campaign_id,
            Message.status == "queued",
            Message.attempts < MAX_ATTEMPTS,
        )
    )
    in_flight = await crm.scalar(
        select(func.min(Message.sending_since)).where(
            Message.campaign_id == campaign_id, Message.status == "sending"
        )
    )
    if in_flight is not None:  # another batch is out (or was interrupted): look again later
        lease_end = in_flight + timedelta(seconds=SENDING_LEASE_SECONDS)
        waiting = lease_end if waiting is None else min(waiting, lease_end)
    if waiting is not None:  # temporary failures wait for their retry
        await enqueue_sending(crm, campaign, at=max(waiting, now))
        return
    if await variants.has_held(crm, campaign_id=campaign_id):  # an A/B test's rest
        await ab_winner.schedule_winner(crm, campaign)
        return
    # What is still queued ran out of attempts: failed, and the campaign is done.
    await crm.execute(
        update(Message)
        .where(Message.campaign_id == campaign_id, Message.status == "queued")
        .values(status="failed")
    )
    move(campaign, "sent")
    await crm.flush()


async def record_results(
    crm: AsyncSession,
    bi: AsyncSession,
    *,
    results: list[SendResult],
    sender_kind: str,
    now: datetime | None = None,
) -> None:
    """Record what the sender answered for a claimed batch, in one statement: sent (with
    its events), failed, or queued again after a wait that doubles with each attempt
    (`now`: the caller's clock, the sequences' runner's). Only messages still `sending`
    are ours to record (not those failed as interrupted meanwhile)."""
    if not results:
        return
    now = now or datetime.now(UTC)
    rows = await crm.execute(
        _RESULTS,
        {
            "now": now,
            "max": MAX_ATTEMPTS,
            "base": RETRY_BASE_SECONDS,
            "results": orjson.dumps(
                [
                    {
                        "message_id": r.message_id,
                        "outcome": r.outcome,
                        "provider_message_id": r.provider_message_id,
                        "error": r.error,
                    }
                    for r in results
                ]
            ).decode(),
        },
    )
    events: list[NewEvent] = []
    for row in sorted(rows.all(), key=lambda row: row.message_id):
        if row.status != "sent":
            continue
        events.append(_event(row, "sent", now, sender_kind, f"sent:{row.message_id}"))
        if sender_kind == "simulated":
            events.append(_event(row, "delivered", now, sender_kind, f"delivered:{row.message_id}"))
    await record_events(bi, events=events)


_RESULTS = (
    text(
        """
        UPDATE email_messages m SET
            status = CASE WHEN r.outcome = 'sent' THEN 'sent'
                WHEN r.outcome = 'failed' OR m.attempts >= :max THEN 'failed'
                ELSE 'queued' END,
            sent_at = CASE WHEN r.outcome = 'sent' THEN :now ELSE m.sent_at END,
            provider_message_id = CASE WHEN r.outcome = 'sent' THEN r.provider_message_id
                ELSE m.provider_message_id END,
            error = CASE WHEN r.outcome = 'sent' THEN NULL ELSE r.error END,
            retry_at = CASE WHEN r.outcome <> 'sent' AND r.outcome <> 'failed'
                    AND m.attempts < :max
                THEN :now + make_interval(secs => :base * power(2, m.attempts - 1))
                ELSE m.retry_at END,
            sending_since = NULL
        FROM json_to_recordset(CAST(:results AS json))
            AS r(message_id uuid, outcome text, provider_message_id text, error text)
        WHERE m.message_id = r.message_id AND m.status = 'sending'
        RETURNING m.message_id, m.campaign_id, m.contact_id, m.status
        """
    )
    .bindparams(
        bindparam("now", type_=DateTime(timezone=True)),
        bindparam("base", type_=Float),
    )
    .columns(message_id=Uuid, campaign_id=Uuid, contact_id=Uuid, status=String)
)


async def send_batch(
    crm: TransactionBoundary,
    bi: TransactionBoundary,
    scope: Scope,
    *,
    campaign_id: uuid.UUID,
    sender: MailSender,
    links: Links,
    batch_size: int = SEND_BATCH,
) -> bool:
    """Send the next batch of the campaign's queued messages; True while some remain.

    Three steps, so that a mail is never sent twice: the claim (messages marked `sending`)
    commits before the sender is called, and the results commit after it. A worker that
    stops in between leaves its messages `sending`; they are failed as `interrupted` once
    `SENDING_LEASE_SECONDS` pass, never sent again."""
    async with crm.unit(scope) as crm_session, bi.unit(scope) as bi_session:
        claim = await claim_batch(
            crm_session,
            bi_session,
            campaign_id=campaign_id,
            sender_kind=sender.kind,
            links=links,
            batch_size=batch_size,
        )
    if claim is None:
        return False
    results = await sender.send(claim.mails) if claim.mails else []
    async with crm.unit(scope) as crm_session, bi.unit(scope) as bi_session:
        await record_results(crm_session, bi_session, results=results, sender_kind=sender.kind)
    return True


def _event(message: Any, kind: str, at: datetime, source: str, external: str) -> NewEvent:
    """An event of a message (anything with its message, campaign and contact ids)."""
    return NewEvent(
        campaign_id=message.campaign_id,
        message_id=message.message_id,
        contact_id=message.contact_id,
        type=kind,
        source=source,
        external_id=external,
        occurred_at=at,
    )


async def sender_by_id(
    session: AsyncSession, keyring: Keyring, sender_id: uuid.UUID | None
) -> MailSender:
    """The sender of this id, made as a campaign's would be (simulated when None), for
    mail that belongs to no campaign (a double opt-in confirmation, a test send)."""
    # A transient campaign (never added to the session) that only names the sender.
    return await sender_for(session, keyring, Campaign(sender_id=sender_id))
