"""Shapes of profit (issue 18 part 5): a row's profit with every term of its formula, and
the organization's profit settings (tax, fees per payment method, product costs)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

# The deals' own rule for a payment method code (`pix`, `credit_card`, …).
from rastro.crm.schemas import PaymentMethod

PROFIT_FORMULA = (
    "net revenue = revenue - refunds - chargebacks; profit = net revenue - fees - taxes - "
    "product costs - commissions - ad spend"
)

Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=7, decimal_places=4)]
Amount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
Product = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class ProfitFigures(BaseModel):
    """A row's profit in the organization's currency: `profit = net_revenue - fees - taxes
    - product_costs - commissions - ad_spend`, `net_revenue = revenue - refunds -
    chargebacks`. Sales count on the day they were won, refunds and chargebacks on the day
    they happened, against the campaign that earned the sale."""

    revenue: Decimal = Field(description="Won sales' value in the period")
    refunds: Decimal = Field(description="Refunds in the period on this row's sales")
    chargebacks: Decimal = Field(description="Chargebacks in the period on this row's sales")
    net_revenue: Decimal = Field(description="revenue - refunds - chargebacks")
    fees: Decimal = Field(
        description="Payment fees: percent * value + fixed per sale, by payment method, and "
        "the chargeback fee per chargeback"
    )
    taxes: Decimal = Field(description="Tax percent * net revenue")
    product_costs: Decimal = Field(description="Fixed cost per sale + cost percent * value")
    commissions: Decimal = Field(
        description="Affiliate commissions: the sale's own, else commission percent * value"
    )
    ad_spend: Decimal = Field(description="The row's ad spend (zero where none is known)")
    profit: Decimal
    margin: float | None = Field(description="Profit / net revenue")
    poas: float | None = Field(
        description="Profit on ad spend: (profit + ad spend) / ad spend; above 1 the ads pay "
        "for themselves"
    )


class FeeRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payment_method: PaymentMethod | None = Field(
        description="`pix`, `credit_card`, `boleto`, … (null: every method without a rule)"
    )
    percent: Percent = Field(description="Of each sale's value, 0-100")
    fixed: Amount = Field(description="Per sale, in the organization's currency")
    chargeback_fee: Amount = Field(Decimal(0), description="Per chargeback")


class ProductCostIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product: Product | None = Field(
        description="The deals' product (trimmed, case-insensitive; null: every other sale)"
    )
    cost_fixed: Amount = Field(Decimal(0), description="Per sale")
    cost_percent: Percent = Field(Decimal(0), description="Of each sale's value")
    commission_percent: Percent = Field(
        Decimal(0), description="Affiliate commission where the sale names none"
    )


class ProfitSettingsIn(BaseModel):
    """Every rule of the organization (saving replaces them all)."""

    model_config = ConfigDict(extra="forbid")

    tax_percent: Percent = Field(description="Of net revenue, 0-100")
    fees: list[FeeRuleIn] = Field(default_factory=list, max_length=100)
    products: list[ProductCostIn] = Field(default_factory=list, max_length=1000)

    @model_validator(mode="after")
    def _unique(self) -> ProfitSettingsIn:
        methods = [rule.payment_method for rule in self.fees]
        if len(set(methods)) != len(methods):
            raise ValueError("one fee rule per payment method")
        products = [p.product.casefold() if p.product else None for p in self.products]
        if len(set(products)) != len(products):
            raise ValueError("one cost rule per product")
        return self


class ProfitSettingsOut(ProfitSettingsIn):
    currency: str = Field(description="The organization's currency (every amount is in it)")
    formula: str = Field(PROFIT_FORMULA, description="How profit is computed")
