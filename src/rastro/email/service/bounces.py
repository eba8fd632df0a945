"""Provider notices applied: each becomes a message event (stored once per provider event
id) and changes what we send to. A hard bounce marks the recipient `bounced`, a complaint
`complained`, each adding a suppression; soft bounces suppress once they reach the
organization's limit (`service/settings.py`). A provider's unsubscribe is recorded like
ours (global scope); its opens and clicks are recorded as events of that source, except a
click on our own redirect (`/e/c/…`), which our redirect counted already.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.email.models import EmailContact, Link, Message, Suppression
from rastro.email.providers.base import ProviderEvent
from rastro.email.service.events import NewEvent, record_events
from rastro.email.service.tracking import record_unsubscribe

OWN_CLICK_PATH = "/e/c/"


async def _message(crm: AsyncSession, notice: ProviderEvent) -> Message | None:
    if notice.message_id is not None:
        message = await crm.get(Message, notice.message_id)
        if message is not None:
            return message
    if notice.provider_message_id:
        return await crm.scalar(
            select(Message).where(Message.provider_message_id == notice.provider_message_id)
        )
    return None


async def _suppress(crm: AsyncSession, contact_id: uuid.UUID, reason: str, status: str) -> None:
    await crm.execute(
        update(EmailContact).where(EmailContact.contact_id == contact_id).values(status=status)
    )
    present = await crm.scalar(
        select(Suppression.suppression_id).where(Suppression.contact_id == contact_id)
    )
    if present is None:
        crm.add(Suppression(contact_id=contact_id, reason=reason))
        await crm.flush()


async def _link_id(crm: AsyncSession, message: Message, url: str | None) -> int | None:
    if not url:
        return None
    return await crm.scalar(
        select(Link.link_id).where(Link.campaign_id == message.campaign_id, Link.url == url)
    )


async def _engagement(crm: AsyncSession, message: Message, notice: ProviderEvent) -> None:
    """First open (a human one) and first click times, set once."""
    at = notice.occurred_at or datetime.now(UTC)
    if notice.kind == "open" and not notice.is_machine:
        await crm.execute(
            update(Message)
            .where(Message.message_id == message.message_id, Message.first_opened_at.is_(None))
            .values(first_opened_at=at)
        )
    elif notice.kind == "click":
        await crm.execute(
            update(Message)
            .where(Message.message_id == message.message_id, Message.first_clicked_at.is_(None))
            .values(first_clicked_at=at)
        )


async def _apply_one(
    crm: AsyncSession, bi: AsyncSession, *, source: str, notice: ProviderEvent, soft_limit: int
) -> bool:
    message = await _message(crm, notice)
    if message is None:
        return False  # not one of ours (or another organization's)
    if notice.kind == "unsubscribe":
        return await record_unsubscribe(
            crm,
            bi,
            message=message,
            scope="global",
            source=source,
            ip=None,
            reason=notice.diagnostic,
            event_source=source,
        )
    if notice.kind == "click" and notice.url and OWN_CLICK_PATH in notice.url:
        return False  # our redirect recorded this click
    link_id = await _link_id(crm, message, notice.url) if notice.kind == "click" else None
    new = await record_events(
        bi,
        events=[
            NewEvent(
                campaign_id=message.campaign_id,
                message_id=message.message_id,
                contact_id=message.contact_id,
                type=notice.kind,
                source=source,
                subtype=notice.bounce_type
                if notice.kind == "bounce"
                else ("provider_flag" if notice.is_machine else None),
                link_id=link_id,
                is_machine=notice.is_machine,
                external_id=notice.external_id[:255],
                detail={"diagnostic": notice.diagnostic} if notice.diagnostic else {},
                occurred_at=notice.occurred_at,
            )
        ],
    )
    if not new:
        return False  # a replay: already applied
    if notice.kind in ("open", "click"):
        await _engagement(crm, message, notice)
    elif notice.kind == "complaint":
        await _suppress(crm, message.contact_id, "complaint", "complained")
    elif notice.kind == "bounce" and notice.bounce_type == "hard":
        await _suppress(crm, message.contact_id, "hard_bounce", "bounced")
    elif notice.kind == "bounce":
        count = await crm.scalar(
            update(EmailContact)
            .where(EmailContact.contact_id == message.contact_id)
            .values(soft_bounces=EmailContact.soft_bounces + 1)
            .returning(EmailContact.soft_bounces)
        )
        if count is not None and count >= soft_limit:
            await _suppress(crm, message.contact_id, "soft_bounces", "bounced")
    return True


async def apply_notices(
    crm: AsyncSession,
    bi: AsyncSession,
    *,
    source: str,
    notices: list[ProviderEvent],
    soft_limit: int,
) -> int:
    """Record each notice once and apply its consequences; returns how many were new.
    Notices for messages we do not know are ignored."""
    applied = 0
    for notice in notices:
        if await _apply_one(crm, bi, source=source, notice=notice, soft_limit=soft_limit):
            applied += 1
    return applied
