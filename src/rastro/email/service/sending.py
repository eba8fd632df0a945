"""Sending a campaign: start (generation first when needed), then batches of queued
messages rendered for their recipient and handed to the campaign's sender.

Each batch locks its messages (`FOR UPDATE SKIP LOCKED`, so two workers never send the
same one), refuses those whose recipient stopped being sendable since generation (counted
as `refused` events, never sent), and marks the rest `sending` in a transaction of its own
before handing them to the sender; the results and a `sent` event per message are recorded
in the next one. A message found `sending` after its lease (the worker stopped between the
server's acceptance and our record) is failed as `interrupted`, never sent again blindly.
A temporary failure (an SMTP 4xx, a lost connection) leaves the message queued for a later
batch after a wait that doubles with each attempt (`RETRY_BASE_SECONDS`, the job queued
again for then), up to `MAX_ATTEMPTS`. When nothing is left the campaign is `sent`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth.service import credentials
from rastro.core.db import Scope
from rastro.core.security import Keyring
from rastro.core.units import TransactionBoundary
from rastro.crm.service import people
from rastro.email.models import Campaign, EmailContact, Link, Message, Sender, Suppression
from rastro.email.senders.base import MailSender, OutgoingMail, SendResult
from rastro.email.senders.providers import API_KINDS, api_sender
from rastro.email.senders.simulated import SimulatedSender
from rastro.email.senders.smtp import SmtpSender, SmtpSettings
from rastro.email.service import ab_winner, content, dkim, tokens, variants
from rastro.email.service.campaigns import get_campaign, move
from rastro.email.service.events import NewEvent, record_events
from rastro.email.service.generation import enqueue_sending, start_generation

SEND_BATCH = 200
MAX_ATTEMPTS = 5
RETRY_BASE_SECONDS = 60.0
# Longer than any batch takes (200 mails at the slowest rate with SMTP timeouts).
SENDING_LEASE_SECONDS = 1800.0


@dataclass(frozen=True)
class Links:
    """The public URLs of one message (tracking base from `RASTRO_PUBLIC_URL`)."""

    base_url: str
    secret: str

    def _token(self, kind: tokens.Kind, message: Message, link_id: int = 0) -> str:
        token = tokens.TrackingToken(kind, message.organization_id, message.message_id, link_id)
        return tokens.encode(self.secret, token)

    def click(self, message: Message, link_id: int) -> str:
        return f"{self.base_url}/e/c/{self._token('c', message, link_id)}"

    def pixel(self, message: Message) -> str:
        return f"{self.base_url}/e/o/{self._token('o', message)}.gif"

    def unsubscribe(self, message: Message) -> str:
        return f"{self.base_url}/e/u/{self._token('u', message)}"


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


async def sender_for(session: AsyncSession, keyring: Keyring, campaign: Campaign) -> MailSender:
    """The campaign's sender (simulated when it names none): SMTP, signing with the
    organization's DKIM keys, or a provider's API with the key from the vault."""
    if campaign.sender_id is None:
        return SimulatedSender(keep=False)
    sender = await session.get(Sender, campaign.sender_id)
    if sender is None or sender.kind == "simulated" or sender.credential_id is None:
        return SimulatedSender(keep=False)
    resolved = await credentials.resolve_credential(session, keyring, sender.credential_id)
    settings = resolved.settings
    if sender.kind in API_KINDS:
        return api_sender(
            sender.kind,
            api_key=resolved.api_key,
            api_secret=resolved.api_secret,
            base_url=resolved.base_url,
            settings=settings,
            rate_per_second=sender.rate_per_second,
        )
    return SmtpSender(
        SmtpSettings(
            host=str(settings["host"]),
            port=int(settings.get("port") or 587),
            username=str(settings["username"]) if settings.get("username") else None,
            password=resolved.api_key or None,
            security=str(settings.get("security") or "starttls"),
        ),
        rate_per_second=sender.rate_per_second,
        dkim_keys=await dkim.signing_keys(session, keyring),
    )


async def _render(
    crm: AsyncSession, campaign: Campaign, messages: list[Message], links: Links
) -> list[OutgoingMail]:
    found = await people.people_by_id(crm, contact_ids=[m.contact_id for m in messages])
    attributes: dict[uuid.UUID, dict[str, Any]] = dict(
        (
            await crm.execute(
                select(EmailContact.contact_id, EmailContact.attributes).where(
                    EmailContact.contact_id.in_([m.contact_id for m in messages])
                )
            )
        ).all()
    )
    link_ids = dict(
        (
            await crm.execute(
                select(Link.url, Link.link_id).where(Link.campaign_id == campaign.campaign_id)
            )
        ).all()
    )
    places_link = content.mentions_unsubscribe(campaign.html)
    mails = []
    for message in messages:
        person = found.get(message.contact_id)
        if person is None:
            continue
        recipient = content.Recipient(
            person.email,
            person.name,
            attributes.get(message.contact_id, {}),
            {str(k): str(v) for k, v in (message.fields or {}).items()},
        )
        unsubscribe_url = links.unsubscribe(message)
        extra = {content.UNSUBSCRIBE_FIELD: unsubscribe_url}
        html = content.merge(campaign.html, recipient, escape=True, extra=extra)
        html = content.rewrite_links(html, _tracked(links, message, link_ids))
        html = content.with_footer(
            html,
            pixel_url=links.pixel(message),
            unsubscribe_url=unsubscribe_url,
            has_link=places_link,
        )
        mails.append(
            OutgoingMail(
                message_id=message.message_id,
                to=person.email,
                from_name=campaign.from_name,
                from_address=campaign.from_address,
                reply_to=campaign.reply_to,
                subject=content.merge(
                    variants.subject_of(campaign, message.variant),
                    recipient,
                    escape=False,
                    extra={},
                ),
                html=html,
                text=content.merge(campaign.text, recipient, escape=False, extra=extra),
                unsubscribe_url=unsubscribe_url,
            )
        )
    return mails


def _tracked(
    links: Links, message: Message, link_ids: dict[str, int]
) -> Callable[[str], str | None]:
    def tracked(url: str) -> str | None:
        return links.click(message, link_ids[url]) if url in link_ids else None

    return tracked


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
) -> list[Message]:
    """Lock the next queued messages of a campaign that are due (`FOR UPDATE SKIP LOCKED`:
    two workers never claim the same one)."""
    return list(
        await crm.scalars(
            select(Message)
            .where(
                Message.campaign_id == campaign_id,
                Message.status == "queued",
                Message.attempts < MAX_ATTEMPTS,
                or_(Message.retry_at.is_(None), Message.retry_at <= now),
            )
            .order_by(Message.message_id)
            .limit(batch_size)
            .with_for_update(skip_locked=True)
        )
    )


async def claim_messages(
    crm: AsyncSession,
    bi: AsyncSession,
    *,
    campaign: Campaign,
    messages: list[Message],
    sender_kind: str,
    links: Links,
    now: datetime,
) -> Claim:
    """Claim locked messages of one campaign (a campaign's batch or a sequence step's):
    recipients no longer sendable are refused (a `refused` event, never sent), the rest
    rendered and marked `sending` (one more attempt)."""
    contact_ids = [m.contact_id for m in messages]
    blocked = set(
        await crm.scalars(
            select(Suppression.contact_id).where(Suppression.contact_id.in_(contact_ids))
        )
    ) | set(
        await crm.scalars(
            select(EmailContact.contact_id).where(
                EmailContact.contact_id.in_(contact_ids), EmailContact.status != "active"
            )
        )
    )
    events: list[NewEvent] = []
    sendable = []
    for message in messages:
        if message.contact_id in blocked:
            message.status, message.error = "failed", "refused"
            events.append(_event(message, "refused", now, external=f"refused:{message.message_id}"))
        else:
            sendable.append(message)
    mails = await _render(crm, campaign, sendable, links)
    rendered = {mail.message_id for mail in mails}
    for message in sendable:
        if message.message_id not in rendered:  # the contact lost its address
            message.status, message.error = "failed", "no_address"
        else:
            message.status, message.sending_since = "sending", now
            message.attempts += 1
    await crm.flush()
    await record_events(bi, events=[_with_source(e, sender_kind) for e in events])
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
    """Record what the sender answered for a claimed batch: sent (with its events), failed,
    or queued again after a wait that doubles with each attempt (`now`: the caller's
    clock, the sequences' runner's)."""
    if not results:
        return
    now = now or datetime.now(UTC)
    events: list[NewEvent] = []
    claimed = {
        message.message_id: message
        for message in await crm.scalars(
            select(Message)
            .where(
                Message.message_id.in_([r.message_id for r in results]),
                Message.status == "sending",
            )
            .with_for_update()
        )
    }
    for result in results:
        message = claimed.get(result.message_id)
        if message is None:
            continue  # not ours to record (failed as interrupted meanwhile)
        message.sending_since = None
        if result.outcome == "sent":
            message.status, message.sent_at = "sent", now
            message.provider_message_id = result.provider_message_id
            message.error = None
            events.append(_event(message, "sent", now, external=f"sent:{message.message_id}"))
            if sender_kind == "simulated":
                events.append(
                    _event(message, "delivered", now, external=f"delivered:{message.message_id}")
                )
        elif result.outcome == "failed" or message.attempts >= MAX_ATTEMPTS:
            message.status, message.error = "failed", result.error
        else:
            message.status, message.error = "queued", result.error
            delay = RETRY_BASE_SECONDS * 2 ** (message.attempts - 1)
            message.retry_at = now + timedelta(seconds=delay)
    await crm.flush()
    await record_events(bi, events=[_with_source(e, sender_kind) for e in events])


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


def _event(message: Message, kind: str, at: datetime, *, external: str) -> NewEvent:
    return NewEvent(
        campaign_id=message.campaign_id,
        message_id=message.message_id,
        contact_id=message.contact_id,
        type=kind,
        source="",
        external_id=external,
        occurred_at=at,
    )


def _with_source(event: NewEvent, source: str) -> NewEvent:
    return replace(event, source=source)


async def sender_by_id(
    session: AsyncSession, keyring: Keyring, sender_id: uuid.UUID | None
) -> MailSender:
    """The sender of this id, made as a campaign's would be (simulated when None), for
    mail that belongs to no campaign (a double opt-in confirmation, a test send)."""
    # A transient campaign (never added to the session) that only names the sender.
    return await sender_for(session, keyring, Campaign(sender_id=sender_id))
