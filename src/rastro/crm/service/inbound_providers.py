"""The inbound CRM webhook providers: one class per provider turns a verified raw request into
`InboundChange`s (used by `rastro.crm.service.inbound`)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

import orjson
from pydantic import ValidationError

from rastro.auth.service.credentials import ResolvedCredential
from rastro.core.errors import UnprocessableEntity, validation_details
from rastro.crm.webhook_errors import InvalidWebhookSignature, MalformedWebhook
from rastro.crm.webhook_schemas import GenericEvent

SIGNATURE_TOLERANCE_SECONDS = 300
MAX_VALUE = Decimal("1e12")
CLOSED_STAGES = ("won", "lost")


def hash_email(email: str) -> str:
    """SHA-256 hex of the trimmed, lower-cased e-mail (the form of `Lead.hashed_email`)."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


@dataclass(frozen=True)
class SignedRequest:
    """The parts of an HTTP request a provider's signature covers."""

    method: str
    url: str
    headers: Mapping[str, str]  # case-insensitive (Starlette's Headers)
    query: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class InboundChange:
    """One provider event, read into our terms (the stage still in the provider's words)."""

    event_id: str
    record_id: str | None = None
    lead_id: uuid.UUID | None = None
    email: str | None = None
    # Keys tried, in order, against the stage mapping (e.g. ["status:won"], ["12", "Proposta"]).
    stage_keys: tuple[str, ...] = ()
    value: Decimal | None = None
    currency: str | None = None
    close_date: date | None = None
    sales_rep: str | None = None
    reason: str | None = None
    deal_name: str | None = None
    # Set when the event is of no interest (another object type, a deletion): recorded as
    # `ignored` with this reason.
    ignore: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("raw")
        data["lead_id"] = str(self.lead_id) if self.lead_id else None
        data["stage_keys"] = list(self.stage_keys)
        data["value"] = str(self.value) if self.value is not None else None
        data["close_date"] = self.close_date.isoformat() if self.close_date else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InboundChange:
        return cls(
            event_id=data["event_id"],
            record_id=data.get("record_id"),
            lead_id=uuid.UUID(data["lead_id"]) if data.get("lead_id") else None,
            email=data.get("email"),
            stage_keys=tuple(data.get("stage_keys") or ()),
            value=Decimal(data["value"]) if data.get("value") is not None else None,
            currency=data.get("currency"),
            close_date=date.fromisoformat(data["close_date"]) if data.get("close_date") else None,
            sales_rep=data.get("sales_rep"),
            reason=data.get("reason"),
            deal_name=data.get("deal_name"),
            ignore=data.get("ignore"),
        )


# --- value readers (provider payloads are untrusted: a bad field is dropped, never a 500) ----


def _text(value: Any, limit: int = 255) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text[:limit] or None


def _money(value: Any) -> Decimal | None:
    if value is None or value == "" or isinstance(value, (bool, dict, list)):
        return None
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount < 0 or amount >= MAX_VALUE:
        return None
    return amount


def _currency(value: Any) -> str | None:
    text = _text(value, 10)
    return text.upper() if text and re.fullmatch(r"[A-Za-z]{3}", text) else None


def _date(value: Any) -> date | None:
    """A date from epoch milliseconds/seconds, ISO 8601 or `YYYY-MM-DD HH:MM:SS`."""
    if value is None or value == "" or isinstance(value, (bool, dict, list)):
        return None
    text = str(value).strip()
    try:
        if re.fullmatch(r"\d{10,13}", text):
            number = int(text)
            seconds = number / 1000 if len(text) == 13 else number
            return datetime.fromtimestamp(seconds, UTC).date()
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except (ValueError, OverflowError, OSError):
        return None


def _email(value: Any) -> str | None:
    """An e-mail from a string, `{"email"|"value": ...}` or a list of those (first one)."""
    if isinstance(value, list):
        for item in value:
            found = _email(item)
            if found:
                return found
        return None
    if isinstance(value, dict):
        return _email(value.get("email") or value.get("value"))
    text = _text(value, 320)
    return text if text and "@" in text else None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# --- providers -------------------------------------------------------------------------------


class InboundProvider(Protocol):
    @property
    def name(self) -> str: ...

    # Whether a delivery is refused when no verifying credential is configured.
    @property
    def needs_credential(self) -> bool: ...

    @property
    def verification(self) -> str: ...

    def verify(
        self, request: SignedRequest, credential: ResolvedCredential | None, now: datetime
    ) -> None:
        """Raise `InvalidWebhookSignature` unless the raw request is authentic."""

    def parse(self, body: Any) -> list[InboundChange]:
        """The changes a verified, JSON-decoded body carries."""


def _fresh(timestamp_seconds: float, now: datetime) -> bool:
    return abs(now.timestamp() - timestamp_seconds) <= SIGNATURE_TOLERANCE_SECONDS


# HubSpot v3 signs the URI with these characters decoded (their documented table).
_HUBSPOT_DECODE = {
    "%3A": ":",
    "%2F": "/",
    "%3F": "?",
    "%40": "@",
    "%21": "!",
    "%24": "$",
    "%27": "'",
    "%28": "(",
    "%29": ")",
    "%2A": "*",
    "%2C": ",",
    "%3B": ";",
}


def _hubspot_uri(url: str) -> str:
    return re.sub(
        r"%[0-9A-Fa-f]{2}", lambda m: _HUBSPOT_DECODE.get(m.group(0).upper(), m.group(0)), url
    )


class HubSpotInbound:
    """HubSpot webhooks (v3 signature) for deal events.

    Verification: `X-HubSpot-Signature-v3` = base64(HMAC-SHA256(app client secret,
    method + full URI + raw body + `X-HubSpot-Request-Timestamp`)), the timestamp in
    milliseconds and at most 5 minutes old. Behind a proxy that terminates TLS the app sees
    `http://`; the `https://` form of the same URI is accepted too.

    Body: a JSON array of events. `deal.propertyChange` with `propertyName` `dealstage`
    (the pipeline stage id in `propertyValue`) is a stage change; `deal.creation` is one when
    the batch also carries the deal's `dealstage`. Other properties of the same deal in the
    same batch (`amount`, `closedate`, `deal_currency_code`, `dealname`) travel with the stage
    change; alone they update the lead's deal (or are ignored for an unknown deal). HubSpot
    sends owner ids, not e-mails: changes are recorded as made by `hubspot`.
    """

    name = "hubspot"
    needs_credential = True
    verification = "X-HubSpot-Signature-v3 (HMAC-SHA256 with the app's client secret)"

    def verify(
        self, request: SignedRequest, credential: ResolvedCredential | None, now: datetime
    ) -> None:
        assert credential is not None
        signature = request.headers.get("x-hubspot-signature-v3", "")
        timestamp = request.headers.get("x-hubspot-request-timestamp", "")
        if not signature or not timestamp.isdigit():
            raise InvalidWebhookSignature("The HubSpot v3 signature headers are missing.")
        if not _fresh(int(timestamp) / 1000, now):
            raise InvalidWebhookSignature("The HubSpot request timestamp is too old.")
        uri = _hubspot_uri(request.url)
        candidates = [uri]
        if uri.startswith("http://"):
            candidates.append("https://" + uri.removeprefix("http://"))
        key = credential.api_key.encode()
        for candidate in candidates:
            message = (request.method.upper() + candidate).encode() + request.body
            digest = hmac.new(key, message + timestamp.encode(), hashlib.sha256).digest()
            if hmac.compare_digest(base64.b64encode(digest).decode(), signature):
                return
        raise InvalidWebhookSignature()

    def parse(self, body: Any) -> list[InboundChange]:
        if not isinstance(body, list):
            raise MalformedWebhook("A HubSpot webhook body is a JSON array of events.")
        events = [e for e in body if isinstance(e, dict)]
        if len(events) != len(body) or any(e.get("eventId") is None for e in events):
            raise MalformedWebhook("Every HubSpot event is an object with an `eventId`.")
        properties: dict[str, dict[str, Any]] = {}
        for event in events:
            if event.get("propertyName") is not None:
                properties.setdefault(str(event.get("objectId")), {})[
                    str(event["propertyName"])
                ] = event.get("propertyValue")
        changes = []
        for event in events:
            event_id = _text(event["eventId"], 200) or ""
            kind = str(event.get("subscriptionType") or "")
            record_id = _text(event.get("objectId"))
            props = properties.get(str(event.get("objectId")), {})
            ignore = None
            if not kind.startswith("deal."):
                ignore = f"not a deal event ({kind or 'no subscriptionType'})"
            elif kind in ("deal.deletion", "deal.restore", "deal.merge", "deal.privacyDeletion"):
                ignore = f"{kind} is not applied"
            stage: tuple[str, ...] = ()
            if kind == "deal.propertyChange" and event.get("propertyName") == "dealstage":
                stage = tuple(s for s in [_text(event.get("propertyValue"))] if s)
            elif kind == "deal.creation" and props.get("dealstage"):
                stage = tuple(s for s in [_text(props["dealstage"])] if s)
            changes.append(
                InboundChange(
                    event_id=event_id,
                    record_id=record_id,
                    stage_keys=stage,
                    value=_money(props.get("amount")),
                    currency=_currency(props.get("deal_currency_code")),
                    close_date=_date(props.get("closedate")),
                    deal_name=_text(props.get("dealname")),
                    ignore=ignore,
                    raw=event,
                )
            )
        return changes


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
        data = _object(body.get("data") if body.get("data") is not None else body.get("current"))
        previous = body.get("previous")
        entity = str(meta.get("entity") or meta.get("object") or "")
        action = str(meta.get("action") or "")
        entity_id = meta.get("entity_id") if meta.get("entity_id") is not None else data.get("id")
        event_id = _text(meta.get("id"), 200)
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
        person = _object(data.get("person"))
        close = data.get("won_time") or data.get("lost_time") or data.get("close_time")
        return [
            InboundChange(
                event_id=event_id,
                record_id=_text(entity_id),
                email=_email(person.get("email") or data.get("person_email")),
                stage_keys=stage,
                value=_money(data.get("value")),
                currency=_currency(data.get("currency")),
                close_date=_date(close) if status in ("won", "lost") else None,
                reason=_text(data.get("lost_reason"), 2000),
                deal_name=_text(data.get("title")),
                ignore=ignore,
                raw=body,
            )
        ]


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
        record_id = _text(document.get("id"))
        if record_id is None:
            raise MalformedWebhook("The RD Station document has no `id`.")
        version = (
            _text(document.get("updated_at"))
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
        deal_stage = _object(document.get("deal_stage"))
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
                s for s in (_text(deal_stage.get("id")), _text(deal_stage.get("name"))) if s
            )
        contacts = document.get("contacts")
        first_contact = _object(contacts[0]) if isinstance(contacts, list) and contacts else {}
        lost_reason = _object(document.get("deal_lost_reason"))
        return [
            InboundChange(
                event_id=f"{record_id}:{version}"[:255],
                record_id=record_id,
                email=_email(first_contact.get("emails") or first_contact.get("email")),
                stage_keys=stage,
                value=_money(document.get("amount_total")),
                close_date=_date(document.get("closed_at")) if closed else None,
                sales_rep=_email(_object(document.get("user")).get("email")),
                reason=_text(lost_reason.get("name"), 2000),
                deal_name=_text(document.get("name")),
                ignore=ignore,
                raw=body,
            )
        ]


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
        if not _fresh(int(timestamp), now):
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


PROVIDER_CLASSES: dict[str, InboundProvider] = {
    p.name: p for p in (HubSpotInbound(), PipedriveInbound(), RdStationInbound(), GenericInbound())
}
