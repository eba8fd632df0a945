"""`rastro demo` has a funnel: one step of every type, the offers' checkout configs, pixels,
and payments in every status that the worker turns into leads, purchase conversions and
won deals credited to the ad campaigns of the sessions they came from."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from sqlalchemy import select

from rastro.analytics.models import ConversionFact
from rastro.auth.demo import ensure_demo_admin
from rastro.conversions.models import OfflineConversion
from rastro.core.db import Scope
from rastro.core.module import DemoContext
from rastro.crm.models import Deal
from rastro.funnels.builder.demo import SALES
from rastro.funnels.builder.demo import load_demo as load_funnels_demo
from rastro.funnels.builder.models import CheckoutConfig, Funnel, FunnelStep, TrackingPixel
from rastro.funnels.payments.models import Payment
from rastro.tracking.demo import load_demo as load_tracking_demo
from tests.helpers import drain_jobs


async def test_demo_funnel_with_payments_in_every_status(databases, settings, client):
    _, _, org = await ensure_demo_admin(databases)
    context = DemoContext(
        databases,
        org,
        settings.secret_key_value,
        "http://x",
        encryption_key=settings.encryption_key_value,
    )
    await load_tracking_demo(context, days=8, sessions_per_day=20)
    line = await load_funnels_demo(context)
    assert line is not None
    assert "/f/" in line
    await drain_jobs(settings, databases)
    scope = Scope.organization(org)
    async with databases.crm.transaction(scope) as s:
        (funnel,) = await s.scalars(select(Funnel))
        kinds = sorted(step.step_type for step in await s.scalars(select(FunnelStep)))
        configs = list(await s.scalars(select(CheckoutConfig)))
        pixels = list(await s.scalars(select(TrackingPixel)))
        payments = list(await s.scalars(select(Payment)))
        conversions = list(await s.scalars(select(OfflineConversion)))
        deals = list(await s.scalars(select(Deal).where(Deal.external_id.like("payment:%"))))
    assert kinds == sorted(["capture", "vsl", "checkout", "upsell", "downsell", "thankyou"])
    assert len(configs) == 3
    assert {p.pixel_type for p in pixels} == {"facebook", "google", "tiktok"}
    statuses = Counter(p.status for p in payments)
    assert set(statuses) == {
        "paid", "refunded", "chargedback", "expired", "cancelled", "failed", "pending"
    }  # fmt: skip
    assert sum(statuses.values()) == len(SALES)
    assert all(p.session_id for p in payments)
    sold = [p for p in payments if p.status in ("paid", "refunded", "chargedback")]
    assert sum(1 for p in payments if p.parent_payment_id) == 2  # the upsell and downsell
    # Every sale became its lead's purchase and won deal, the money given back kept.
    assert sorted(c.order_id for c in conversions if c.origin == "checkout") == sorted(
        f"purchase-{p.id}" for p in sold
    )
    assert {d.external_id: d.value for d in deals} == {f"payment:{p.id}": p.amount for p in sold}
    back = {d.external_id: (d.refunded_amount, d.chargeback_amount) for d in deals}
    for p in sold:
        refund = p.amount if p.status == "refunded" else None
        chargeback = p.amount if p.status == "chargedback" else None
        assert back[f"payment:{p.id}"] == (refund, chargeback)
    async with databases.bi.transaction(scope) as bi:
        facts = list(
            await bi.scalars(
                select(ConversionFact).where(ConversionFact.lead_id.in_([p.lead_id for p in sold]))
            )
        )
    assert len(facts) == len(sold)
    # Credited to the buyers' journeys (the organization's touch rule): mostly ad campaigns.
    assert sum(1 for f in facts if f.campaign) * 2 >= len(facts)
    assert all(f.channel for f in facts)
    assert sum(f.revenue for f in facts) == sum(p.amount for p in sold) > Decimal(0)
    page = await client.get(line.split()[2])
    assert page.status_code == 200, line
    assert funnel.domain_id is not None
