"""The CRM's lead outcomes copied into the BI database (`conversion_facts`), where the
reports join them with sessions and touches.

A new lead, every stage change and every change of a lead's deal (its sale, a refund, a
chargeback) publish an outbox message in the CRM transaction that made them
(`on_leads_created`, `pipeline.on_stage_changed`, `on_deals_changed`: the CRM announces,
this module subscribes); its handler reads the leads' current outcomes and overwrites their rows,
so a message delivered twice, or late, leaves the row equal to the lead. `rebuild_facts`
copies every lead (the first deploy, or after a restore).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.analytics.models import ConversionFact
from rastro.auth.service import accounts
from rastro.core import outbox
from rastro.core.db import Databases, Scope
from rastro.core.units import TransactionBoundary
from rastro.crm.schemas import LeadOutcome, LeadStageChanged
from rastro.crm.service import facts as crm_facts
from rastro.crm.service import hooks, pipeline
from rastro.tracking.channels import DIRECT
from rastro.tracking.service import facts as tracking_facts

LEADS_CHANGED = "analytics.leads_changed"
SCORE_POINTS = {"A": 4, "B": 3, "C": 2, "D": 1}
REBUILD_PAGE = 2000
# Leads per statement: PostgreSQL's protocol takes at most 65,535 parameters per statement,
# and a row of `conversion_facts` has about 32 columns (one parameter each).
STATEMENT_ROWS = 1000
SALE_COLUMNS = (
    "product",
    "payment_method",
    "affiliate_commission",
    "refunded_amount",
    "refunded_at",
    "chargeback_amount",
    "chargeback_at",
)


@hooks.on_leads_created
async def _leads_created(
    session: AsyncSession, organization_id: uuid.UUID, lead_ids: Sequence[uuid.UUID]
) -> None:
    await outbox.publish(
        session, organization_id, LEADS_CHANGED, {"lead_ids": [str(i) for i in lead_ids]}
    )


@hooks.on_deals_changed
async def _deals_changed(
    session: AsyncSession, organization_id: uuid.UUID, lead_ids: Sequence[uuid.UUID]
) -> None:
    # A won deal's sale (product, payment method, refund, chargeback) is part of the row.
    await outbox.publish(
        session, organization_id, LEADS_CHANGED, {"lead_ids": [str(i) for i in lead_ids]}
    )


@pipeline.on_stage_changed
async def _stage_changed(session: AsyncSession, change: LeadStageChanged) -> None:
    await outbox.publish(
        session, change.organization_id, LEADS_CHANGED, {"lead_ids": [str(change.lead_id)]}
    )


@outbox.handler(LEADS_CHANGED)
async def _apply_leads_changed(
    databases: Databases,
    crm: AsyncSession,
    organization_id: uuid.UUID,
    messages: list[outbox.Message],
) -> None:
    lead_ids = sorted({uuid.UUID(i) for message in messages for i in message.payload["lead_ids"]})
    currency = (await accounts.get_organization(crm, organization_id)).currency
    async with databases.bi.transaction(Scope.organization(organization_id)) as bi:
        # Many messages gathered at once (a fast capture, an import) name thousands of
        # leads: read and write them in slices that stay under the protocol's limit.
        for start in range(0, len(lead_ids), STATEMENT_ROWS):
            chunk = lead_ids[start : start + STATEMENT_ROWS]
            outcomes = await crm_facts.lead_outcomes(crm, chunk)
            await store_outcomes(bi, organization_id, outcomes, currency=currency)


async def _touches(bi: AsyncSession, outcomes: Sequence[LeadOutcome]) -> dict[uuid.UUID, Any]:
    """The credited touches of these leads, by touch id (one query)."""
    ids = {o.utm_tracking_id for o in outcomes if o.utm_tracking_id is not None}
    if not ids:
        return {}
    dims = tracking_facts.touch_dimensions().subquery()
    rows = await bi.execute(select(dims).where(dims.c.tracking_id.in_(ids)))
    return {row.tracking_id: row for row in rows}


def _row(
    organization_id: uuid.UUID, outcome: LeadOutcome, touch: Any, currency: str
) -> dict[str, Any]:
    won = outcome.won_at is not None
    return {
        "organization_id": organization_id,
        "lead_id": outcome.lead_id,
        "created_at": outcome.created_at,
        "session_id": outcome.session_id,
        "visitor_ids": list(outcome.visitor_ids),
        "domain_id": outcome.domain_id,
        "landing_page_id": outcome.page_id,
        # The credited touch's dimensions; the lead's own snapshot when no touch is known.
        "channel": (touch.channel if touch else outcome.channel) or DIRECT,
        "source": touch.source if touch else outcome.source,
        "medium": touch.medium if touch else outcome.medium,
        "campaign": touch.campaign if touch else outcome.campaign,
        "content": touch.content if touch else None,
        "term": touch.term if touch else None,
        "utm_id": touch.utm_id if touch else None,
        "click_id": touch.click_id if touch else None,
        "device": touch.device if touch else None,
        "score_points": SCORE_POINTS.get(outcome.score, 1),
        "time_to_conversion": outcome.time_to_conversion,
        "stage": outcome.stage,
        "qualified_at": outcome.qualified_at,
        "won_at": outcome.won_at,
        "lost_at": outcome.lost_at,
        "revenue": outcome.value if won else None,
        "currency": outcome.currency or currency,
        # The sale and the money given back, against this row's credited touch (its campaign).
        **{name: getattr(outcome, name) if won else None for name in SALE_COLUMNS},
        "updated_at": datetime.now(UTC),
    }


async def store_outcomes(
    bi: AsyncSession,
    organization_id: uuid.UUID,
    outcomes: Sequence[LeadOutcome],
    *,
    currency: str,
) -> None:
    """Write these leads' outcomes over their `conversion_facts` rows (one statement per
    `STATEMENT_ROWS` leads); rows already equal to their outcome are left as they are."""
    unique = list({o.lead_id: o for o in outcomes}.values())
    for start in range(0, len(unique), STATEMENT_ROWS):
        await _upsert(bi, organization_id, unique[start : start + STATEMENT_ROWS], currency)


async def _upsert(
    bi: AsyncSession, organization_id: uuid.UUID, outcomes: Sequence[LeadOutcome], currency: str
) -> None:
    touches = await _touches(bi, outcomes)
    rows = [
        _row(
            organization_id,
            o,
            touches.get(o.utm_tracking_id) if o.utm_tracking_id else None,
            currency,
        )
        for o in outcomes
    ]
    statement = insert(ConversionFact).values(rows)
    updated = {c: statement.excluded[c] for c in rows[0] if c not in ("lead_id",)}
    # A row equal to the lead keeps its `updated_at`: the next rollup refresh rewrites only
    # the days of outcomes that changed (a rebuild rewrites nothing it had already).
    compared = [c for c in updated if c != "updated_at"]
    changed = tuple_(*(ConversionFact.__table__.c[c] for c in compared)).is_distinct_from(
        tuple_(*(statement.excluded[c] for c in compared))
    )
    await bi.execute(
        statement.on_conflict_do_update(index_elements=["lead_id"], set_=updated, where=changed)
    )


async def rebuild_facts(
    crm_boundary: TransactionBoundary, bi_boundary: TransactionBoundary, organization_id: uuid.UUID
) -> int:
    """Copy every lead of the organization into `conversion_facts` (pages of
    `REBUILD_PAGE`, one BI transaction each); returns the number of leads copied."""
    scope = Scope.organization(organization_id)
    after: uuid.UUID | None = None
    copied = 0
    while True:
        async with crm_boundary.unit(scope) as crm:
            outcomes = await crm_facts.lead_outcomes(crm, after=after, limit=REBUILD_PAGE)
            currency = (await accounts.get_organization(crm, organization_id)).currency
        if not outcomes:
            return copied
        async with bi_boundary.unit(scope) as bi:
            await store_outcomes(bi, organization_id, outcomes, currency=currency)
        copied += len(outcomes)
        after = outcomes[-1].lead_id
