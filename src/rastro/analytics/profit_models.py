"""The profit settings' tables (BI database): per organization, the tax rate, the fees of
each payment method and the costs and affiliate commission of each product. A null
payment method or product is the rule for every sale no other rule names."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Numeric, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from rastro.core.db import BiBase, TenantMixin

PERCENT = Numeric(7, 4)
MONEY = Numeric(14, 2)


class ProfitSettings(TenantMixin, BiBase):
    """The organization's tax rate on net revenue (one row, absent until saved)."""

    __tablename__ = "profit_settings"

    organization_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tax_percent: Mapped[Decimal] = mapped_column(PERCENT)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class PaymentFeeRule(TenantMixin, BiBase):
    """A payment method's fees: a percentage of each sale plus a fixed amount per sale, and
    a fixed fee per chargeback (amounts in the organization's currency)."""

    __tablename__ = "payment_fee_rules"
    __table_args__ = (
        UniqueConstraint("organization_id", "payment_method", postgresql_nulls_not_distinct=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column()  # led by the unique key
    payment_method: Mapped[str | None] = mapped_column(String(40))
    percent: Mapped[Decimal] = mapped_column(PERCENT)
    fixed: Mapped[Decimal] = mapped_column(MONEY)
    chargeback_fee: Mapped[Decimal] = mapped_column(MONEY)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ProductCost(TenantMixin, BiBase):
    """A product's cost per sale (fixed and/or a percentage of the sale) and the affiliate
    commission's percentage (used where a sale names no commission of its own)."""

    __tablename__ = "product_costs"
    __table_args__ = (
        UniqueConstraint("organization_id", "product", postgresql_nulls_not_distinct=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column()  # led by the unique key
    product: Mapped[str | None] = mapped_column(String(255))
    cost_fixed: Mapped[Decimal] = mapped_column(MONEY)
    cost_percent: Mapped[Decimal] = mapped_column(PERCENT)
    commission_percent: Mapped[Decimal] = mapped_column(PERCENT)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
