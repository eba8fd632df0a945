"""`on_recovery_opportunity`: the one call point for recovery channels that live outside
the funnels (the e-mail module's recovery sequences).

When the detection job finds an abandoned checkout or an unpaid PIX/boleto, it calls
every registered listener with a frozen `schemas.RecoveryOpportunity` (buyer's first
name, e-mail, phone, product, amount, the PIX copia e cola while it is valid, the signed
resume link), inside the detection's transaction, once per case. A listener queues its
work (it must not send from there) and returns the channel it took — `"email"` — or
None when it did nothing; the recovery records that channel's action once per case as
sent, so the report counts it.

Wired: `service.mail` (registered by this module's `module.py`) hands the case to the
e-mail module's `checkout_abandoned` / `pix_unpaid` sequences with the resume link.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from rastro.funnels.recovery.models import CHANNELS
from rastro.funnels.recovery.schemas import RecoveryOpportunity

RecoveryListener = Callable[[AsyncSession, RecoveryOpportunity], Awaitable[str | None]]
_LISTENERS: list[RecoveryListener] = []


def on_recovery_opportunity(listener: RecoveryListener) -> RecoveryListener:
    """Register a listener (as a decorator); registering one twice keeps one."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def remove_listener(listener: RecoveryListener) -> None:
    if listener in _LISTENERS:
        _LISTENERS.remove(listener)


async def notify(session: AsyncSession, opportunity: RecoveryOpportunity) -> list[str]:
    """Call every listener; the known channels they took, each once."""
    taken: list[str] = []
    for listener in list(_LISTENERS):
        channel = await listener(session, opportunity)
        if channel in CHANNELS and channel not in taken:
            taken.append(channel)
    return taken
