"""Pipedrive deal webhooks (v2, and v1's `current` body)."""

from __future__ import annotations

import base64
import binascii
import hmac
from datetime import datetime
from typing import Any

from rastro.auth.service.credentials import ResolvedCredential
from rastro.integrations.errors import InvalidWebhookSignature, MalformedWebhook
from rastro.integrations.inbound.base import (
    InboundChange,
    SignedRequest,
    as_object,
    clean_text,
    currency_code,
    first_email,
    money,
    parse_date,
)


class PipedriveInbound:
    """Pipedrive webhooks v2 for deals (v1's `current` body is read too).

    Verification: HTTP Basic with the user and password set on the Pipedrive webhook (they
    document no signature). Event id: `meta.id`, else `meta.entity_id` + `meta.timestamp`.
    Stage key: `status:won` / `status:lost` when the deal is closed, else its `stage_id`; a
    change whose `previous` names neither the stage nor the status only updates the deal.
    """

    name = "pipedrive"
    needs_credential = True
    verification = "HTTP Basic auth (user and password of the Pipedrive webhook)"

    def verify(
        self, request: SignedRequest, credential: ResolvedCredential | None, now: datetime
    ) -> None:
        assert credential is not None
        header = request.headers.get("authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic" or not encoded:
            raise InvalidWebhookSignature("HTTP Basic credentials are required.")
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidWebhookSignature("Malformed HTTP Basic credentials.") from None
        user_ok = hmac.compare_digest(user.encode(), credential.api_key.encode())
        password_ok = hmac.compare_digest(password.encode(), (credential.api_secret or "").encode())
        if not (user_ok and password_ok and credential.api_secret):
            raise InvalidWebhookSignature("Wrong HTTP Basic credentials.")

    def parse(self, body: Any) -> list[InboundChange]:
        if not isinstance(body, dict) or not isinstance(body.get("meta"), dict):
            raise MalformedWebhook("A Pipedrive webhook body has `meta` and `data`.")
        meta = body["meta"]
        data = as_object(body.get("data") if body.get("data") is not None else body.get("current"))
        previous = body.get("previous")
        entity = str(meta.get("entity") or meta.get("object") or "")
        action = str(meta.get("action") or "")
        entity_id = meta.get("entity_id") if meta.get("entity_id") is not None else data.get("id")
        event_id = clean_text(meta.get("id"), 200)
        if event_id is None and entity_id is not None and meta.get("timestamp") is not None:
            event_id = f"{entity_id}:{meta['timestamp']}"
        if event_id is None:
            raise MalformedWebhook("A Pipedrive webhook needs `meta.id` or entity id + timestamp.")
        ignore = None
        if entity != "deal":
            ignore = f"not a deal event ({entity or 'no entity'})"
        elif action in ("delete", "deleted"):
            ignore = "deal deletions are not applied"
        status = str(data.get("status") or "")
        stage: tuple[str, ...] = ()
        stage_changed = not isinstance(previous, dict) or bool(
            {"stage_id", "status"} & set(previous)
        )
        if stage_changed:
            if status in ("won", "lost"):
                stage = (f"status:{status}",)
            elif data.get("stage_id") is not None:
                stage = (str(data["stage_id"]),)
        person = as_object(data.get("person"))
        close = data.get("won_time") or data.get("lost_time") or data.get("close_time")
        return [
            InboundChange(
                event_id=event_id,
                record_id=clean_text(entity_id),
                email=first_email(person.get("email") or data.get("person_email")),
                stage_keys=stage,
                value=money(data.get("value")),
                currency=currency_code(data.get("currency")),
                close_date=parse_date(close) if status in ("won", "lost") else None,
                reason=clean_text(data.get("lost_reason"), 2000),
                deal_name=clean_text(data.get("title")),
                ignore=ignore,
                raw=body,
            )
        ]
