"""A payment's statuses and the one rule for changing them: never backwards.

```
pending ─┬─> paid ─┬─> refunded
         │         └─> chargedback
         ├─> failed ──────┐
         ├─> cancelled ───┼─> paid   (the money arrived after all: a late confirmation
         └─> expired ─────┘           of a charge that expired or failed on our side)
```

`refunded` and `chargedback` are final. Anything else — the same status again (a
replayed webhook), a paid payment reported pending, an expired one refunded — is not
applied. `transition` is pure; the service applies what it allows.
"""

from __future__ import annotations

import enum
import uuid
from typing import Literal

PaymentStatus = Literal[
    "pending", "paid", "failed", "cancelled", "expired", "refunded", "chargedback"
]
STATUSES: tuple[PaymentStatus, ...] = (
    "pending",
    "paid",
    "failed",
    "cancelled",
    "expired",
    "refunded",
    "chargedback",
)
FINAL: frozenset[str] = frozenset({"refunded", "chargedback"})
# Statuses a paid payment's conversion reports (UTMify order statuses).
SOLD: frozenset[str] = frozenset({"paid", "refunded", "chargedback"})

_ALLOWED: dict[str, frozenset[str]] = {
    "pending": frozenset({"paid", "failed", "cancelled", "expired"}),
    "failed": frozenset({"paid"}),
    "cancelled": frozenset({"paid"}),
    "expired": frozenset({"paid"}),
    "paid": frozenset({"refunded", "chargedback"}),
    "refunded": frozenset(),
    "chargedback": frozenset(),
}


class Transition(enum.StrEnum):
    APPLY = "apply"  # a move forward: store it
    SAME = "same"  # already in that status (a replay): nothing to do
    BACKWARDS = "backwards"  # not allowed from the current status: ignored


def transition(current: str, proposed: str) -> Transition:
    """Whether a payment in `current` may move to `proposed`."""
    if current not in _ALLOWED or proposed not in _ALLOWED:
        raise ValueError(f"unknown payment status {current!r} -> {proposed!r}")
    if current == proposed:
        return Transition.SAME
    if proposed in _ALLOWED[current]:
        return Transition.APPLY
    return Transition.BACKWARDS


def allowed_from(proposed: str) -> tuple[str, ...]:
    """The statuses a payment may move to `proposed` from (`transition`'s rule read the
    other way: what a single UPDATE checks)."""
    if proposed not in _ALLOWED:
        raise ValueError(f"unknown payment status {proposed!r}")
    return tuple(current for current in STATUSES if proposed in _ALLOWED[current])


def purchase_event_id(payment_id: uuid.UUID) -> str:
    """The event id of a payment's purchase, the same in the browser and on the server:
    `purchase-<payment id>`. The checkout's thank-you page puts it in the Meta / TikTok
    pixel's Purchase event (`eventID` / `event_id`), and the server-side conversion
    sends it as its order id (Meta CAPI `event_id`, TikTok `event_id`, Google
    `orderId`, UTMify `orderId`), so each platform counts the sale once."""
    return f"purchase-{payment_id}"
