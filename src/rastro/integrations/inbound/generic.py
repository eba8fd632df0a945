"""Rastro's own documented CRM webhook (HMAC-signed JSON), for any CRM or automation tool."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from rastro.auth.service.credentials import ResolvedCredential
from rastro.core.errors import UnprocessableEntity, validation_details
from rastro.integrations.errors import InvalidWebhookSignature
from rastro.integrations.inbound.base import InboundChange, SignedRequest, is_fresh
from rastro.integrations.schemas import GenericEvent


class GenericInbound:
    """Our own documented webhook, for any CRM or automation tool that can sign a request.

    Request: `POST /api/webhooks/crm/generic/{token}` with a JSON body (`GenericEvent`:
    `event_id`, one of `lead_id` / `record_id` / `external_id` / `email`, `stage`, and
    optionally `value`, `currency`, `close_date`, `sales_rep`, `reason`, `deal_name`) and
    two headers:

    * `X-Rastro-Timestamp`: the current Unix time in seconds (at most 5 minutes off);
    * `X-Rastro-Signature`: `sha256=` + hex(HMAC-SHA256(secret, timestamp + "." + raw body)),
      the secret being the organization's generic webhook secret (shown once when rotated).

    Signing the timestamp blocks replays of an old delivery; `event_id` dedupes retries.
    """

    name = "generic"
    needs_credential = True
    verification = "X-Rastro-Signature: sha256=HMAC-SHA256(secret, timestamp.body)"

    def verify(
        self, request: SignedRequest, credential: ResolvedCredential | None, now: datetime
    ) -> None:
        assert credential is not None
        timestamp = request.headers.get("x-rastro-timestamp", "")
        signature = request.headers.get("x-rastro-signature", "")
        if not timestamp.isdigit() or not signature.startswith("sha256="):
            raise InvalidWebhookSignature("X-Rastro-Timestamp and X-Rastro-Signature are required.")
        if not is_fresh(int(timestamp), now):
            raise InvalidWebhookSignature("The X-Rastro-Timestamp is too old.")
        expected = hmac.new(
            credential.api_key.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, signature.removeprefix("sha256=").lower()):
            raise InvalidWebhookSignature()

    def parse(self, body: Any) -> list[InboundChange]:
        try:
            event = GenericEvent.model_validate(body)
        except ValidationError as error:
            raise UnprocessableEntity(
                "Some fields are invalid.", details=validation_details(error.errors())
            ) from None
        return [
            InboundChange(
                event_id=event.event_id,
                record_id=event.record_id or event.external_id,
                lead_id=event.lead_id,
                email=event.email,
                stage_keys=(event.stage, event.stage.lower()),
                value=event.value,
                currency=event.currency.upper() if event.currency else None,
                close_date=event.close_date,
                sales_rep=event.sales_rep,
                reason=event.reason,
                deal_name=event.deal_name,
                raw=body if isinstance(body, dict) else {},
            )
        ]
