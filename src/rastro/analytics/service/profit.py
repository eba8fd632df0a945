"""Profit, not only ROAS (issue 18 part 5): one pure function from a report row's sales, the
money given back in the period and its ad spend to its profit, exact in `Decimal`.

    net revenue = revenue - refunds - chargebacks
    fees        = sum of sales (percent of the method * value + fixed of the method)
                  + sum of chargebacks (chargeback fee of the method)
    taxes       = tax percent * net revenue
    product costs = sum of sales (fixed cost of the product + cost percent * value)
    commissions = sum of sales (the commission the sale names, else the product's
                  commission percent * value)
    profit      = net revenue - fees - taxes - product costs - commissions - ad spend
    margin      = profit / net revenue
    POAS        = (profit + ad spend) / ad spend  (profit on ad spend before the ads:
                  above 1 the ads pay for themselves)

Sales count on the day they were won; refunds and chargebacks on the day they happened,
against the campaign (ad, channel, …) that earned the original sale, so a refund after a
period lowers the period it falls in, never a closed one. Fees and costs of a refunded
sale are not given back. A payment method (product) without a rule of its own takes the
rule without a method (product), if any; otherwise nothing. Each component is rounded to
the cent (half up) once, and profit is computed from the rounded components, so the
formula adds up exactly as shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class FeeRule:
    """A payment method's fees: `percent` of each sale's value (0-100) plus `fixed` per
    sale, and `chargeback_fee` per chargeback."""

    percent: Decimal = ZERO
    fixed: Decimal = ZERO
    chargeback_fee: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class ProductRule:
    """A product's cost per sale (`cost_fixed` + `cost_percent` of the value) and the
    affiliate commission's percentage of the value."""

    cost_fixed: Decimal = ZERO
    cost_percent: Decimal = ZERO
    commission_percent: Decimal = ZERO


NO_FEE = FeeRule()
NO_COST = ProductRule()


def product_key(product: str | None) -> str | None:
    """How products are matched: trimmed, case-insensitive."""
    if product is None:
        return None
    key = product.strip().casefold()
    return key or None


@dataclass(frozen=True, slots=True)
class Rules:
    """An organization's profit settings. The `None` key of `fees` (`products`) is the rule
    of every method (product) no other rule names."""

    tax_percent: Decimal = ZERO
    fees: Mapping[str | None, FeeRule] = field(default_factory=dict)
    products: Mapping[str | None, ProductRule] = field(default_factory=dict)

    def fee(self, method: str | None) -> FeeRule:
        if method is not None and method in self.fees:
            return self.fees[method]
        return self.fees.get(None, NO_FEE)

    def product(self, product: str | None) -> ProductRule:
        key = product_key(product)
        if key is not None and key in self.products:
            return self.products[key]
        return self.products.get(None, NO_COST)


@dataclass(frozen=True, slots=True)
class Sales:
    """Some sales won in the period, alike in payment method and product: how many, their
    value, the commissions they name and the value of those that name none."""

    payment_method: str | None
    product: str | None
    count: int
    revenue: Decimal
    commission_given: Decimal = ZERO
    revenue_without_commission: Decimal | None = None  # None: no sale names a commission

    @property
    def commission_base(self) -> Decimal:
        if self.revenue_without_commission is None:
            return self.revenue
        return self.revenue_without_commission


@dataclass(frozen=True, slots=True)
class GivenBack:
    """Money given back in the period on sales paid by one method: refunds, chargebacks
    and how many chargebacks (each costs the method's chargeback fee)."""

    payment_method: str | None
    refunds: Decimal = ZERO
    chargebacks: Decimal = ZERO
    chargeback_count: int = 0


@dataclass(frozen=True, slots=True)
class Profit:
    """A row's profit and every term of its formula (money rounded to the cent)."""

    revenue: Decimal
    refunds: Decimal
    chargebacks: Decimal
    net_revenue: Decimal
    fees: Decimal
    taxes: Decimal
    product_costs: Decimal
    commissions: Decimal
    ad_spend: Decimal
    profit: Decimal
    margin: float | None  # profit / net revenue
    poas: float | None  # (profit + ad spend) / ad spend


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _part(percent: Decimal, value: Decimal) -> Decimal:
    return percent * value / HUNDRED


def compute_profit(
    rules: Rules,
    sales: Iterable[Sales],
    given_back: Iterable[GivenBack] = (),
    *,
    ad_spend: Decimal | None = None,
) -> Profit:
    """The profit of some sales and the money given back in one period, after `ad_spend`
    (None: no spend known, counted as zero). See the module's formula."""
    revenue = fees = product_costs = commissions = ZERO
    for group in sales:
        fee = rules.fee(group.payment_method)
        cost = rules.product(group.product)
        revenue += group.revenue
        fees += _part(fee.percent, group.revenue) + fee.fixed * group.count
        product_costs += cost.cost_fixed * group.count + _part(cost.cost_percent, group.revenue)
        commissions += group.commission_given + _part(
            cost.commission_percent, group.commission_base
        )
    refunds = chargebacks = ZERO
    for back in given_back:
        refunds += back.refunds
        chargebacks += back.chargebacks
        fees += rules.fee(back.payment_method).chargeback_fee * back.chargeback_count
    net = _cents(revenue - refunds - chargebacks)
    spend = _cents(ad_spend or ZERO)
    taxes, fees = _cents(_part(rules.tax_percent, net)), _cents(fees)
    product_costs, commissions = _cents(product_costs), _cents(commissions)
    profit = net - fees - taxes - product_costs - commissions - spend
    return Profit(
        revenue=_cents(revenue),
        refunds=_cents(refunds),
        chargebacks=_cents(chargebacks),
        net_revenue=net,
        fees=fees,
        taxes=taxes,
        product_costs=product_costs,
        commissions=commissions,
        ad_spend=spend,
        profit=profit,
        margin=float(profit / net) if net else None,
        poas=float((profit + spend) / spend) if spend else None,
    )
