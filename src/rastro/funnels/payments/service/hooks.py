"""`on_payment_status_changed`: what reacts to a payment's new status, without the
payments service knowing it (the live monitor, the e-mail sequences, the recovery cases;
the sale's lead and conversion are queued by the status change itself, see
`outcomes`). Listeners are awaited inside the change's transaction with the
change as a frozen `schemas.PaymentStatusChanged`; work that must not slow the request
(a lead, a conversion, a broadcast after commit) is enqueued there, not done."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from rastro.funnels.payments.schemas import PaymentStatusChanged

PaymentListener = Callable[[AsyncSession, PaymentStatusChanged], Awaitable[None]]
_LISTENERS: list[PaymentListener] = []


def on_payment_status_changed(listener: PaymentListener) -> PaymentListener:
    """Register a listener (as a decorator); registering one twice keeps one."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


async def notify(session: AsyncSession, change: PaymentStatusChanged) -> None:
    for listener in list(_LISTENERS):
        await listener(session, change)
