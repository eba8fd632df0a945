"""The A/B test's decision (see `variants`): queued by the send job once the sample is
sent, it runs `ab_wait_minutes` later, picks the variant with the best rate of the chosen
metric (human opens, or clicks, per sent message; a tie goes to the earlier variant) and
sends it to the held rest. Deciding twice changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.jobs import enqueue
from rastro.email.models import Campaign, Message
from rastro.email.service import variants
from rastro.email.service.campaigns import get_campaign
from rastro.email.service.generation import enqueue_sending

WINNER_TASK = "email:choose_ab_winner"


async def schedule_winner(session: AsyncSession, campaign: Campaign) -> datetime:
    """Queue the decision for `ab_wait_minutes` after the sample's last send."""
    sent = await variants.sample_sent_at(session, campaign_id=campaign.campaign_id)
    at = (sent or datetime.now(UTC)) + timedelta(minutes=campaign.ab_wait_minutes or 0)
    await enqueue(
        session,
        WINNER_TASK,
        args={
            "organization_id": str(campaign.organization_id),
            "campaign_id": str(campaign.campaign_id),
        },
        queue="email",
        lock=f"email.ab.{campaign.campaign_id}",
        scheduled_at=at,
    )
    return at


def pick(counts: dict[int, tuple[int, int, int, int]], *, variants_count: int, metric: str) -> int:
    """The variant with the best rate (opens or clicks per sent message)."""

    def rate(index: int) -> float:
        _, sent, opens, clicks = counts.get(index, (0, 0, 0, 0))
        return (clicks if metric == "clicks" else opens) / sent if sent else 0.0

    return max(range(variants_count), key=lambda index: (rate(index), -index))


async def choose_winner(session: AsyncSession, *, campaign_id: uuid.UUID) -> int | None:
    """Decide the test and release the held messages with the winner; the winner, or
    None when there is no test or the campaign was cancelled."""
    campaign = await get_campaign(session, campaign_id=campaign_id)
    if len(campaign.subject_variants) < 2 or campaign.status == "cancelled":
        return None
    if campaign.ab_winner is not None:
        return campaign.ab_winner
    counts = await variants.variant_counts(session, campaign_id=campaign_id)
    winner = pick(
        counts,
        variants_count=len(campaign.subject_variants),
        metric=campaign.ab_metric or "opens",
    )
    campaign.ab_winner, campaign.ab_decided_at = winner, datetime.now(UTC)
    await session.execute(
        update(Message)
        .where(Message.campaign_id == campaign_id, Message.status == "held")
        .values(status="queued")  # no variant: the sample's figures stay the sample's
    )
    if campaign.status == "sending":
        await enqueue_sending(session, campaign)
    await session.flush()
    return winner
