"""The status rule, over every pair of statuses: forward moves apply, the same status is a
replay, everything else is backwards."""

from __future__ import annotations

import itertools
import uuid

import pytest

from rastro.funnels.payments.statuses import (
    STATUSES,
    Transition,
    purchase_event_id,
    transition,
)

FORWARD = {
    ("pending", "paid"),
    ("pending", "failed"),
    ("pending", "cancelled"),
    ("pending", "expired"),
    ("failed", "paid"),
    ("cancelled", "paid"),
    ("expired", "paid"),
    ("paid", "refunded"),
    ("paid", "chargedback"),
}


@pytest.mark.parametrize(("current", "proposed"), list(itertools.product(STATUSES, STATUSES)))
def test_every_pair(current: str, proposed: str) -> None:
    expected = (
        Transition.SAME
        if current == proposed
        else Transition.APPLY
        if (current, proposed) in FORWARD
        else Transition.BACKWARDS
    )
    assert transition(current, proposed) is expected


def test_no_cycle_can_be_built() -> None:
    """Following allowed moves from any status never comes back to it."""

    def reachable(start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            status = todo.pop()
            for nxt in STATUSES:
                if transition(status, nxt) is Transition.APPLY and nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    for status in STATUSES:
        assert status not in reachable(status)
    assert reachable("refunded") == set()
    assert reachable("chargedback") == set()
    assert "pending" not in reachable("pending") | reachable("paid")


def test_unknown_status_is_an_error() -> None:
    with pytest.raises(ValueError):
        transition("pending", "approved")


def test_purchase_event_id_is_stable() -> None:
    payment_id = uuid.UUID("01890a5d-ac96-774b-bcce-b302099a8057")
    assert purchase_event_id(payment_id) == "purchase-01890a5d-ac96-774b-bcce-b302099a8057"
    assert purchase_event_id(payment_id) == purchase_event_id(uuid.UUID(str(payment_id)))
