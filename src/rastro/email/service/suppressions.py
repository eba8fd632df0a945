"""The organization's suppression list (seed 004 ops.SuppressionList) and the record of
unsubscribes: both block generation; both keep their reason and time as LGPD proof."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.errors import NotFound
from rastro.core.pagination import PageParams, paginate
from rastro.crm.service import identity, people
from rastro.email import schemas
from rastro.email.models import EmailContact, Suppression, Unsubscribe


async def add_suppression(session: AsyncSession, *, new: schemas.SuppressionIn) -> Suppression:
    """Suppress an address (creating its contact if unknown); adding it twice keeps one."""
    address = identity.normalize_email(new.email, field="body.email").address
    ids = await people.ensure_people(session, people={address: None})
    contact_id = ids[address]
    recipient = await session.get(EmailContact, contact_id)
    if recipient is None:
        session.add(EmailContact(contact_id=contact_id, status="suppressed"))
    else:
        recipient.status = "suppressed"
    await session.flush()
    existing = await session.scalar(select(Suppression).where(Suppression.contact_id == contact_id))
    if existing is not None:
        return existing
    suppression = Suppression(contact_id=contact_id, reason=new.reason, note=new.note)
    session.add(suppression)
    await session.flush()
    await session.refresh(suppression)
    return suppression


async def remove_suppression(session: AsyncSession, *, suppression_id: uuid.UUID) -> None:
    """Lift a suppression (the recipient becomes active again)."""
    suppression = await session.get(Suppression, suppression_id)
    if suppression is None:
        raise NotFound("No such suppression in this organization.")
    recipient = await session.get(EmailContact, suppression.contact_id)
    if recipient is not None and recipient.status in ("suppressed", "bounced", "complained"):
        recipient.status = "active"
        recipient.soft_bounces = 0
    await session.execute(delete(Suppression).where(Suppression.suppression_id == suppression_id))
    await session.flush()


async def list_suppressions(
    session: AsyncSession, params: PageParams
) -> tuple[list[schemas.Suppression], int]:
    rows, total = await paginate(
        session, select(Suppression).order_by(Suppression.created_at.desc()), params
    )
    found = await people.people_by_id(session, contact_ids=[r.contact_id for r in rows])
    items = []
    for row in rows:
        item = schemas.Suppression.model_validate(row)
        item.email = found[row.contact_id].email if row.contact_id in found else None
        items.append(item)
    return items, total


async def list_unsubscribes(
    session: AsyncSession, params: PageParams
) -> tuple[list[schemas.Unsubscribe], int]:
    """Unsubscribes, newest first, with the recipient's address from the CRM."""
    rows, total = await paginate(
        session, select(Unsubscribe).order_by(Unsubscribe.created_at.desc()), params
    )
    found = await people.people_by_id(session, contact_ids=[r.contact_id for r in rows])
    items = []
    for row in rows:
        item = schemas.Unsubscribe.model_validate(row)
        item.email = found[row.contact_id].email if row.contact_id in found else None
        items.append(item)
    return items, total
