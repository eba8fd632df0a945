"""What modules built on the CRM plug into it, registered when they are imported: the CRM
announces, they subscribe, and the CRM never imports them (layering: integrations → crm).

- `on_leads_created`: listeners awaited when the outbox applies new leads, in the claiming
  CRM transaction (so what they queue commits with the delivery mark);
- `on_deals_changed`: listeners awaited in the transaction that created, changed or deleted
  deals of some leads (a sale's product, payment method, refund or chargeback);
- `provide_push_history`: the one reader of a lead's push attempts shown on its page.

Stage changes have their own listeners (`pipeline.on_stage_changed`).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from rastro.crm.schemas import IntegrationLogEntry

# (the CRM session, the organization, its new leads' ids)
LeadsCreatedListener = Callable[[AsyncSession, uuid.UUID, Sequence[uuid.UUID]], Awaitable[None]]
# (session, lead id, at most this many) -> the lead's push attempts, newest first
PushHistoryReader = Callable[
    [AsyncSession, uuid.UUID, int], Awaitable[Sequence[IntegrationLogEntry]]
]

# (the CRM session, the organization, the leads whose deals changed)
DealsChangedListener = Callable[[AsyncSession, uuid.UUID, Sequence[uuid.UUID]], Awaitable[None]]

_created_listeners: list[LeadsCreatedListener] = []
_deal_listeners: list[DealsChangedListener] = []
_push_history: list[PushHistoryReader] = []


def on_leads_created(listener: LeadsCreatedListener) -> LeadsCreatedListener:
    """Register `listener` to be awaited for every batch of new leads (usable as a decorator)."""
    if listener not in _created_listeners:
        _created_listeners.append(listener)
    return listener


async def announce_leads_created(
    session: AsyncSession, organization_id: uuid.UUID, lead_ids: Sequence[uuid.UUID]
) -> None:
    """Tell the listeners about these new leads of one organization (lead capture's outbox
    job; the leads' first stage is `new`)."""
    for listener in _created_listeners:
        await listener(session, organization_id, lead_ids)


def on_deals_changed(listener: DealsChangedListener) -> DealsChangedListener:
    """Register `listener` to be awaited when deals of leads change (usable as a decorator)."""
    if listener not in _deal_listeners:
        _deal_listeners.append(listener)
    return listener


async def announce_deals_changed(
    session: AsyncSession, organization_id: uuid.UUID, lead_ids: Sequence[uuid.UUID]
) -> None:
    """Tell the listeners that deals of these leads were created, changed or deleted."""
    if not lead_ids:
        return
    for listener in _deal_listeners:
        await listener(session, organization_id, lead_ids)


def provide_push_history(reader: PushHistoryReader) -> PushHistoryReader:
    """Make `reader` the source of the push attempts on a lead's page (usable as a decorator)."""
    _push_history[:] = [reader]
    return reader


async def push_history(
    session: AsyncSession, lead_id: uuid.UUID, limit: int
) -> list[IntegrationLogEntry]:
    """The lead's push attempts, newest first (none when no module provides them)."""
    if not _push_history:
        return []
    return list(await _push_history[0](session, lead_id, limit))
