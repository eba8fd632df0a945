"""A sequence's figures, per step: the step campaign's report (sent, opens, clicks,
unsubscribes, refusals from the daily aggregates; leads, won leads and revenue of the
contacts who clicked the step's e-mail, `aggregates.campaign_report`), with the
enrollments waiting for the step, the ones that skipped it and the ones that ended there."""

from __future__ import annotations

import uuid
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.pagination import PageParams, paginate
from rastro.crm.service import people
from rastro.email import sequence_schemas as schemas
from rastro.email.models import Campaign
from rastro.email.sequence_models import Enrollment
from rastro.email.service import aggregates
from rastro.email.service.sequences.definitions import get_sequence, steps_of


async def sequence_report(
    crm: AsyncSession, bi: AsyncSession, *, sequence_id: uuid.UUID
) -> schemas.SequenceReport:
    sequence = await get_sequence(crm, sequence_id=sequence_id)
    rows = (
        await crm.execute(
            select(Enrollment.status, Enrollment.exit_reason, Enrollment.position, func.count())
            .where(Enrollment.sequence_id == sequence.sequence_id)
            .group_by(Enrollment.status, Enrollment.exit_reason, Enrollment.position)
        )
    ).all()
    by_status: Counter[str] = Counter()
    exits: Counter[str] = Counter()
    waiting: Counter[int] = Counter()
    ended: Counter[int] = Counter()
    for status, reason, position, count in rows:
        by_status[status] += count
        if status == "exited":
            exits[reason or "manual"] += count
            ended[position] += count
        elif status == "active":
            waiting[position] += count
    figures = []
    for step in await steps_of(crm, sequence_id=sequence.sequence_id):
        campaign = await crm.get(Campaign, step.campaign_id)
        assert campaign is not None
        report = await aggregates.campaign_report(crm, bi, campaign=campaign)
        figures.append(
            schemas.SequenceStepFigures(
                step_id=step.step_id,
                position=step.position,
                campaign_id=campaign.campaign_id,
                subject=campaign.subject,
                waiting=waiting[step.position],
                sent=report.sent,
                skipped=step.skipped,
                refused=report.refused,
                unique_opens=report.unique_opens,
                human_opens=report.human_opens,
                unique_clicks=report.unique_clicks,
                unsubscribes=report.unsubscribes,
                exited=ended[step.position],
                leads=report.leads,
                won_leads=report.won_leads,
                revenue=report.revenue,
            )
        )
    return schemas.SequenceReport(
        sequence_id=sequence.sequence_id,
        enrolled=sum(by_status.values()),
        active=by_status["active"],
        completed=by_status["completed"],
        exited=by_status["exited"],
        exits=dict(exits),
        steps=figures,
    )


async def list_enrollments(
    crm: AsyncSession,
    params: PageParams,
    *,
    sequence_id: uuid.UUID,
    status: str | None = None,
) -> tuple[list[schemas.SequenceEnrollment], int]:
    """A sequence's enrollments, newest first, with the contact's address."""
    await get_sequence(crm, sequence_id=sequence_id)
    statement = (
        select(Enrollment)
        .where(Enrollment.sequence_id == sequence_id)
        .order_by(Enrollment.enrolled_at.desc(), Enrollment.enrollment_id.desc())
    )
    if status is not None:
        statement = statement.where(Enrollment.status == status)
    rows, total = await paginate(crm, statement, params)
    found = await people.people_by_id(crm, contact_ids=[r.contact_id for r in rows])
    items = []
    for row in rows:
        item = schemas.SequenceEnrollment.model_validate(row)
        person = found.get(row.contact_id)
        item.email = person.email if person else ""
        items.append(item)
    return items, total
