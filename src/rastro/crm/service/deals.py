"""Deals (seed 003): the list, creation, edits (a stage change opens or closes the deal)
and deletion; every change writes a timeline entry in the same transaction. A deal of a
lead also carries its sale (product, payment method, affiliate commission) and the money
given back (refund, chargeback); every change of a lead's deal is announced
(`hooks.on_deals_changed`), so the reports' copy of the lead follows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.errors import field_error
from rastro.core.ids import uuid7
from rastro.core.pagination import PageParams, paginate
from rastro.core.references import check_referenced, referenced
from rastro.crm import schemas
from rastro.crm.models import STAGE_PROBABILITY, Contact, Deal, Lead
from rastro.crm.service import activities, hooks
from rastro.crm.service.records import apply_changes, as_utc, check_members, fetch, plain

CLOSED_STAGES = ("won", "lost")
# A sale's details and the money given back (each amount with its date).
SALE_FIELDS = (
    "product",
    "payment_method",
    "affiliate_commission",
    "refunded_amount",
    "refunded_at",
    "chargeback_amount",
    "chargeback_at",
)
REVERSALS = (("refunded_amount", "refunded_at"), ("chargeback_amount", "chargeback_at"))


def check_sale(deal: Deal) -> None:
    """An amount given back takes its date (now when none is given), a date needs its
    amount, and what is given back never exceeds the deal's value (422 otherwise)."""
    for amount, at in REVERSALS:
        if getattr(deal, amount) is None:
            if getattr(deal, at) is not None:
                raise field_error(at, f"needs {amount}")
        elif getattr(deal, at) is None:
            setattr(deal, at, datetime.now(UTC))
        else:
            setattr(deal, at, as_utc(getattr(deal, at)))
    back = (deal.refunded_amount or 0) + (deal.chargeback_amount or 0)
    if back and deal.value is not None and back > deal.value:
        raise field_error(
            "refunded_amount" if deal.refunded_amount else "chargeback_amount",
            "refunds and chargebacks exceed the deal's value",
        )


async def record_created(session: AsyncSession, deal: Deal, *, actor: str) -> None:
    """The `deal_created` timeline entry of a deal just flushed."""
    activities.record(
        session,
        "deal_created",
        f"Deal created: {deal.name}",
        lead_id=deal.lead_id,
        contact_id=deal.contact_id,
        deal_id=deal.deal_id,
        actor=actor,
        data={
            "name": deal.name,
            "value": plain(deal.value),
            "currency": deal.currency,
            "stage": deal.stage,
        },
    )
    await session.flush()


async def _announce(session: AsyncSession, deal: Deal) -> None:
    if deal.lead_id is not None:
        await hooks.announce_deals_changed(session, deal.organization_id, [deal.lead_id])


_DEAL_FIELDS = (
    "name",
    "value",
    "currency",
    "stage",
    "probability",
    "owner_id",
    "expected_close_date",
    "external_id",
    *SALE_FIELDS,
)


async def list_deals(
    session: AsyncSession,
    params: PageParams,
    *,
    stages: Sequence[str] = (),
    owner_id: uuid.UUID | None = None,
    lead_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    close_from: date | None = None,
    close_to: date | None = None,
) -> tuple[list[Deal], int]:
    """Deals, newest first, narrowed by the filters given."""
    conditions: list[ColumnElement[bool]] = []
    if stages:
        conditions.append(Deal.stage.in_(list(stages)))
    if owner_id is not None:
        conditions.append(Deal.owner_id == owner_id)
    if lead_id is not None:
        conditions.append(Deal.lead_id == lead_id)
    if contact_id is not None:
        conditions.append(Deal.contact_id == contact_id)
    if created_from is not None:
        conditions.append(Deal.created_at >= as_utc(created_from))
    if created_to is not None:
        conditions.append(Deal.created_at < as_utc(created_to))
    if close_from is not None:
        conditions.append(Deal.expected_close_date >= close_from)
    if close_to is not None:
        conditions.append(Deal.expected_close_date <= close_to)
    statement = (
        select(Deal).where(*conditions).order_by(Deal.created_at.desc(), Deal.deal_id.desc())
    )
    rows, total = await paginate(session, statement, params)
    return list(rows), total


async def get_deal(session: AsyncSession, deal_id: uuid.UUID) -> Deal:
    """One deal of the organization (404 otherwise)."""
    return await fetch(session, Deal, deal_id, "Deal")


async def create_deal(session: AsyncSession, new: schemas.DealCreate, *, actor: str) -> Deal:
    """A deal of a lead and/or contact (the lead's contact when only the lead is given)."""
    await check_members(session, owner_id=new.owner_id)
    await check_referenced(session, Contact, new.contact_id, field="contact_id")
    contact_id = new.contact_id
    if new.lead_id is not None:
        lead = await referenced(session, Lead, new.lead_id, field="lead_id")
        if contact_id is None:
            contact_id = lead.contact_id
    deal = Deal(
        deal_id=uuid7(),
        lead_id=new.lead_id,
        contact_id=contact_id,
        name=new.name,
        value=new.value,
        currency=new.currency,
        stage=new.stage,
        probability=(
            new.probability if new.probability is not None else STAGE_PROBABILITY[new.stage]
        ),
        owner_id=new.owner_id,
        expected_close_date=new.expected_close_date,
        external_id=new.external_id,
        **{name: getattr(new, name) for name in SALE_FIELDS},
    )
    check_sale(deal)
    if deal.stage in CLOSED_STAGES:
        deal.closed_at = datetime.now(UTC)
    session.add(deal)
    await session.flush()  # the timeline entry refers to it
    await record_created(session, deal, actor=actor)
    await session.refresh(deal)
    await _announce(session, deal)
    return deal


async def update_deal(
    session: AsyncSession, deal_id: uuid.UUID, update: schemas.DealUpdate, *, actor: str
) -> Deal:
    """Change a deal; a stage change is its own timeline entry and opens/closes the deal."""
    deal = await get_deal(session, deal_id)
    changes = update.model_dump(exclude_unset=True)
    if "owner_id" in changes:
        await check_members(session, owner_id=changes["owner_id"])
    previous_stage = deal.stage
    changed = apply_changes(deal, changes, _DEAL_FIELDS)
    check_sale(deal)
    others = {k: v for k, v in changed.items() if k != "stage"}
    if others:
        activities.record(
            session,
            "deal_updated",
            f"Deal {deal.name} changed: " + ", ".join(sorted(others)),
            lead_id=deal.lead_id,
            contact_id=deal.contact_id,
            deal_id=deal.deal_id,
            actor=actor,
            data={"name": deal.name, "changes": others},
        )
    if "stage" in changed:
        deal.closed_at = datetime.now(UTC) if deal.stage in CLOSED_STAGES else None
        if "probability" not in changes:
            deal.probability = STAGE_PROBABILITY[deal.stage]
        activities.record(
            session,
            "deal_stage_changed",
            f"Deal {deal.name}: {previous_stage} → {deal.stage}",
            lead_id=deal.lead_id,
            contact_id=deal.contact_id,
            deal_id=deal.deal_id,
            actor=actor,
            data={
                "name": deal.name,
                "from": previous_stage,
                "to": deal.stage,
                "value": plain(deal.value),
            },
        )
    if changed:
        await session.flush()
        await session.refresh(deal)
        await _announce(session, deal)
    return deal


async def delete_deal(session: AsyncSession, deal_id: uuid.UUID, *, actor: str) -> None:
    """Delete a deal (its tasks and notes go with it); the lead's timeline keeps a line."""
    deal = await get_deal(session, deal_id)
    activities.record(
        session,
        "deal_deleted",
        f"Deal deleted: {deal.name}",
        lead_id=deal.lead_id,
        contact_id=deal.contact_id,
        actor=actor,
        data={
            "name": deal.name,
            "deal_id": str(deal.deal_id),
            "value": plain(deal.value),
            "stage": deal.stage,
        },
    )
    await session.delete(deal)
    await session.flush()
    await _announce(session, deal)
