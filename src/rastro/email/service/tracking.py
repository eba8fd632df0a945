"""What a recipient does with a message: opens (the pixel), clicks (the redirect) and
unsubscribes (RFC 8058 one-click, or the page). Every request names its message by a
signed token (`tokens`); one that does not verify, or names no message, is a 404.

A click redirects to the link's URL from `email_links` with `utm_source`,
`utm_medium=email`, `utm_campaign`, `mid` (the message) and `rid` (the recipient, the
CRM contact) added — parameters the URL already has are kept — so the visit is a tracked
session of the campaign, and a lead the contact creates afterwards is attributed to the
campaign (`aggregates.campaign_report`).

Opens are all recorded; machine opens carry `is_machine` and the reason: Apple Mail
Privacy Protection's proxies (Apple's 17.0.0.0/8 network), security scanners (their user
agents), and opens within `MACHINE_OPEN_SECONDS` of the sending.
"""

from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import Scope, set_scope
from rastro.core.ids import uuid7
from rastro.email.contracts import EmailClick
from rastro.email.errors import TrackingTokenInvalid
from rastro.email.models import Campaign, EmailContact, Message, Unsubscribe
from rastro.email.service import tokens
from rastro.email.service.click_writer import USER_AGENT_CHARS, ClickWriter
from rastro.email.service.events import NewEvent, record_events

MACHINE_OPEN_SECONDS = 2.0
MAX_LINK_ID = 2**31 - 1  # `email_links.link_id` is an integer
_APPLE = ipaddress.ip_network("17.0.0.0/8")
_SCANNERS = (
    "barracuda",
    "mimecast",
    "proofpoint",
    "symantec",
    "forcepoint",
    "trendmicro",
    "bitdefender",
    "safelinks",
    "python-requests",
    "curl/",
    "wget/",
    "go-http-client",
)


@dataclass(frozen=True, slots=True)
class Visit:
    ip: str | None
    user_agent: str


def machine_reason(visit: Visit, sent_at: datetime | None, now: datetime) -> str | None:
    """Why an open looks automatic, or None for a person's open."""
    agent = visit.user_agent.lower()
    if any(mark in agent for mark in _SCANNERS):
        return "scanner"
    if visit.ip:
        try:
            if ipaddress.ip_address(visit.ip) in _APPLE:
                return "apple_mpp"
        except ValueError:
            pass
    if sent_at is not None and (now - sent_at).total_seconds() < MACHINE_OPEN_SECONDS:
        return "min_delay"
    return None


async def _message(
    crm: AsyncSession, bi: AsyncSession, secret: str, text: str, kind: tokens.Kind
) -> tuple[tokens.TrackingToken, Message]:
    token = tokens.decode(secret, text, kind=kind)
    if token is None:
        raise TrackingTokenInvalid()
    scope = Scope.organization(token.organization_id)
    await set_scope(crm, scope)
    await set_scope(bi, scope)
    message = await crm.get(Message, token.message_id)
    if message is None:
        raise TrackingTokenInvalid()
    return token, message


def destination(
    url: str,
    *,
    utm_source: str,
    utm_campaign: str,
    message_id: uuid.UUID | str,
    contact_id: uuid.UUID | str,
) -> str:
    """The link's URL with the campaign's UTMs, `mid` and `rid` (existing ones kept)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {key for key, _ in query}
    added = {
        "utm_source": utm_source,
        "utm_medium": "email",
        "utm_campaign": utm_campaign,
        "mid": str(message_id),
        "rid": str(contact_id),
    }
    query += [(key, value) for key, value in added.items() if key not in present]
    return urlunsplit(parts._replace(query=urlencode(query)))


async def record_click(writer: ClickWriter, *, secret: str, token: str, visit: Visit) -> str:
    """Record a click and return where to send the visitor (404 for a bad token).

    The click goes through the group writer (`click_writer`): its message, link and
    campaign read and the click queued in the CRM, committed (with the concurrent
    requests' clicks) before this returns; its BI event follows from the queue."""
    found = tokens.decode(secret, token, kind="c")
    if found is None or found.link_id > MAX_LINK_ID:
        raise TrackingTokenInvalid()
    click: EmailClick = {
        "event_id": uuid7(),
        "organization_id": found.organization_id,
        "message_id": found.message_id,
        "link_id": found.link_id,
        "clicked_at": datetime.now(UTC),
        "user_agent": visit.user_agent[:USER_AGENT_CHARS],
    }
    hit = await writer.submit(click)
    if hit is None:
        raise TrackingTokenInvalid()
    return destination(
        hit["url"],
        utm_source=hit["utm_source"],
        utm_campaign=hit["utm_campaign"] or hit["name"],
        message_id=found.message_id,
        contact_id=hit["contact_id"],
    )


async def record_open(
    crm: AsyncSession, bi: AsyncSession, *, secret: str, token: str, visit: Visit
) -> None:
    """Record an open, flagged when it looks automatic (404 for a bad token)."""
    _, message = await _message(crm, bi, secret, token, "o")
    now = datetime.now(UTC)
    reason = machine_reason(visit, message.sent_at, now)
    if reason is None:
        await crm.execute(
            update(Message)
            .where(Message.message_id == message.message_id, Message.first_opened_at.is_(None))
            .values(first_opened_at=now)
        )
    await record_events(
        bi,
        events=[
            NewEvent(
                campaign_id=message.campaign_id,
                message_id=message.message_id,
                contact_id=message.contact_id,
                type="open",
                source="tracker",
                subtype=reason,
                is_machine=reason is not None,
                occurred_at=now,
            )
        ],
    )


@dataclass(frozen=True, slots=True)
class UnsubscribeTarget:
    message_id: uuid.UUID
    campaign_name: str
    unsubscribed: bool


async def unsubscribe_target(
    crm: AsyncSession, bi: AsyncSession, *, secret: str, token: str
) -> UnsubscribeTarget:
    """What the unsubscribe page shows (404 for a bad token)."""
    _, message = await _message(crm, bi, secret, token, "u")
    campaign = await crm.get(Campaign, message.campaign_id)
    done = await crm.scalar(
        select(Unsubscribe.unsubscribe_id).where(
            Unsubscribe.contact_id == message.contact_id, Unsubscribe.scope == "global"
        )
    )
    return UnsubscribeTarget(
        message.message_id, campaign.name if campaign else "", done is not None
    )


async def unsubscribe(
    crm: AsyncSession,
    bi: AsyncSession,
    *,
    secret: str,
    token: str,
    scope: str,
    source: str,
    ip: str | None,
    reason: str | None = None,
) -> bool:
    """Record the unsubscribe at once (global or from this campaign); later generations
    honour it. True when it is new, False when it was recorded already."""
    _, message = await _message(crm, bi, secret, token, "u")
    return await record_unsubscribe(
        crm,
        bi,
        message=message,
        scope=scope,
        source=source,
        ip=ip,
        reason=reason,
    )


async def record_unsubscribe(
    crm: AsyncSession,
    bi: AsyncSession,
    *,
    message: Message,
    scope: str,
    source: str,
    ip: str | None,
    reason: str | None,
    event_source: str = "tracker",
) -> bool:
    """Record an unsubscribe once per contact and scope (True when new) with its event;
    a global one also marks an active contact `unsubscribed`."""
    campaign_id = message.campaign_id if scope == "campaign" else None
    existing = await crm.scalar(
        select(Unsubscribe.unsubscribe_id).where(
            Unsubscribe.contact_id == message.contact_id,
            Unsubscribe.scope == scope,
            Unsubscribe.campaign_id.is_(None)
            if campaign_id is None
            else Unsubscribe.campaign_id == campaign_id,
        )
    )
    if existing is not None:
        return False
    crm.add(
        Unsubscribe(
            contact_id=message.contact_id,
            scope=scope,
            campaign_id=campaign_id,
            message_id=message.message_id,
            source=source,
            reason=reason,
            ip=ip,
        )
    )
    if scope == "global":
        await crm.execute(
            update(EmailContact)
            .where(EmailContact.contact_id == message.contact_id, EmailContact.status == "active")
            .values(status="unsubscribed")
        )
    await crm.flush()
    await record_events(
        bi,
        events=[
            NewEvent(
                campaign_id=message.campaign_id,
                message_id=message.message_id,
                contact_id=message.contact_id,
                type="unsubscribe",
                source=event_source,
                subtype=scope,
                detail={"via": source},
                external_id=f"unsubscribe:{message.message_id}:{scope}",
            )
        ],
    )
    return True
