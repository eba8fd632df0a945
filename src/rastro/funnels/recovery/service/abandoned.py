"""Abandoned checkouts: a visitor who left contact data — typed in the checkout's form
(`service.starts`) or captured as a lead earlier in the funnel in their tracked session
— and reached a checkout step, then went quiet for the funnel's `checkout_delay_minutes`
without generating a charge, becomes a recovery case, once per session and checkout step
(its amount and product are the checkout's offer).

The sessions come from the checkout starts and from the tracking
(`sessions_left_on_steps`: last seen on one of the enabled funnels' checkout steps, idle
for at least the smallest delay and at most `MAX_AGE`); a session with any payment in the
funnel is left to the unpaid-charge detection (`service.unpaid`). The case is inserted
with `ON CONFLICT DO NOTHING` on (organization, step, session), so two runs, or a start
and a lead of the same session, make one case and one set of actions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import SYSTEM, Scope
from rastro.core.ids import uuid7
from rastro.core.units import TransactionBoundary
from rastro.crm.service.facts import session_contact
from rastro.funnels.builder.service.checkout import find_checkout_config
from rastro.funnels.builder.service.checkout_steps import active_checkout_steps
from rastro.funnels.payments.models import Payment
from rastro.funnels.recovery.models import (
    RecoveryCase,
    RecoveryCheckoutStart,
    RecoverySettings,
    contact_indexes,
)
from rastro.funnels.recovery.service.actions import (
    MAX_AGE,
    Detected,
    LinkSigner,
    campaign_of,
    open_actions,
)
from rastro.funnels.recovery.service.settings import DEFAULTS, effective_settings
from rastro.tracking.service.step_sessions import sessions_left_on_steps

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


@dataclass(frozen=True)
class _Left:
    """A session left on a checkout step: from the tracking (contact from its lead) or
    from a checkout start (contact as typed)."""

    organization_id: uuid.UUID
    funnel_id: uuid.UUID
    step_id: uuid.UUID
    session_id: str  # the tracker's id
    other_ids: frozenset[str]  # the server's id too, for payments and leads
    visitor_id: str | None
    idle_since: datetime
    contact: dict[str, Any] | None = None  # None: the lead's
    token: str | None = None  # a checkout start's form


async def _sessions_left(
    crm: TransactionBoundary,
    bi: TransactionBoundary,
    delays: dict[uuid.UUID, timedelta],
    now: datetime,
) -> list[_Left]:
    async with crm.unit(SYSTEM) as session:
        starts = list(
            await session.scalars(
                select(RecoveryCheckoutStart)
                .where(
                    RecoveryCheckoutStart.step_id.in_(list(delays)),
                    RecoveryCheckoutStart.updated_at <= now - MIN_DELAY,
                    RecoveryCheckoutStart.updated_at > now - MAX_AGE,
                )
                .order_by(RecoveryCheckoutStart.updated_at.desc())
                .limit(1000)
            )
        )
        left = [
            _Left(
                organization_id=start.organization_id,
                funnel_id=start.funnel_id,
                step_id=start.step_id,
                session_id=start.session_id,
                other_ids=frozenset({start.session_id}),
                visitor_id=start.visitor_id,
                idle_since=start.updated_at,
                contact=dict(start.contact),
                token=start.token,
            )
            for start in starts
        ]
    async with bi.unit(SYSTEM) as session:
        visits = await sessions_left_on_steps(
            session, step_ids=list(delays), idle_before=now - MIN_DELAY, active_after=now - MAX_AGE
        )
    left += [
        _Left(
            organization_id=visit.organization_id,
            funnel_id=visit.funnel_id,
            step_id=visit.step_id,
            session_id=visit.client_session_id,
            other_ids=frozenset({visit.client_session_id, visit.session_id}),
            visitor_id=visit.visitor_id,
            idle_since=visit.last_activity_at,
        )
        for visit in visits
    ]
    return [one for one in left if one.idle_since <= now - delays[one.step_id]]


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
    detected: list[Detected] = []
    for left in await _sessions_left(crm, bi, delays, now):
        # The cheap checks first: most sessions left on a checkout have no contact data.
        async with crm.unit(Scope.organization(left.organization_id)) as session:
            contact = await _recoverable(session, left)
        if contact is None:
            continue
        utm_source, utm_campaign = await campaign_of(bi, left.organization_id, left.session_id)
        async with crm.unit(Scope.organization(left.organization_id)) as session:
            made = await open_checkout_case(
                session,
                left,
                signer=signer,
                now=now,
                utm_source=utm_source,
                utm_campaign=utm_campaign,
            )
        if made is not None:
            detected.append(made)
    return detected


async def _recoverable(session: AsyncSession, left: _Left) -> dict[str, Any] | None:
    """The contact to recover, when the session has no case yet on this step, no charge
    in the funnel (nor from the start's form), and contact data (typed or its lead's)."""
    known = await session.scalar(
        select(RecoveryCase.id)
        .where(
            RecoveryCase.step_id == left.step_id,
            RecoveryCase.session_id == left.session_id,
            RecoveryCase.payment_id.is_(None),
        )
        .limit(1)
    )
    charged_by: list[ColumnElement[bool]] = [Payment.session_id.in_(left.other_ids)]
    if left.token is not None:
        charged_by.append(Payment.idempotency_key == f"funnel-checkout:{left.token}")
    charged = await session.scalar(
        select(Payment.id).where(Payment.funnel_id == left.funnel_id, or_(*charged_by)).limit(1)
    )
    if known is not None or charged is not None:
        return None
    if left.contact is not None:
        return left.contact
    lead = await session_contact(session, left.other_ids)
    if lead is None:
        return None
    name, email, phone = lead
    return {k: v for k, v in (("name", name), ("email", email), ("phone", phone)) if v}


async def open_checkout_case(
    session: AsyncSession,
    left: _Left,
    *,
    signer: LinkSigner,
    now: datetime,
    utm_source: str | None,
    utm_campaign: str | None,
) -> Detected | None:
    """The abandoned checkout's case and actions; None when it has one already, the
    session made a charge in the funnel, left no contact data, or the step sells nothing."""
    settings = await effective_settings(session, left.funnel_id)
    if settings is None or not settings.enabled:
        return None
    contact = await _recoverable(session, left)
    offer = await find_checkout_config(session, left.step_id)
    if contact is None or offer is None:
        return None
    case_id = await session.scalar(
        insert(RecoveryCase)
        .values(
            id=uuid7(),
            organization_id=left.organization_id,
            funnel_id=left.funnel_id,
            step_id=left.step_id,
            kind="checkout_abandoned",
            payment_id=None,
            session_id=left.session_id,
            visitor_id=left.visitor_id,
            utm_source=utm_source,
            utm_campaign=utm_campaign,
            contact=contact,
            **contact_indexes(contact),
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
    return Detected(left.organization_id, case_id, tuple(channels))
