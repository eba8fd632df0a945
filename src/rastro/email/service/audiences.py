"""Audiences: static lists and saved filters over the organization's recipients."""

from __future__ import annotations

import uuid

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from rastro.core.errors import NotFound, UnprocessableEntity
from rastro.email import schemas
from rastro.email.errors import AudienceInUse
from rastro.email.models import Audience, AudienceContact, CampaignAudience, EmailContact


async def create_audience(session: AsyncSession, *, new: schemas.AudienceCreate) -> Audience:
    """A static list, or a saved filter (which needs its `filter`)."""
    if new.kind == "filter" and new.filter is None:
        raise UnprocessableEntity(
            details=[{"loc": "body.filter", "message": "required for a filter", "type": "missing"}]
        )
    audience = Audience(
        name=new.name,
        kind=new.kind,
        filter=new.filter.model_dump() if new.kind == "filter" and new.filter else {},
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


def filter_condition(saved: dict[str, object]) -> ColumnElement[bool]:
    """The recipients a saved filter selects, as a condition on `email_contacts`."""
    rule = schemas.AudienceFilter.model_validate(saved)
    conditions: list[ColumnElement[bool]] = []
    if rule.tags_any:
        conditions.append(EmailContact.tags.overlap(rule.tags_any))
    if rule.tags_all:
        conditions.append(EmailContact.tags.contains(rule.tags_all))
    for key, value in rule.attributes.items():
        conditions.append(EmailContact.attributes.contains({key: value}))
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
