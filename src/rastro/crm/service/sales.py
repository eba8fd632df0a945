"""A sale made outside the pipeline (a funnel's checkout, a checkout platform) recorded on
its lead: the lead is won and carries a won deal with the sale, so the sale's revenue,
product, payment method and the money given back reach the reports like a sale closed
by hand.

`record_sale` is idempotent: the move to `won` carries the sale's `external_event_id`
(applied once, even if the lead was moved since), and the deal is found again by its
`external_id`, so running it again, or after a refund or chargeback, updates that one
deal.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.errors import NotFound
from rastro.core.ids import uuid7
from rastro.crm.models import STAGE_PROBABILITY, Deal, Lead
from rastro.crm.schemas import ExternalSale
from rastro.crm.service import hooks, pipeline
from rastro.crm.service.deals import check_sale, record_created

# The source of a stage change made by a sale: the conversions module does not add its
# own `won` conversion for it (the sale sends its purchase with its order id).
SALE_SOURCE = "sale"


async def record_sale(session: AsyncSession, lead_id: uuid.UUID, sale: ExternalSale) -> uuid.UUID:
    """Win the lead with the sale's value and keep the sale in its won deal (created once,
    then updated: a refund or chargeback sets the amount given back and its date).
    Returns the deal's id."""
    lead = await session.get(Lead, lead_id)
    if lead is None:
        raise NotFound("Lead not found.")
    await pipeline.change_stage(
        session,
        lead,
        pipeline.StageChange(
            stage_name="won",
            changed_by=sale.origin,
            source=SALE_SOURCE,
            stage_value=sale.value,
            external_event_id=f"sale:{sale.external_id}:won"[:255],
            close_date=sale.sold_at.date(),
        ),
    )
    deal = await session.scalar(
        select(Deal).where(Deal.external_id == sale.external_id, Deal.lead_id == lead_id)
    )
    created = deal is None
    if deal is None:
        deal = Deal(
            deal_id=uuid7(),
            lead_id=lead_id,
            contact_id=lead.contact_id,
            external_id=sale.external_id,
            stage="won",
            probability=STAGE_PROBABILITY["won"],
        )
        session.add(deal)
    deal.name = sale.product or sale.external_id
    deal.value = sale.value
    deal.currency = sale.currency
    deal.closed_at = sale.sold_at
    deal.product = sale.product
    deal.payment_method = sale.payment_method
    deal.refunded_amount = sale.value if sale.refunded_at else None
    deal.refunded_at = sale.refunded_at
    deal.chargeback_amount = sale.value if sale.chargeback_at else None
    deal.chargeback_at = sale.chargeback_at
    check_sale(deal)
    await session.flush()
    if created:
        await record_created(session, deal, actor=sale.origin)
    await hooks.announce_deals_changed(session, lead.organization_id, [lead_id])
    return deal.deal_id
