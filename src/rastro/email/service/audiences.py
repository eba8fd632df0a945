"""Audiences: static lists and saved filters over the organization's recipients."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from rastro.core.errors import NotFound, UnprocessableEntity
from rastro.core.references import check_referenced
from rastro.crm.service import segments
from rastro.email import schemas
from rastro.email.errors import AudienceInUse
from rastro.email.models import (
    Audience,
    AudienceContact,
    Campaign,
    CampaignAudience,
    EmailContact,
    Message,
)


async def create_audience(session: AsyncSession, *, new: schemas.AudienceCreate) -> Audience:
    """A static list, or a saved filter (which needs its `filter`)."""
    if new.kind == "filter" and new.filter is None:
        raise UnprocessableEntity(
            details=[{"loc": "body.filter", "message": "required for a filter", "type": "missing"}]
        )
    if new.kind == "filter" and new.filter is not None:
        for campaign_id in new.filter.email_campaign_ids:
            await check_referenced(
                session, Campaign, campaign_id, field="filter.email_campaign_ids"
            )
    audience = Audience(
        name=new.name,
        kind=new.kind,
        filter=new.filter.model_dump(mode="json", exclude_defaults=True)
        if new.kind == "filter" and new.filter
        else {},
    )
    session.add(audience)
    await session.flush()
    await session.refresh(audience)
    return audience


async def get_audience(session: AsyncSession, *, audience_id: uuid.UUID) -> Audience:
    audience = await session.get(Audience, audience_id)
    if audience is None:
        raise NotFound("No such audience in this organization.")
    return audience


async def delete_audience(session: AsyncSession, *, audience_id: uuid.UUID) -> None:
    """Delete an audience and its list memberships (the contacts stay); 409 while a
    campaign reaches it, so no campaign's history loses who it was for."""
    audience = await get_audience(session, audience_id=audience_id)
    used = await session.scalar(
        select(func.count())
        .select_from(CampaignAudience)
        .where(CampaignAudience.audience_id == audience_id)
    )
    if used:
        raise AudienceInUse(details={"campaigns": int(used)})
    await session.delete(audience)
    await session.flush()


_ENGAGED = {
    "received": Message.sent_at,
    "opened": Message.first_opened_at,
    "clicked": Message.first_clicked_at,
}


def _email_active(since: datetime) -> ColumnElement[bool]:
    """An open or click of any of the contact's messages at or after `since`."""
    engaged = union_all(
        select(Message.contact_id).where(Message.first_opened_at >= since),
        select(Message.contact_id).where(Message.first_clicked_at >= since),
    ).subquery()
    return EmailContact.contact_id.in_(select(engaged.c.contact_id))


def _active_since(since: datetime) -> ColumnElement[bool]:
    return or_(
        EmailContact.contact_id.in_(segments.active_contacts(since=since)), _email_active(since)
    )


def filter_condition(
    saved: dict[str, object], *, now: datetime | None = None
) -> ColumnElement[bool]:
    """The recipients a saved filter selects, as a condition on `email_contacts` (the
    CRM's criteria through its `segments` service)."""
    rule = schemas.AudienceFilter.model_validate(saved)
    now = now or datetime.now(UTC)
    conditions: list[ColumnElement[bool]] = []
    if rule.tags_any:
        conditions.append(EmailContact.tags.overlap(rule.tags_any))
    if rule.tags_all:
        conditions.append(EmailContact.tags.contains(rule.tags_all))
    for key, value in rule.attributes.items():
        conditions.append(EmailContact.attributes.contains({key: value}))
    if rule.lead_stages or rule.lead_grades or rule.lead_sources or rule.lead_campaigns:
        conditions.append(
            EmailContact.contact_id.in_(
                segments.latest_lead_contacts(
                    stages=rule.lead_stages,
                    grades=rule.lead_grades,
                    sources=rule.lead_sources,
                    campaigns=rule.lead_campaigns,
                )
            )
        )
    if rule.email_campaign_ids:
        moment = _ENGAGED[rule.email_engagement]
        conditions.append(
            EmailContact.contact_id.in_(
                select(Message.contact_id).where(
                    Message.campaign_id.in_(rule.email_campaign_ids), moment.is_not(None)
                )
            )
        )
    if rule.active_within_days is not None:
        conditions.append(_active_since(now - timedelta(days=rule.active_within_days)))
    if rule.inactive_days is not None:
        conditions.append(~_active_since(now - timedelta(days=rule.inactive_days)))
    return and_(*conditions) if conditions else and_(True)


async def list_audiences(session: AsyncSession) -> list[schemas.Audience]:
    """The organization's audiences with their current number of recipients."""
    audiences = list(await session.scalars(select(Audience).order_by(Audience.created_at)))
    counts = dict(
        (
            await session.execute(
                select(AudienceContact.audience_id, func.count()).group_by(
                    AudienceContact.audience_id
                )
            )
        ).all()
    )
    result = []
    for audience in audiences:
        size = counts.get(audience.audience_id, 0)
        if audience.kind == "filter":
            size = int(
                await session.scalar(
                    select(func.count())
                    .select_from(EmailContact)
                    .where(filter_condition(audience.filter))
                )
                or 0
            )
        out = schemas.Audience.model_validate(audience)
        out.contacts = size
        result.append(out)
    return result
