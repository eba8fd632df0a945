"""Message generation (seed 004 "gerar mensagens por audiência"): one message per
eligible contact of the campaign's audiences, unique per campaign and contact.

Contacts are excluded *before* generation, and counted by reason (the first that applies,
in this order): `suppressed` (on the suppression list, or so marked), `bounced`,
`complained`, `unconfirmed` (double opt-in pending), `unsubscribed` (globally, from this
campaign, from every list of the campaign they are on, or so marked).

Generation walks the candidates in contact-id order (each audience's own index from the
campaign's cursor), one batch per transaction and one statement per batch: the batch's
candidates, their eligibility, the messages' insert (`ON CONFLICT DO NOTHING`) and the
exclusions counted by reason all happen in the database, which answers only the counts
and the batch's last contact. The batch's counts and the campaign's cursor are stored in
the same commit, so a job that dies restarts from the last committed batch without
duplicates or double counts. A message stores its ids only: its tokens and its rendered
content are made when it is sent.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Select,
    String,
    Uuid,
    and_,
    any_,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.errors import Conflict
from rastro.core.ids import UUID7_SQL
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
BATCH_SIZE = 20_000
EXCLUSION_REASONS = ("suppressed", "bounced", "complained", "unconfirmed", "unsubscribed")
# The contact statuses that exclude (suppression is a list of its own).
_EXCLUDED_STATUSES = tuple(r for r in EXCLUSION_REASONS if r != "suppressed")


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


async def generate_batch(
    session: AsyncSession, *, campaign_id: uuid.UUID, batch_size: int = BATCH_SIZE
) -> bool:
    """Generate the next batch of messages; True while candidates remain."""
    campaign = await get_campaign(session, campaign_id=campaign_id)
    if campaign.generation_status == "done":
        return False
    targets = await _audiences(session, campaign_id)
    step = await _generate(session, campaign, targets, batch_size) if targets else _Step()
    if step.candidates:
        campaign.generated += step.inserted
        counts = Counter({**dict.fromkeys(EXCLUSION_REASONS, 0), **campaign.exclusions})
        counts.update(step.excluded)
        campaign.exclusions = dict(counts)
        campaign.generation_cursor = step.last
    done = step.candidates < batch_size
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


@dataclass(frozen=True, slots=True)
class _Step:
    candidates: int = 0
    inserted: int = 0
    excluded: dict[str, int] = field(default_factory=dict)
    last: uuid.UUID | None = None


def _on_other_list(targets: list[Audience], contact: Any, lists: Any) -> Any:
    """Whether `contact` is on a campaign audience not among `lists` (the lists it left):
    a static list's row, or a saved filter it matches (the joined `email_contacts` row)."""
    static = [a.audience_id for a in targets if a.kind == "static"]
    conditions: list[Any] = []
    if static:
        conditions.append(
            select(AudienceContact.audience_id)
            .where(
                AudienceContact.audience_id.in_(static),
                AudienceContact.contact_id == contact,
                ~(AudienceContact.audience_id == any_(lists)),
            )
            .exists()
        )
    for audience in (a for a in targets if a.kind == "filter"):
        conditions.append(
            and_(
                ~(literal(audience.audience_id, Uuid) == any_(lists)),
                audiences.filter_condition(audience.filter),
            )
        )
    return or_(*conditions)


def _statement(campaign: Campaign, targets: list[Audience], limit: int) -> Select[Any]:
    """One batch as one statement: its candidates, each one's exclusion reason (NULL when
    eligible), the eligible ones' messages inserted; answers the batch's size, its last
    contact, how many messages were inserted and the exclusions by reason."""
    batch = _next_batch(targets, campaign.generation_cursor, limit).cte("batch")
    in_batch = select(batch.c.contact_id)
    unsubscribed = (
        select(
            Unsubscribe.contact_id,
            func.bool_or(
                or_(Unsubscribe.scope == "global", Unsubscribe.campaign_id == campaign.campaign_id)
            ).label("everywhere"),
            func.array_agg(Unsubscribe.audience_id)
            .filter(Unsubscribe.scope == "list")
            .label("lists"),
        )
        .where(
            Unsubscribe.contact_id.in_(in_batch),
            or_(
                Unsubscribe.scope == "global",
                Unsubscribe.campaign_id == campaign.campaign_id,
                Unsubscribe.audience_id.in_([a.audience_id for a in targets]),
            ),
        )
        .group_by(Unsubscribe.contact_id)
        .cte("unsubscribed")
    )
    # Left every list of the campaign it is on (evaluated only for the few contacts who
    # left a list).
    lists = unsubscribed.c.lists
    left_every_list = and_(lists.is_not(None), ~_on_other_list(targets, batch.c.contact_id, lists))
    reason = case(
        (
            or_(Suppression.contact_id.is_not(None), EmailContact.status == "suppressed"),
            literal("suppressed"),
        ),
        (EmailContact.status.in_(_EXCLUDED_STATUSES), EmailContact.status),
        (unsubscribed.c.everywhere, literal("unsubscribed")),
        (left_every_list, literal("unsubscribed")),
        else_=literal(None, String),
    )
    classified = (
        select(batch.c.contact_id, reason.label("reason"))
        .select_from(
            batch.outerjoin(EmailContact, EmailContact.contact_id == batch.c.contact_id)
            .outerjoin(Suppression, Suppression.contact_id == batch.c.contact_id)
            .outerjoin(unsubscribed, unsubscribed.c.contact_id == batch.c.contact_id)
        )
        .cte("classified")
    )
    rows = (
        select(
            literal_column(UUID7_SQL, Uuid),
            literal(campaign.organization_id, Uuid),
            literal(campaign.campaign_id, Uuid),
            classified.c.contact_id,
        )
        .where(classified.c.reason.is_(None))
        .order_by(classified.c.contact_id)
    )
    inserted = (
        insert(Message)
        .from_select(["message_id", "organization_id", "campaign_id", "contact_id"], rows)
        .on_conflict_do_nothing(
            index_elements=["campaign_id", "contact_id"],
            index_where=Message.enrollment_id.is_(None),
        )
        .returning(Message.message_id)
        .cte("inserted")
    )
    excluded = (
        select(classified.c.reason, func.count().label("n"))
        .where(classified.c.reason.is_not(None))
        .group_by(classified.c.reason)
        .subquery()
    )
    return select(
        select(func.count()).select_from(batch).scalar_subquery().label("candidates"),
        select(batch.c.contact_id)
        .order_by(batch.c.contact_id.desc())
        .limit(1)
        .scalar_subquery()
        .label("last"),
        select(func.count()).select_from(inserted).scalar_subquery().label("inserted"),
        select(func.jsonb_object_agg(excluded.c.reason, excluded.c.n))
        .scalar_subquery()
        .label("excluded"),
    )


async def _generate(
    session: AsyncSession, campaign: Campaign, targets: list[Audience], limit: int
) -> _Step:
    row = (await session.execute(_statement(campaign, targets, limit))).one()
    return _Step(
        candidates=int(row.candidates),
        inserted=int(row.inserted),
        excluded=dict(row.excluded or {}),
        last=row.last,
    )
