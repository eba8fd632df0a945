"""Ad spend's records: the ad accounts (which credential reads which account), the spend
rows per ad and day (`campaign_metrics`, upserted on their natural key), the current
names of campaigns, ad sets and ads, and the import runs (`ad_spend_imports`).

Spend keeps its currency on every row; nothing here sums across currencies.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.analytics import spend_schemas as schemas
from rastro.analytics.ad_models import (
    Ad,
    AdAccount,
    AdCampaign,
    AdClick,
    AdSet,
    AdSpendImport,
    CampaignMetric,
)
from rastro.analytics.service.spend_store import RowOrigin as RowOrigin
from rastro.analytics.service.spend_store import store_rows as store_rows
from rastro.analytics.spend import CONNECTORS
from rastro.analytics.spend.base import AccountRef, ClickRow
from rastro.auth.service import credentials
from rastro.core.errors import Conflict, NotFound, UnprocessableEntity
from rastro.core.ids import uuid7
from rastro.core.pagination import PageParams, paginate
from rastro.core.references import UnknownReference


def account_ref(account: AdAccount) -> AccountRef:
    """The account as a connector sees it."""
    return AccountRef(
        platform=account.platform,
        account_id=account.account_id,
        timezone=account.timezone,
        currency=account.currency,
        conversion_types=tuple(account.conversion_types or ()),
    )


# --- accounts --------------------------------------------------------------------------------


async def create_account(
    bi: AsyncSession, crm: AsyncSession, body: schemas.AdAccountCreate
) -> AdAccount:
    """Configure an ad account; its credential must be one of the organization's, for a
    service that reads this platform's reports."""
    try:
        credential = await credentials.get_credential(crm, body.credential_id)
    except NotFound:
        raise UnknownReference(field="credential_id", key=body.credential_id) from None
    services = CONNECTORS[body.platform].credential_services
    if credential.service not in services:
        raise UnprocessableEntity(
            "The credential is not for this platform.",
            details=[
                {
                    "loc": "body.credential_id",
                    "message": f"a credential of {sorted(services)}",
                    "type": "credential_service",
                }
            ],
        )
    existing = await bi.scalar(
        select(AdAccount.id).where(
            AdAccount.platform == body.platform, AdAccount.account_id == body.account_id
        )
    )
    if existing is not None:
        raise Conflict("This ad account is already configured.")
    account = AdAccount(
        id=uuid7(),
        platform=body.platform,
        account_id=body.account_id,
        name=body.name,
        credential_id=body.credential_id,
        timezone=body.timezone,
        currency=body.currency,
        conversion_types=list(body.conversion_types),
        is_active=True,
    )
    bi.add(account)
    await bi.flush()
    await bi.refresh(account)
    return account


async def list_accounts(bi: AsyncSession) -> list[AdAccount]:
    """The organization's ad accounts, by platform and account id."""
    return list(
        await bi.scalars(select(AdAccount).order_by(AdAccount.platform, AdAccount.account_id))
    )


async def get_account(bi: AsyncSession, account_id: uuid.UUID) -> AdAccount:
    """One of the organization's ad accounts (404 otherwise)."""
    account = await bi.get(AdAccount, account_id)
    if account is None:
        raise NotFound("Ad account not found.")
    return account


async def delete_account(bi: AsyncSession, account_id: uuid.UUID) -> None:
    """Stop importing the account (the spend already imported stays)."""
    await bi.delete(await get_account(bi, account_id))
    await bi.flush()


# --- import runs -------------------------------------------------------------------------------


async def create_import(
    bi: AsyncSession,
    *,
    kind: str,
    platform: str,
    account: AdAccount | None,
    date_from: date | None,
    date_to: date | None,
    status: str = "queued",
) -> AdSpendImport:
    """A new import run in the log."""
    run = AdSpendImport(
        id=uuid7(),
        ad_account_id=account.id if account else None,
        platform=platform,
        account_id=account.account_id if account else None,
        kind=kind,
        date_from=date_from,
        date_to=date_to,
        status=status,
        rows=0,
        errors=[],
        days_total=(date_to - date_from).days + 1 if date_from and date_to else 0,
        days_done=0,
    )
    bi.add(run)
    await bi.flush()
    await bi.refresh(run)
    return run


async def list_imports(
    bi: AsyncSession, params: PageParams, *, ad_account_id: uuid.UUID | None = None
) -> tuple[Sequence[AdSpendImport], int]:
    """The import runs, newest first."""
    statement = select(AdSpendImport).order_by(AdSpendImport.created_at.desc(), AdSpendImport.id)
    if ad_account_id is not None:
        statement = statement.where(AdSpendImport.ad_account_id == ad_account_id)
    return await paginate(bi, statement, params)


async def latest_imports(bi: AsyncSession) -> dict[uuid.UUID, AdSpendImport]:
    """Each ad account's newest import run, by account."""
    runs = await bi.scalars(
        select(AdSpendImport)
        .where(AdSpendImport.ad_account_id.is_not(None))
        .order_by(
            AdSpendImport.ad_account_id,
            AdSpendImport.created_at.desc(),
            AdSpendImport.id.desc(),
        )
        .ext(distinct_on(AdSpendImport.ad_account_id))
    )
    return {run.ad_account_id: run for run in runs if run.ad_account_id is not None}


# --- rows (written by `spend_store`) ---------------------------------------------------


def _rows_query(
    date_from: date,
    date_to: date,
    platform: str | None,
    account_id: str | None,
    campaign_id: str | None,
) -> Select[Any]:
    m = CampaignMetric

    def same(table: Any) -> Any:
        return and_(
            table.organization_id == m.organization_id,
            table.platform == m.platform,
            table.account_id == m.account_id,
        )

    statement: Select[Any] = (
        select(  # type: ignore[assignment]
            m,
            AdCampaign.name.label("campaign_name"),
            AdSet.name.label("ad_set_name"),
            Ad.name.label("ad_name"),
        )
        .outerjoin(AdCampaign, and_(same(AdCampaign), AdCampaign.campaign_id == m.campaign_id))
        .outerjoin(AdSet, and_(same(AdSet), AdSet.ad_set_id == m.ad_set_id))
        .outerjoin(Ad, and_(same(Ad), Ad.ad_id == m.ad_id))
        .where(m.day >= date_from, m.day <= date_to)
        .order_by(m.day, m.platform, m.account_id, m.campaign_id, m.ad_id)
    )
    if platform is not None:
        statement = statement.where(m.platform == platform)
    if account_id is not None:
        statement = statement.where(m.account_id == account_id)
    if campaign_id is not None:
        statement = statement.where(m.campaign_id == campaign_id)
    return statement


async def list_rows(
    bi: AsyncSession,
    params: PageParams,
    *,
    date_from: date,
    date_to: date,
    platform: str | None = None,
    account_id: str | None = None,
    campaign_id: str | None = None,
) -> tuple[list[schemas.SpendRow], int]:
    """The spend rows of a range of days (each in its account's timezone), with the
    current names of their campaign, ad set and ad."""
    if date_to < date_from:
        raise UnprocessableEntity(
            "date_to is before date_from.",
            details=[{"loc": "query.date_to", "message": "on or after date_from", "type": "range"}],
        )
    statement = _rows_query(date_from, date_to, platform, account_id, campaign_id)
    total = await bi.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    result = await bi.execute(statement.limit(params.page_size).offset(params.offset))
    items = []
    for metric, campaign_name, ad_set_name, ad_name in result.all():
        items.append(
            schemas.SpendRow(
                **{
                    c: getattr(metric, c)
                    for c in schemas.SpendRow.model_fields
                    if hasattr(metric, c)
                },
                campaign_name=campaign_name,
                ad_set_name=ad_set_name,
                ad_name=ad_name,
            )
        )
    return items, int(total or 0)


# Clicks per INSERT (8 parameters each, under PostgreSQL's 32,767 bind parameters).
CLICK_BATCH = 2000


async def store_clicks(bi: AsyncSession, origin: RowOrigin, rows: Sequence[ClickRow]) -> int:
    """Upsert clicks on (platform, click id): the campaign, ad group and ad of each click
    id (the platform's latest answer wins); returns how many were written."""
    values = {
        row.click_id: {
            "organization_id": origin.organization_id,
            "platform": origin.platform,
            "click_id": row.click_id,
            "account_id": origin.account_id,
            "campaign_id": row.campaign_id,
            "ad_set_id": row.ad_set_id,
            "ad_id": row.ad_id,
            "day": row.day,
        }
        for row in rows
    }
    ordered = [values[key] for key in sorted(values)]  # stable lock order
    for start in range(0, len(ordered), CLICK_BATCH):
        statement = insert(AdClick).values(ordered[start : start + CLICK_BATCH])
        await bi.execute(
            statement.on_conflict_do_update(
                index_elements=["organization_id", "platform", "click_id"],
                set_={
                    name: statement.excluded[name]
                    for name in ("account_id", "campaign_id", "ad_set_id", "ad_id", "day")
                },
            )
        )
    return len(values)
