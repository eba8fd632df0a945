"""Abandoned checkouts: a visitor who left contact data in the funnel (a lead captured
in their tracked session) and reached a checkout step, then went quiet for the funnel's
`checkout_delay_minutes` without generating a charge, becomes a recovery case, once per
session and checkout step (its amount and product are the checkout's offer).

The sessions come from the tracking (`sessions_left_on_steps`: last seen on one of the
enabled funnels' checkout steps, idle for at least the smallest delay and at most
`MAX_AGE`); a session with any payment in the funnel is left to the unpaid-charge
detection (`service.unpaid`). The case is inserted with `ON CONFLICT DO NOTHING` on
(organization, step, session), so two runs make one case and one set of actions.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import SYSTEM, Scope
from rastro.core.ids import uuid7
from rastro.core.units import TransactionBoundary
from rastro.crm.service.facts import session_contact
from rastro.funnels.builder.service.checkout import find_checkout_config
from rastro.funnels.builder.service.steps import active_checkout_steps
from rastro.funnels.payments.models import Payment
from rastro.funnels.recovery.models import RecoveryCase, RecoverySettings
from rastro.funnels.recovery.service.actions import (
    MAX_AGE,
    Detected,
    LinkSigner,
    campaign_of,
    open_actions,
)
from rastro.funnels.recovery.service.settings import DEFAULTS, effective_settings
from rastro.tracking.service.funnel_steps import SessionOnStep, sessions_left_on_steps

MIN_DELAY = timedelta(minutes=5)


async def _enabled_steps(crm: TransactionBoundary) -> dict[uuid.UUID, timedelta]:
    """The delay of every active checkout step whose funnel's recovery is on."""
    async with crm.unit(SYSTEM) as session:
        steps = await active_checkout_steps(session)
        saved = {
            row.funnel_id: row
            for row in await session.scalars(
                select(RecoverySettings).where(
                    RecoverySettings.funnel_id.in_({funnel for _, _, funnel in steps})
                )
            )
        }
    delays: dict[uuid.UUID, timedelta] = {}
    for step_id, _, funnel_id in steps:
        settings = saved.get(funnel_id)
        enabled = settings.enabled if settings else DEFAULTS.enabled
        minutes = settings.checkout_delay_minutes if settings else DEFAULTS.checkout_delay_minutes
        if enabled:
            delays[step_id] = timedelta(minutes=minutes)
    return delays


async def detect_abandoned(
    crm: TransactionBoundary,
    bi: TransactionBoundary,
    *,
    signer: LinkSigner,
    now: datetime,
) -> list[Detected]:
    """Every organization's abandoned checkouts become cases with their actions."""
    delays = await _enabled_steps(crm)
    if not delays:
        return []
    async with bi.unit(SYSTEM) as session:
        left = await sessions_left_on_steps(
            session, step_ids=list(delays), idle_before=now - MIN_DELAY, active_after=now - MAX_AGE
        )
    detected: list[Detected] = []
    for visit in left:
        if visit.last_activity_at > now - delays[visit.step_id]:
            continue
        # The cheap checks first: most sessions left on a checkout have no contact data.
        async with crm.unit(Scope.organization(visit.organization_id)) as session:
            if not await _recoverable(session, visit):
                continue
        utm_source, utm_campaign = await campaign_of(
            bi, visit.organization_id, visit.client_session_id
        )
        async with crm.unit(Scope.organization(visit.organization_id)) as session:
            made = await open_checkout_case(
                session,
                visit,
                signer=signer,
                now=now,
                utm_source=utm_source,
                utm_campaign=utm_campaign,
            )
        if made is not None:
            detected.append(made)
    return detected


async def _recoverable(session: AsyncSession, visit: SessionOnStep) -> bool:
    """No case yet for the session on this step, no charge of the session in the funnel,
    and a lead captured in the session (its contact data)."""
    ids = {visit.client_session_id, visit.session_id}
    known = await session.scalar(
        select(RecoveryCase.id)
        .where(
            RecoveryCase.step_id == visit.step_id,
            RecoveryCase.session_id == visit.client_session_id,
            RecoveryCase.payment_id.is_(None),
        )
        .limit(1)
    )
    charged = await session.scalar(
        select(Payment.id)
        .where(Payment.funnel_id == visit.funnel_id, Payment.session_id.in_(ids))
        .limit(1)
    )
    if known is not None or charged is not None:
        return False
    return await session_contact(session, ids) is not None


async def open_checkout_case(
    session: AsyncSession,
    visit: SessionOnStep,
    *,
    signer: LinkSigner,
    now: datetime,
    utm_source: str | None,
    utm_campaign: str | None,
) -> Detected | None:
    """The abandoned checkout's case and actions; None when it has one already, the
    session made a charge in the funnel, left no contact data, or the step sells nothing."""
    settings = await effective_settings(session, visit.funnel_id)
    if settings is None or not settings.enabled or not await _recoverable(session, visit):
        return None
    contact = await session_contact(session, {visit.client_session_id, visit.session_id})
    offer = await find_checkout_config(session, visit.step_id)
    if contact is None or offer is None:
        return None
    name, email, phone = contact
    case_id = await session.scalar(
        insert(RecoveryCase)
        .values(
            id=uuid7(),
            organization_id=visit.organization_id,
            funnel_id=visit.funnel_id,
            step_id=visit.step_id,
            kind="checkout_abandoned",
            payment_id=None,
            session_id=visit.client_session_id,
            visitor_id=visit.visitor_id,
            utm_source=utm_source,
            utm_campaign=utm_campaign,
            contact={k: v for k, v in (("name", name), ("email", email), ("phone", phone)) if v},
            product_name=offer.product_name,
            amount=offer.product_price,
            currency=offer.currency,
            detected_at=now,
            resume_expires_at=now + timedelta(hours=settings.link_valid_hours),
        )
        .on_conflict_do_nothing(
            index_elements=["organization_id", "step_id", "session_id"],
            index_where=RecoveryCase.payment_id.is_(None),
        )
        .returning(RecoveryCase.id)
    )
    if case_id is None:
        return None
    row = await session.get(RecoveryCase, case_id)
    assert row is not None
    channels = await open_actions(session, row, settings, payment=None, signer=signer, now=now)
    return Detected(visit.organization_id, case_id, tuple(channels))
