"""The organization's profit settings: the tax rate, the fees of each payment method and the
costs and affiliate commission of each product (amounts in the organization's currency),
read as the calculator's `Rules`."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.analytics import schemas
from rastro.analytics.profit_models import PaymentFeeRule, ProductCost, ProfitSettings
from rastro.analytics.service.profit import FeeRule, ProductRule, Rules, product_key
from rastro.core.ids import uuid7


async def get_profit_settings(bi: AsyncSession, *, currency: str) -> schemas.ProfitSettingsOut:
    """Every rule of the organization (no tax, fee or cost until it saves some)."""
    settings = await bi.scalar(select(ProfitSettings))
    fees = await bi.scalars(
        select(PaymentFeeRule).order_by(
            PaymentFeeRule.payment_method.is_(None), PaymentFeeRule.payment_method
        )
    )
    products = await bi.scalars(
        select(ProductCost).order_by(ProductCost.product.is_(None), ProductCost.product)
    )
    return schemas.ProfitSettingsOut(
        currency=currency,
        tax_percent=settings.tax_percent if settings else Decimal(0),
        fees=[
            schemas.FeeRuleIn(
                payment_method=rule.payment_method,
                percent=rule.percent,
                fixed=rule.fixed,
                chargeback_fee=rule.chargeback_fee,
            )
            for rule in fees
        ],
        products=[
            schemas.ProductCostIn(
                product=cost.product,
                cost_fixed=cost.cost_fixed,
                cost_percent=cost.cost_percent,
                commission_percent=cost.commission_percent,
            )
            for cost in products
        ],
    )


async def put_profit_settings(
    bi: AsyncSession,
    organization_id: uuid.UUID,
    *,
    settings: schemas.ProfitSettingsIn,
    currency: str,
) -> schemas.ProfitSettingsOut:
    """Replace every rule of the organization with `settings` (saving the same twice leaves
    the same rules)."""
    await bi.execute(
        insert(ProfitSettings)
        .values(organization_id=organization_id, tax_percent=settings.tax_percent)
        .on_conflict_do_update(
            index_elements=[ProfitSettings.organization_id],
            set_={"tax_percent": settings.tax_percent, "updated_at": func.now()},
        )
    )
    await bi.execute(delete(PaymentFeeRule))
    await bi.execute(delete(ProductCost))
    bi.add_all(
        PaymentFeeRule(id=uuid7(), organization_id=organization_id, **rule.model_dump())
        for rule in settings.fees
    )
    bi.add_all(
        ProductCost(id=uuid7(), organization_id=organization_id, **cost.model_dump())
        for cost in settings.products
    )
    await bi.flush()
    bi.expire_all()
    return await get_profit_settings(bi, currency=currency)


async def load_rules(bi: AsyncSession) -> Rules:
    """The organization's settings as the profit calculator's rules."""
    tax = await bi.scalar(select(ProfitSettings.tax_percent))
    fees = await bi.scalars(select(PaymentFeeRule))
    products = await bi.scalars(select(ProductCost))
    return Rules(
        tax_percent=tax if tax is not None else Decimal(0),
        fees={
            rule.payment_method: FeeRule(
                percent=rule.percent, fixed=rule.fixed, chargeback_fee=rule.chargeback_fee
            )
            for rule in fees
        },
        products={
            product_key(cost.product): ProductRule(
                cost_fixed=cost.cost_fixed,
                cost_percent=cost.cost_percent,
                commission_percent=cost.commission_percent,
            )
            for cost in products
        },
    )
