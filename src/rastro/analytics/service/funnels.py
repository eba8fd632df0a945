"""The funnel report: visitors per step and step-to-step conversion, checkout → PIX
generated → paid, revenue and average order, order-bump and upsell/downsell take rates, by
source or campaign, for a period of the organization's days.

Every figure comes from indexed reads of one funnel and one period: the step visits
(`funnel_step_visits`, by funnel and visit time) and the funnel's payments created in
the period (by organization and creation time) — never a scan of the page views.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from rastro.analytics.schemas.common import Period
from rastro.analytics.schemas.funnels import (
    FunnelBreakdownRow,
    FunnelCheckoutFigures,
    FunnelDimension,
    FunnelOfferFigures,
    FunnelReport,
    FunnelsSummary,
    FunnelStepFigures,
    FunnelSummaryRow,
)
from rastro.core.pagination import PageParams
from rastro.funnels.builder.service import funnels
from rastro.funnels.monitor.service import visits
from rastro.funnels.payments.schemas import PaymentSummary
from rastro.funnels.payments.service import reads as payment_reads

REVERSED = ("refunded", "chargedback")
OFFER_TYPES = ("upsell", "downsell")


def ratio(part: int | Decimal, whole: int | Decimal) -> float | None:
    return float(part) / float(whole) if whole else None


@dataclass
class _Tally:
    visitors: int = 0
    checkout_visitors: int = 0
    pix_generated: int = 0
    paid: int = 0
    reversed: int = 0
    revenue: Decimal = field(default_factory=lambda: Decimal("0.00"))
    orders_paid: int = 0
    bump_offered: int = 0
    bump_taken: int = 0
    bump_revenue: Decimal = field(default_factory=lambda: Decimal("0.00"))


def _add_payment(tally: _Tally, payment: PaymentSummary, *, currency: str) -> None:
    tally.pix_generated += 1
    if payment.status == "paid":
        tally.paid += 1
        if payment.currency == currency:
            tally.revenue += payment.amount
        if payment.bump_accepted is not None:
            tally.bump_offered += 1
        if payment.bump_accepted and payment.bump_amount is not None:
            tally.bump_taken += 1
            if payment.currency == currency:
                tally.bump_revenue += payment.bump_amount
    elif payment.status in REVERSED:
        tally.reversed += 1


async def funnel_report(
    crm: AsyncSession,
    bi: AsyncSession,
    *,
    funnel_id: uuid.UUID,
    period: Period,
    timezone: str,
    currency: str,
    dimension: FunnelDimension = "source",
) -> FunnelReport:
    """The funnel's figures for the period (404 for a funnel not the organization's)."""
    funnel = await funnels.get_funnel(crm, funnel_id)
    kinds = {step.id: step.step_type for step in funnel.steps}
    counts = await visits.count_visits(bi, funnel_id=funnel.id, start=period.start, end=period.end)
    sessions = await visits.count_sessions(
        bi, funnel_id=funnel.id, start=period.start, end=period.end
    )
    payments = await payment_reads.funnel_payments(
        crm, funnel_id=funnel.id, start=period.start, end=period.end
    )
    origin = await visits.sources_of(
        bi,
        funnel_id=funnel.id,
        session_ids=sorted({p.session_id for p in payments if p.session_id}),
    )

    def key(source: str | None, campaign: str | None) -> str | None:
        return source if dimension == "source" else campaign

    per_step: dict[uuid.UUID, int] = defaultdict(int)
    groups: dict[str | None, _Tally] = defaultdict(_Tally)
    for row in counts:
        per_step[row.step_id] += row.visitors
        if kinds.get(row.step_id) == "checkout":
            groups[key(row.source, row.campaign)].checkout_visitors += row.visitors
    for source, campaign, n in sessions:
        groups[key(source, campaign)].visitors += n

    checkout = _Tally()
    offers: dict[uuid.UUID, _Tally] = defaultdict(_Tally)
    total_revenue = Decimal("0.00")
    for payment in payments:
        kind = kinds.get(payment.step_id) if payment.step_id else None
        group = groups[key(*origin.get(payment.session_id or "", (None, None)))]
        if kind in OFFER_TYPES and payment.step_id is not None:
            _add_payment(offers[payment.step_id], payment, currency=currency)
            if payment.status == "paid" and payment.currency == currency:
                group.revenue += payment.amount
        else:  # the checkout's own charge (or one whose step was deleted)
            _add_payment(checkout, payment, currency=currency)
            _add_payment(group, payment, currency=currency)
            if payment.status == "paid":
                group.orders_paid += 1
        if payment.status == "paid" and payment.currency == currency:
            total_revenue += payment.amount

    first = per_step.get(funnel.steps[0].id, 0) if funnel.steps else 0
    step_rows = []
    previous: int | None = None
    for step in funnel.steps:
        count = per_step.get(step.id, 0)
        step_rows.append(
            FunnelStepFigures(
                step_id=step.id,
                name=step.name,
                step_type=step.step_type,
                order_index=step.order_index,
                visitors=count,
                rate_from_previous=ratio(count, previous) if previous is not None else None,
                rate_from_first=ratio(count, first),
            )
        )
        previous = count
    checkout_visitors = sum(
        n for step_id, n in per_step.items() if kinds.get(step_id) == "checkout"
    )
    return FunnelReport(
        funnel_id=funnel.id,
        name=funnel.name,
        period=period,
        timezone=timezone,
        currency=currency,
        visitors=sum(n for _, _, n in sessions),
        steps=step_rows,
        checkout=FunnelCheckoutFigures(
            checkout_visitors=checkout_visitors,
            pix_generated=checkout.pix_generated,
            paid=checkout.paid,
            reversed=checkout.reversed,
            checkout_rate=ratio(checkout.pix_generated, checkout_visitors),
            paid_rate=ratio(checkout.paid, checkout.pix_generated),
            revenue=total_revenue,
            average_order=(total_revenue / checkout.paid).quantize(Decimal("0.01"))
            if checkout.paid
            else None,
            bump_offered=checkout.bump_offered,
            bump_taken=checkout.bump_taken,
            bump_take_rate=ratio(checkout.bump_taken, checkout.bump_offered),
            bump_revenue=checkout.bump_revenue,
        ),
        offers=[
            FunnelOfferFigures(
                step_id=step.id,
                name=step.name,
                step_type=step.step_type,
                visitors=per_step.get(step.id, 0),
                pix_generated=offers[step.id].pix_generated,
                paid=offers[step.id].paid,
                revenue=offers[step.id].revenue,
                take_rate=ratio(offers[step.id].paid, per_step.get(step.id, 0)),
            )
            for step in funnel.steps
            if step.step_type in OFFER_TYPES
        ],
        dimension=dimension,
        breakdown=sorted(
            (
                FunnelBreakdownRow(
                    value=value,
                    visitors=tally.visitors,
                    checkout_visitors=tally.checkout_visitors,
                    pix_generated=tally.pix_generated,
                    paid=tally.paid,
                    revenue=tally.revenue,
                    paid_rate=ratio(tally.paid, tally.pix_generated),
                    conversion_rate=ratio(tally.orders_paid, tally.visitors),
                )
                for value, tally in groups.items()
            ),
            key=lambda row: (-row.revenue, -row.visitors, row.value or ""),
        ),
    )


SUMMARY_FUNNELS = 50


async def funnels_summary(
    crm: AsyncSession, bi: AsyncSession, *, period: Period, timezone: str, currency: str
) -> FunnelsSummary:
    """Each of the newest `SUMMARY_FUNNELS` funnels with visitors or charges in the period,
    with the figures of its own report (the same numbers its analytics page shows)."""
    listed, total = await funnels.list_funnels(crm, PageParams(page=1, page_size=SUMMARY_FUNNELS))
    rows = []
    for funnel in listed:
        report = await funnel_report(
            crm, bi, funnel_id=funnel.id, period=period, timezone=timezone, currency=currency
        )
        figures = report.checkout
        if report.visitors == 0 and figures.pix_generated == 0:
            continue
        rows.append(
            FunnelSummaryRow(
                funnel_id=funnel.id,
                name=funnel.name,
                checkout_visitors=figures.checkout_visitors,
                pix_generated=figures.pix_generated,
                paid=figures.paid,
                paid_rate=figures.paid_rate,
                revenue=figures.revenue,
            )
        )
    rows.sort(key=lambda row: (-row.revenue, -row.checkout_visitors, row.name))
    return FunnelsSummary(
        period=period,
        timezone=timezone,
        currency=currency,
        funnels=rows,
        more=total > SUMMARY_FUNNELS,
    )
