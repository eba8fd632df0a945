"""Message generation (seed 004 "gerar mensagens por audiência"): one message per
eligible contact of the campaign's audiences, unique per campaign and contact.

Contacts are excluded *before* generation, and counted by reason (the first that applies,
in this order): `suppressed` (on the suppression list, or so marked), `bounced`,
`complained`, `unconfirmed` (double opt-in pending), `unsubscribed` (globally, from this
campaign, from every list of the campaign they are on, or so marked).

Generation walks the candidates in contact-id order, one batch per transaction: each batch
inserts its messages (`ON CONFLICT DO NOTHING`), adds its exclusions and moves the
campaign's cursor in the same commit, so a job that dies restarts from the last committed
batch without duplicates or double counts.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, Select, Uuid, any_, bindparam, func, literal, or_, select, union_all
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.errors import Conflict
from rastro.core.ids import uuid7
from rastro.core.jobs import enqueue
from rastro.email.errors import CampaignNotReady
from rastro.email.models import (
    Audience,
    AudienceContact,
    Campaign,
    CampaignAudience,
    EmailContact,
    Link,
    Message,
    Suppression,
    Unsubscribe,
)
from rastro.email.service import audiences, content, variants
from rastro.email.service.campaigns import get_campaign

GENERATE_TASK = "email:generate_messages"
SEND_TASK = "email:send_campaign"
BATCH_SIZE = 5000
EXCLUSION_REASONS = ("suppressed", "bounced", "complained", "unconfirmed", "unsubscribed")
_STATUS_REASON = {
    "suppressed": "suppressed",
    "bounced": "bounced",
    "complained": "complained",
    "unconfirmed": "unconfirmed",
    "unsubscribed": "unsubscribed",
}


async def start_generation(session: AsyncSession, *, campaign_id: uuid.UUID) -> Campaign:
    """Snapshot the campaign's links and queue its generation (409 when it was generated
    or is being generated: a campaign is generated once)."""
    campaign = await get_campaign(session, campaign_id=campaign_id)
    if campaign.generation_status is not None:
        raise Conflict(
            "The campaign's messages are generated already.",
            details={"generation_status": campaign.generation_status},
        )
    if campaign.status in ("sent", "cancelled"):
        raise CampaignNotReady("A sent or cancelled campaign generates nothing.")
    if not campaign.html.strip():
        raise CampaignNotReady("The campaign has no HTML content.")
    if not await session.scalar(
        select(CampaignAudience.audience_id).where(CampaignAudience.campaign_id == campaign_id)
    ):
        raise CampaignNotReady("The campaign has no audience.")
    await snapshot_links(session, campaign)
    campaign.generation_status = "queued"
    campaign.exclusions = dict.fromkeys(EXCLUSION_REASONS, 0)
    await enqueue_generation(session, campaign)
    await session.flush()
    return campaign


async def enqueue_generation(session: AsyncSession, campaign: Campaign) -> None:
    """Queue the generation job of a campaign (in the caller's transaction)."""
    await enqueue(
        session,
        GENERATE_TASK,
        args={
            "organization_id": str(campaign.organization_id),
            "campaign_id": str(campaign.campaign_id),
        },
        queue="email",
        lock=f"email.generate.{campaign.campaign_id}",
    )


async def snapshot_links(session: AsyncSession, campaign: Campaign) -> None:
    """Store the links of the campaign's HTML (`email_links`, the click redirect's only
    source of destinations); links stored already keep their ids."""
    urls = content.link_urls(campaign.html)
    if not urls:
        return
    await session.execute(
        insert(Link)
        .values(
            [
                {
                    "organization_id": campaign.organization_id,
                    "campaign_id": campaign.campaign_id,
                    "url": url,
                    "position": position,
                }
                for position, url in enumerate(urls, start=1)
            ]
        )
        .on_conflict_do_nothing(index_elements=["campaign_id", "url"])
    )


async def _audiences(session: AsyncSession, campaign_id: uuid.UUID) -> list[Audience]:
    return list(
        await session.scalars(
            select(Audience)
            .join(CampaignAudience, CampaignAudience.audience_id == Audience.audience_id)
            .where(CampaignAudience.campaign_id == campaign_id)
            .order_by(Audience.audience_id)
        )
    )


def _members(audience: Audience) -> Select[uuid.UUID]:
    """The contact ids of one audience (a static list's rows, or a saved filter's)."""
    if audience.kind == "static":
        return select(AudienceContact.contact_id).where(
            AudienceContact.audience_id == audience.audience_id
        )
    return select(EmailContact.contact_id).where(audiences.filter_condition(audience.filter))


def _candidates(targets: list[Audience]) -> Select[tuple[uuid.UUID, uuid.UUID]]:
    """(contact, audience) pairs of the campaign's audiences."""
    static = [a.audience_id for a in targets if a.kind == "static"]
    parts: list[Any] = [
        select(AudienceContact.contact_id, AudienceContact.audience_id).where(
            AudienceContact.audience_id.in_(static)
        )
    ]
    for audience in (a for a in targets if a.kind == "filter"):
        parts.append(
            select(
                EmailContact.contact_id, literal(audience.audience_id).label("audience_id")
            ).where(audiences.filter_condition(audience.filter))
        )
    union = union_all(*parts).subquery()
    return select(union.c.contact_id, union.c.audience_id)


def _next_batch(
    targets: list[Audience], after: uuid.UUID | None, limit: int
) -> Select[tuple[uuid.UUID]]:
    """The next `limit` distinct candidates after `after`, in contact-id order: each
    audience's next `limit` from its own index (a static list's key, the recipients' key
    for a filter), merged — a batch reads O(audiences * limit) rows however much of the
    audience is left (sorting all the remaining candidates per batch made a whole
    generation quadratic)."""
    parts = []
    for audience in targets:
        members = _members(audience).subquery()
        part = select(members.c.contact_id)
        if after is not None:
            part = part.where(members.c.contact_id > after)
        parts.append(part.order_by(members.c.contact_id).limit(limit).subquery())
    merged = union_all(*(select(p.c.contact_id) for p in parts)).subquery()
    return select(merged.c.contact_id).distinct().order_by(merged.c.contact_id).limit(limit)


def _reason(
    status: str,
    suppressed: bool,
    audiences_of_contact: set[uuid.UUID],
    unsubscribed: list[tuple[str, uuid.UUID | None]],
) -> str | None:
    if suppressed or status == "suppressed":
        return "suppressed"
    if status in ("bounced", "complained", "unconfirmed", "unsubscribed"):
        return _STATUS_REASON[status]
    lists = {target for scope, target in unsubscribed if scope == "list"}
    if any(scope in ("global", "campaign") for scope, _ in unsubscribed):
        return "unsubscribed"
    if audiences_of_contact and audiences_of_contact <= lists:
        return "unsubscribed"
    return None


async def generate_batch(
    session: AsyncSession, *, campaign_id: uuid.UUID, batch_size: int = BATCH_SIZE
) -> bool:
    """Generate the next batch of messages; True while candidates remain."""
    campaign = await get_campaign(session, campaign_id=campaign_id)
    if campaign.generation_status == "done":
        return False
    targets = await _audiences(session, campaign_id)
    pairs = _candidates(targets).subquery()
    batch: Sequence[uuid.UUID] = (
        list(await session.scalars(_next_batch(targets, campaign.generation_cursor, batch_size)))
        if targets
        else []
    )
    if batch:
        inserted, excluded = await _generate(session, campaign, batch, pairs)
        campaign.generated += inserted
        counts = Counter({**dict.fromkeys(EXCLUSION_REASONS, 0), **campaign.exclusions})
        counts.update(excluded)
        campaign.exclusions = dict(counts)
        campaign.generation_cursor = batch[-1]
    done = len(batch) < batch_size
    campaign.generation_status = "done" if done else "running"
    if done:
        await variants.assign_sample(session, campaign)
    if done and campaign.status == "sending":
        await enqueue_sending(session, campaign)
    await session.flush()
    return not done


async def enqueue_sending(
    session: AsyncSession, campaign: Campaign, *, at: datetime | None = None
) -> None:
    """Queue the sending job of a campaign (in the caller's transaction), now or `at`."""
    await enqueue(
        session,
        SEND_TASK,
        args={
            "organization_id": str(campaign.organization_id),
            "campaign_id": str(campaign.campaign_id),
        },
        queue="email",
        lock=f"email.send.{campaign.campaign_id}",
        scheduled_at=at,
    )


def _any(column: Any, ids: Sequence[uuid.UUID], name: str) -> Any:
    """`column = ANY(:ids)`: one array parameter, not thousands of `IN` ones (their
    compilation, not the database, was most of a batch's time)."""
    return column == any_(bindparam(name, list(ids), type_=ARRAY(Uuid)))


async def _generate(
    session: AsyncSession, campaign: Campaign, batch: Sequence[uuid.UUID], pairs: Any
) -> tuple[int, Counter[str]]:
    member_of: dict[uuid.UUID, set[uuid.UUID]] = {}
    for contact_id, audience_id in await session.execute(
        select(pairs.c.contact_id, pairs.c.audience_id).where(
            _any(pairs.c.contact_id, batch, "batch_pairs")
        )
    ):
        member_of.setdefault(contact_id, set()).add(audience_id)
    statuses = dict(
        (
            await session.execute(
                select(EmailContact.contact_id, EmailContact.status).where(
                    _any(EmailContact.contact_id, batch, "batch_statuses")
                )
            )
        ).all()
    )
    suppressed = set(
        await session.scalars(
            select(Suppression.contact_id).where(
                _any(Suppression.contact_id, batch, "batch_suppressed")
            )
        )
    )
    audience_list = [a for targets in member_of.values() for a in targets]
    unsubscribed: dict[uuid.UUID, list[tuple[str, uuid.UUID | None]]] = {}
    for contact_id, scope, audience_id in await session.execute(
        select(Unsubscribe.contact_id, Unsubscribe.scope, Unsubscribe.audience_id).where(
            _any(Unsubscribe.contact_id, batch, "batch_unsubscribed"),
            or_(
                Unsubscribe.scope == "global",
                Unsubscribe.campaign_id == campaign.campaign_id,
                Unsubscribe.audience_id.in_(set(audience_list)),
            ),
        )
    ):
        unsubscribed.setdefault(contact_id, []).append((scope, audience_id))
    excluded: Counter[str] = Counter()
    eligible = []
    for contact_id in batch:
        reason = _reason(
            statuses.get(contact_id, "active"),
            contact_id in suppressed,
            member_of.get(contact_id, set()),
            unsubscribed.get(contact_id, []),
        )
        if reason is None:
            eligible.append(contact_id)
        else:
            excluded[reason] += 1
    inserted = 0
    if eligible:
        # Two arrays unnested in one statement (a VALUES row per message compiled
        # 20,000 parameters per batch).
        rows = select(
            func.unnest(bindparam("ids", [uuid7() for _ in eligible], type_=ARRAY(Uuid))),
            literal(campaign.organization_id, Uuid),
            literal(campaign.campaign_id, Uuid),
            func.unnest(bindparam("contacts", eligible, type_=ARRAY(Uuid))),
        )
        result = await session.execute(
            insert(Message)
            .from_select(["message_id", "organization_id", "campaign_id", "contact_id"], rows)
            .on_conflict_do_nothing(
                index_elements=["campaign_id", "contact_id"],
                index_where=Message.enrollment_id.is_(None),
            )
            .returning(Message.message_id)
        )
        inserted = len(result.all())
    return inserted, excluded
