"""Routes of the organization's profit settings: the tax rate, the fees of each payment
method and the costs and affiliate commission of each product."""

from __future__ import annotations

from fastapi import APIRouter

from rastro.analytics import schemas
from rastro.analytics.permissions import Admin, Read
from rastro.analytics.service import profit_settings
from rastro.auth.service import accounts
from rastro.core.deps import BiSession, CrmSession
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.session import TransactionalRoute

router = APIRouter(
    prefix="/api/analytics",
    route_class=TransactionalRoute,
    responses=ERROR_RESPONSES,
    tags=["analytics"],
)


@router.get("/profit/settings", response_model=schemas.ProfitSettingsOut)
async def get_profit_settings(
    principal: Read, crm: CrmSession, bi: BiSession
) -> schemas.ProfitSettingsOut:
    """The rules the reports' profit is computed with (amounts in the organization's
    currency; none until saved) and the formula."""
    organization = await accounts.get_organization(crm, principal.organization_id)
    return await profit_settings.get_profit_settings(bi, currency=organization.currency)


@router.put("/profit/settings", response_model=schemas.ProfitSettingsOut)
async def put_profit_settings(
    body: schemas.ProfitSettingsIn, principal: Admin, crm: CrmSession, bi: BiSession
) -> schemas.ProfitSettingsOut:
    """Replace every profit rule: the tax percent on net revenue; per payment method
    (null: every other) a percent of each sale plus a fixed amount per sale and a fee per
    chargeback; per product (null: every other) a fixed cost per sale, a cost percent and
    the affiliate commission percent used where a sale names no commission. Percentages
    0-100, amounts ≥ 0 with at most two decimals, one rule per method and per product
    (422 otherwise)."""
    organization = await accounts.get_organization(crm, principal.organization_id)
    return await profit_settings.put_profit_settings(
        bi, principal.organization_id, settings=body, currency=organization.currency
    )
