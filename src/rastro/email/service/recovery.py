"""Resuming what a failed job left half done. A send or generation job that raised (a
crash of the worker's code, a lost database connection) ends `failed` and is not run
again; its campaign would stay `sending` (or its generation `running`) with nobody
working on it. The periodic `resume_campaigns` job finds those campaigns and queues
their job again. Both jobs pick up where they stopped: generation skips the contacts
that have a message, sending claims only `queued` messages (those claimed by the crashed
batch stay `sending` until their lease ends, then fail as `interrupted`), so a message
already sent is never sent again."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import String, cast, exists, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.jobs import job_pending
from rastro.email.models import Campaign, Message
from rastro.email.sequence_models import SequenceStep
from rastro.email.service.generation import enqueue_generation, enqueue_sending


@dataclass(frozen=True)
class Stalled:
    organization_id: uuid.UUID
    campaign_id: uuid.UUID
    job: str  # "generate" | "send"


async def stalled_campaigns(crm: AsyncSession) -> list[Stalled]:
    """Campaigns (never a sequence step's: the sequences' runner sends those) whose
    generation is unfinished, or that are `sending` with messages still queued or
    claimed, while no job of theirs waits or runs."""
    not_a_step = ~exists().where(SequenceStep.campaign_id == Campaign.campaign_id)
    generating = select(Campaign.organization_id, Campaign.campaign_id).where(
        Campaign.generation_status.in_(("queued", "running")),
        not_a_step,
        ~job_pending(literal("email.generate.") + cast(Campaign.campaign_id, String)),
    )
    sending = select(Campaign.organization_id, Campaign.campaign_id).where(
        Campaign.status == "sending",
        Campaign.generation_status == "done",
        not_a_step,
        exists().where(
            Message.campaign_id == Campaign.campaign_id,
            Message.status.in_(("queued", "sending")),
        ),
        ~job_pending(literal("email.send.") + cast(Campaign.campaign_id, String)),
    )
    found = [Stalled(o, c, "generate") for o, c in (await crm.execute(generating)).all()]
    found += [Stalled(o, c, "send") for o, c in (await crm.execute(sending)).all()]
    return found


async def resume(crm: AsyncSession, *, stalled: Stalled) -> bool:
    """Queue a stalled campaign's job again (in the organization's session); False when
    it moved on meanwhile."""
    campaign = await crm.get(Campaign, stalled.campaign_id)
    if campaign is None:
        return False
    if stalled.job == "generate" and campaign.generation_status in ("queued", "running"):
        await enqueue_generation(crm, campaign)
        return True
    if stalled.job == "send" and campaign.status == "sending":
        await enqueue_sending(crm, campaign)
        return True
    return False
