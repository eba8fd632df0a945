"""A/B subject variants: a campaign may test 2 to 4 subjects on a sample of its messages.

When generation is done, `assign_sample` splits the messages in a fixed pseudo-random
order (the md5 of the message id, so running it again gives the same split): the first
`ab_sample_percent` % get the variants in turn (evenly: counts differ by one at most) and
stay `queued`; the rest is `held`, without a variant. Once the sample is sent, the send
job queues `ab_winner.choose_winner` for `ab_wait_minutes` later, which picks the variant
with the best rate of human opens or clicks among its sent messages and releases the
held messages, which then get the winner's subject (they keep no variant, so the figures
per variant in `variant_report` stay those of the sample).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import case, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.errors import UnprocessableEntity
from rastro.email import schemas
from rastro.email.errors import InvalidTransition
from rastro.email.models import Campaign, Message
from rastro.email.service.campaigns import get_campaign

_ASSIGN = text(
    """
    WITH ordered AS (
        SELECT message_id,
               row_number() OVER (ORDER BY md5(message_id::text), message_id) - 1 AS n
        FROM email_messages
        WHERE campaign_id = :campaign_id AND status IN ('queued', 'held')
    ),
    sized AS (SELECT ceil(count(*) * :percent / 100.0) AS sample FROM ordered)
    UPDATE email_messages AS m
    SET variant = CASE WHEN o.n < s.sample THEN (o.n % :variants)::int END,
        status = CASE WHEN o.n < s.sample THEN 'queued' ELSE 'held' END
    FROM ordered AS o, sized AS s
    WHERE m.message_id = o.message_id
    """
)


async def set_ab_test(
    session: AsyncSession, *, campaign_id: uuid.UUID, test: schemas.AbTestIn | None
) -> Campaign:
    """Set (or, with None, remove) a campaign's A/B subject test; only before its messages
    are generated (409 after)."""
    campaign = await get_campaign(session, campaign_id=campaign_id)
    if campaign.status not in ("draft", "scheduled") or campaign.generation_status is not None:
        raise InvalidTransition("The A/B test is set before the messages are generated.")
    if test is None:
        campaign.subject_variants = []
        campaign.ab_sample_percent = campaign.ab_metric = campaign.ab_wait_minutes = None
    else:
        subjects = [s.strip() for s in test.subjects]
        if len(set(subjects)) != len(subjects) or not all(subjects):
            raise UnprocessableEntity(
                "The subjects differ from one another.",
                details=[{"loc": "body.subjects", "message": "distinct", "type": "value_error"}],
            )
        campaign.subject_variants = subjects
        campaign.subject = subjects[0]
        campaign.ab_sample_percent = test.sample_percent
        campaign.ab_metric = test.metric
        campaign.ab_wait_minutes = test.wait_minutes
    await session.flush()
    return campaign


async def assign_sample(session: AsyncSession, campaign: Campaign) -> None:
    """Split the generated messages into the variants' sample and the held rest."""
    if len(campaign.subject_variants) < 2 or campaign.ab_winner is not None:
        return
    await session.execute(
        _ASSIGN,
        {
            "campaign_id": campaign.campaign_id,
            "percent": campaign.ab_sample_percent or 100,
            "variants": len(campaign.subject_variants),
        },
    )


def subject_of(campaign: Campaign, variant: int | None) -> str:
    """The subject a message gets: its variant's (the sample), the winner's (the rest,
    once decided), or the campaign's."""
    chosen = variant if variant is not None else campaign.ab_winner
    if chosen is not None and 0 <= chosen < len(campaign.subject_variants):
        return campaign.subject_variants[chosen]
    return campaign.subject


async def has_held(session: AsyncSession, *, campaign_id: uuid.UUID) -> bool:
    return bool(
        await session.scalar(
            select(Message.message_id)
            .where(Message.campaign_id == campaign_id, Message.status == "held")
            .limit(1)
        )
    )


async def sample_sent_at(session: AsyncSession, *, campaign_id: uuid.UUID) -> datetime | None:
    """When the last message of the sample was sent."""
    return await session.scalar(
        select(func.max(Message.sent_at)).where(
            Message.campaign_id == campaign_id, Message.variant.is_not(None)
        )
    )


async def variant_counts(
    session: AsyncSession, *, campaign_id: uuid.UUID
) -> dict[int, tuple[int, int, int, int]]:
    """Per variant: (messages, sent, human opens, clicks), from the messages' first open
    and click times."""
    rows = await session.execute(
        select(
            Message.variant,
            func.count(),
            func.count(case((Message.status == "sent", 1))),
            func.count(Message.first_opened_at),
            func.count(Message.first_clicked_at),
        )
        .where(Message.campaign_id == campaign_id, Message.variant.is_not(None))
        .group_by(Message.variant)
    )
    return {
        int(v): (int(m), int(s), int(o), int(c)) for v, m, s, o, c in rows.all() if v is not None
    }


async def variant_report(session: AsyncSession, *, campaign_id: uuid.UUID) -> schemas.AbReport:
    """The A/B test's figures per variant, and its winner once chosen."""
    campaign = await get_campaign(session, campaign_id=campaign_id)
    counts = await variant_counts(session, campaign_id=campaign_id)
    held = await session.scalar(
        select(func.count()).where(Message.campaign_id == campaign_id, Message.status == "held")
    )
    variants = []
    for index, subject in enumerate(campaign.subject_variants):
        messages, sent, opens, clicks = counts.get(index, (0, 0, 0, 0))
        variants.append(
            schemas.VariantFigures(
                variant=index,
                subject=subject,
                messages=messages,
                sent=sent,
                opens=opens,
                clicks=clicks,
                open_rate=opens / sent if sent else None,
                click_rate=clicks / sent if sent else None,
                winner=campaign.ab_winner == index,
            )
        )
    return schemas.AbReport(
        campaign_id=campaign.campaign_id,
        sample_percent=campaign.ab_sample_percent,
        metric=campaign.ab_metric,
        wait_minutes=campaign.ab_wait_minutes,
        winner=campaign.ab_winner,
        decided_at=campaign.ab_decided_at,
        held=int(held or 0),
        variants=variants,
    )
