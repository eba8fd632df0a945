"""RD Station CRM deal webhooks."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

import orjson

from rastro.auth.service.credentials import ResolvedCredential
from rastro.integrations.errors import InvalidWebhookSignature, MalformedWebhook
from rastro.integrations.inbound.base import (
    InboundChange,
    SignedRequest,
    as_object,
    clean_text,
    first_email,
    money,
    parse_date,
)


class RdStationInbound:
    """RD Station CRM deal webhooks (`crm_deal_created` / `crm_deal_updated`).

    Verification: RD Station documents no signature; the unguessable URL token identifies
    the organization, and when a `rdstation_webhook` credential exists its secret must also
    come in `X-Rastro-Webhook-Secret` (or `?secret=`). Event id: `document.id` +
    `document.updated_at`. Stage key: `status:won` / `status:lost` when closed (`status` or
    `win`), else the stage id, then the stage name. Sales rep: `document.user.email`; lead
    e-mail: the first contact's first e-mail.
    """

    name = "rdstation"
    needs_credential = False
    verification = "URL token, plus X-Rastro-Webhook-Secret when a secret is configured"

    def verify(
        self, request: SignedRequest, credential: ResolvedCredential | None, now: datetime
    ) -> None:
        if credential is None:
            return
        given = request.headers.get("x-rastro-webhook-secret") or request.query.get("secret", "")
        if not given or not hmac.compare_digest(given.encode(), credential.api_key.encode()):
            raise InvalidWebhookSignature("The RD Station webhook secret is missing or wrong.")

    def parse(self, body: Any) -> list[InboundChange]:
        if not isinstance(body, dict) or not isinstance(body.get("document"), dict):
            raise MalformedWebhook(
                "An RD Station CRM webhook body has `event_name` and `document`."
            )
        document = body["document"]
        record_id = clean_text(document.get("id"))
        if record_id is None:
            raise MalformedWebhook("The RD Station document has no `id`.")
        version = (
            clean_text(document.get("updated_at"))
            or hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]
        )
        event_name = str(body.get("event_name") or "")
        ignore = None
        if not event_name.startswith("crm_deal_"):
            ignore = f"not a deal event ({event_name or 'no event_name'})"
        elif event_name == "crm_deal_deleted":
            ignore = "deal deletions are not applied"
        status = str(document.get("status") or "").lower()
        win = document.get("win")
        deal_stage = as_object(document.get("deal_stage"))
        closed = (
            status in ("won", "lost")
            or win is True
            or (win is False and bool(document.get("closed_at")))
        )
        if status in ("won", "lost"):
            stage: tuple[str, ...] = (f"status:{status}",)
        elif win is True:
            stage = ("status:won",)
        elif closed:
            stage = ("status:lost",)
        else:
            stage = tuple(
                s
                for s in (clean_text(deal_stage.get("id")), clean_text(deal_stage.get("name")))
                if s
            )
        contacts = document.get("contacts")
        first_contact = as_object(contacts[0]) if isinstance(contacts, list) and contacts else {}
        lost_reason = as_object(document.get("deal_lost_reason"))
        return [
            InboundChange(
                event_id=f"{record_id}:{version}"[:255],
                record_id=record_id,
                email=first_email(first_contact.get("emails") or first_contact.get("email")),
                stage_keys=stage,
                value=money(document.get("amount_total")),
                close_date=parse_date(document.get("closed_at")) if closed else None,
                sales_rep=first_email(as_object(document.get("user")).get("email")),
                reason=clean_text(lost_reason.get("name"), 2000),
                deal_name=clean_text(document.get("name")),
                ignore=ignore,
                raw=body,
            )
        ]
