"""The life of one checkout-platform order, asserted the same way for every platform:
waiting payment → paid (delivered twice: stored once) → a lead and a purchase conversion
→ refund or chargeback (reverses the conversion) → a late "paid" ignored as backwards."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx

from rastro.conversions.models import OfflineConversion
from rastro.crm.models import Deal, Lead
from rastro.funnels.payments.models import Payment, PaymentWebhook
from tests.funnels.payments import factories as f
from tests.helpers import drain_jobs

Send = Callable[[str], Awaitable[httpx.Response]]


async def order_lifecycle(
    databases: Any,
    settings: Any,
    org: f.Org,
    send: Send,
    *,
    external_id: str,
    amount: str,
    email: str,
    tracking: dict[str, str],
    payment_method: str,
    reversal: str | None = "refunded",
) -> Payment:
    """`send(status)` delivers the platform's webhook for pending, paid and `reversal`
    (None: a platform whose docs name no refund; a late "pending" is the backwards move)."""
    waiting = await send("pending")
    assert waiting.status_code == 200, waiting.text
    # A new order is stored pending: its first "waiting payment" is already there.
    assert waiting.json()["results"][0] == {
        "external_id": external_id,
        "outcome": "same",
        "status": "pending",
    }
    (payment,) = await f.rows(databases, org, Payment)
    assert payment.status == "pending"
    assert payment.external_id == external_id
    assert payment.amount == Decimal(amount)
    assert payment.payment_method == payment_method
    assert payment.tracking == tracking

    first = await send("paid")
    assert first.json()["results"][0]["outcome"] == "applied", first.text
    replay = await send("paid")  # the platform retries
    assert replay.status_code == 200
    assert replay.json()["results"][0]["outcome"] == "same"
    await drain_jobs(settings, databases)
    (payment,) = await f.rows(databases, org, Payment)
    assert payment.status == "paid"
    assert payment.paid_at is not None
    (lead,) = await f.rows(databases, org, Lead)
    assert lead.email == email
    if tracking:
        assert lead.metadata_["submitted_attribution"] == tracking
    (conversion,) = await f.rows(databases, org, OfflineConversion)
    assert conversion.order_id == f"purchase-{payment.id}"
    assert conversion.conversion_value == Decimal(amount)
    assert conversion.order_status == "paid"
    (deal,) = await f.rows(databases, org, Deal)
    assert deal.lead_id == lead.lead_id
    assert deal.stage == "won"

    if reversal is None:
        late = await send("pending")
        assert late.json()["results"][0]["outcome"] == "backwards"
        (payment,) = await f.rows(databases, org, Payment)
        assert payment.status == "paid"
        return payment
    reversed_ = await send(reversal)
    assert reversed_.json()["results"][0] == {
        "external_id": external_id,
        "outcome": "applied",
        "status": reversal,
    }
    late = await send("paid")
    assert late.json()["results"][0]["outcome"] == "backwards"
    await drain_jobs(settings, databases)
    (payment,) = await f.rows(databases, org, Payment)
    assert payment.status == reversal
    (conversion,) = await f.rows(databases, org, OfflineConversion)
    assert conversion.order_status == reversal
    log = await f.rows(databases, org, PaymentWebhook)
    assert sorted((row.status, row.outcome) for row in log) == sorted(
        [("pending", "same"), ("paid", "applied"), (reversal, "applied")]
    )
    return payment


async def rejected(response: httpx.Response, databases: Any, org: f.Org) -> None:
    """A delivery that failed the platform's authentication: 401, nothing stored."""
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "invalid_signature"
    assert await f.rows(databases, org, Payment) == []
