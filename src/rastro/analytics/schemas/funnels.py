"""The funnel report (`GET /api/analytics/funnels/{funnel_id}`)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from rastro.analytics.schemas.common import Period

FunnelDimension = Literal["source", "campaign"]


class FunnelStepFigures(BaseModel):
    step_id: uuid.UUID
    name: str
    step_type: str
    order_index: int
    visitors: int = Field(description="Sessions whose first visit of the step is in the period")
    rate_from_previous: float | None = Field(
        description="Visitors of this step per visitor of the previous one (null: first step "
        "or no visitors before)"
    )
    rate_from_first: float | None = Field(description="Visitors per visitor of the first step")


class FunnelCheckoutFigures(BaseModel):
    """Checkout → PIX generated → paid, for the charges of the funnel's checkout steps
    created in the period (each counted by its status now)."""

    checkout_visitors: int
    pix_generated: int
    paid: int
    reversed: int = Field(description="Paid, then refunded or charged back")
    checkout_rate: float | None = Field(description="PIX generated per checkout visitor")
    paid_rate: float | None = Field(description="Paid per PIX generated")
    revenue: Decimal = Field(
        description="Paid charges of every step (upsells and downsells included), in the "
        "organization's currency; other currencies are left out, never converted"
    )
    average_order: Decimal | None = Field(
        description="Revenue per paid checkout order (its upsells and downsells included)"
    )
    bump_offered: int = Field(0, description="Paid checkout orders whose checkout offered a bump")
    bump_taken: int = Field(0, description="Of those, the orders with the bump ticked")
    bump_take_rate: float | None = Field(
        None, description="Order-bump take rate: orders with the bump per order offered one"
    )
    bump_revenue: Decimal = Field(
        Decimal("0.00"), description="The ticked bumps' share of the paid orders' revenue"
    )


class FunnelOfferFigures(BaseModel):
    """An upsell or downsell step: how many of its visitors took the offer."""

    step_id: uuid.UUID
    name: str
    step_type: Literal["upsell", "downsell"]
    visitors: int
    pix_generated: int
    paid: int
    revenue: Decimal
    take_rate: float | None = Field(description="Paid per visitor of the step")


class FunnelBreakdownRow(BaseModel):
    value: str | None = Field(description="The source or campaign (null: none known)")
    visitors: int = Field(description="Sessions that visited any step in the period")
    checkout_visitors: int
    pix_generated: int
    paid: int
    revenue: Decimal
    paid_rate: float | None = Field(description="Paid per PIX generated")
    conversion_rate: float | None = Field(description="Paid checkout orders per visitor")


class FunnelReport(BaseModel):
    funnel_id: uuid.UUID
    name: str
    period: Period
    timezone: str
    currency: str
    visitors: int = Field(description="Sessions that visited any of the funnel's steps")
    steps: list[FunnelStepFigures]
    checkout: FunnelCheckoutFigures
    offers: list[FunnelOfferFigures]
    dimension: FunnelDimension
    breakdown: list[FunnelBreakdownRow] = Field(description="By source or campaign, by revenue")


class FunnelSummaryRow(BaseModel):
    """One funnel's checkout figures in the period, as its funnel report counts them."""

    funnel_id: uuid.UUID
    name: str
    checkout_visitors: int = Field(description="Sessions that reached a checkout step")
    pix_generated: int = Field(description="Charges of the checkout steps")
    paid: int
    paid_rate: float | None = Field(description="Paid per PIX generated")
    revenue: Decimal = Field(
        description="Paid charges of every step, in the organization's currency"
    )


class FunnelsSummary(BaseModel):
    """The funnels block of the reports: every funnel with visitors or charges in the period."""

    period: Period
    timezone: str
    currency: str
    funnels: list[FunnelSummaryRow] = Field(description="By revenue, then checkout visitors")
    more: bool = Field(
        description="The organization has more funnels than the block reads (the newest 50)"
    )
