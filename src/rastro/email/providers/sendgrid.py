"""SendGrid's Event Webhook, with the Signed Event Webhook turned on.

SendGrid signs each POST with ECDSA (P-256, SHA-256) over the
`X-Twilio-Email-Event-Webhook-Timestamp` header's value followed by the raw body; the
base64 DER signature is in `X-Twilio-Email-Event-Webhook-Signature`, and the
verification key shown in Mail Settings is the base64 DER (SubjectPublicKeyInfo) public
key. A timestamp more than `TOLERANCE_SECONDS` from now is refused, so a captured request
cannot be replayed later; within the window a replay adds nothing (events are stored once
per `sg_event_id`).

The body is a JSON array of events (`email`, `timestamp`, `event`, `sg_event_id`,
`sg_message_id`, `smtp-id`, custom args flattened). Ours: `delivered`; `open` (with
`sg_machine_open`); `click` (`url`); `bounce` — `type` `bounce` is hard, `blocked` (or a
4.x.x `status`) soft, with `reason` as diagnostic; `dropped` (SendGrid will not deliver:
an unsubscribed address becomes an unsubscribe, a spam-reporting one a complaint, any other
reason a hard bounce); `spamreport` → complaint; `unsubscribe` and `group_unsubscribe` →
unsubscribe. `processed`, `deferred` and `group_resubscribe` change nothing here.
Our message id is the custom arg `rastro_mid` (the SMTP sender's `X-SMTPAPI` header), else
our `Message-ID` echoed in `smtp-id`, else SendGrid's message id.
"""

from __future__ import annotations

import base64
import binascii
import time
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from rastro.email.providers.base import (
    NoticeKind,
    ProviderEvent,
    WebhookVerificationError,
    address,
    fresh,
    message_id_header,
    parse_uuid,
    unix_time,
)

SIGNATURE_HEADER = "x-twilio-email-event-webhook-signature"
TIMESTAMP_HEADER = "x-twilio-email-event-webhook-timestamp"
TOLERANCE_SECONDS = 600.0
CUSTOM_ARG = "rastro_mid"

_DIRECT: dict[str, NoticeKind] = {
    "delivered": "delivered",
    "open": "open",
    "click": "click",
    "spamreport": "complaint",
    "unsubscribe": "unsubscribe",
    "group_unsubscribe": "unsubscribe",
}


def load_public_key(text: str) -> ec.EllipticCurvePublicKey:
    """SendGrid's verification key: base64 DER, or the same wrapped as PEM."""
    data = text.strip()
    try:
        if data.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(data.encode())
        else:
            key = serialization.load_der_public_key(base64.b64decode(data, validate=True))
    except (ValueError, binascii.Error, TypeError) as error:
        raise WebhookVerificationError("bad verification key") from error
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise WebhookVerificationError("the verification key is not an ECDSA P-256 key")
    return key


class SendGridWebhook:
    source = "sendgrid"

    def __init__(self, *, verification_key: str) -> None:
        self._key_text = verification_key

    def verify(
        self, *, signature: str | None, timestamp: str | None, body: bytes, now: float | None = None
    ) -> None:
        """Raise `WebhookVerificationError` unless the signature over timestamp + body
        verifies and the timestamp is fresh."""
        if not signature or not timestamp:
            raise WebhookVerificationError("signature headers missing")
        if not fresh(timestamp, time.time() if now is None else now, TOLERANCE_SECONDS):
            raise WebhookVerificationError("stale timestamp")
        try:
            raw = base64.b64decode(signature.strip(), validate=True)
        except (binascii.Error, ValueError) as error:
            raise WebhookVerificationError("bad signature encoding") from error
        key = load_public_key(self._key_text)
        try:
            key.verify(raw, timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature as error:
            raise WebhookVerificationError("signature does not verify") from error

    def events(self, payload: Any) -> list[ProviderEvent] | None:
        """The notices of a verified body; None when it is not an array of events."""
        if not isinstance(payload, list):
            return None
        found: list[ProviderEvent] = []
        for item in payload:
            if not isinstance(item, dict) or not isinstance(item.get("event"), str):
                return None
            notice = _notice(item)
            if notice is not None:
                found.append(notice)
        return found


def _notice(item: dict[str, Any]) -> ProviderEvent | None:
    event = item["event"]
    kind = _DIRECT.get(event)
    bounce_type: Literal["hard", "soft"] | None = None
    diagnostic: str | None = None
    if event == "bounce":
        kind = "bounce"
        status = str(item.get("status") or "")
        soft = item.get("type") == "blocked" or status.startswith("4")
        bounce_type = "soft" if soft else "hard"
        diagnostic = " ".join(str(part) for part in (status, item.get("reason")) if part) or str(
            item.get("bounce_classification") or ""
        )
    elif event == "dropped":
        reason = str(item.get("reason") or "")
        diagnostic = f"dropped: {reason}" if reason else "dropped"
        lowered = reason.lower()
        if "unsubscribed" in lowered:
            kind = "unsubscribe"
        elif "spam" in lowered:
            kind = "complaint"
        else:
            kind, bounce_type = "bounce", "hard"
    if kind is None:
        return None
    event_id = item.get("sg_event_id")
    provider_id = item.get("sg_message_id")
    return ProviderEvent(
        kind=kind,
        external_id=str(event_id) if event_id else f"{event}:{provider_id}:{item.get('timestamp')}",
        recipient=address(item.get("email")),
        message_id=parse_uuid(item.get(CUSTOM_ARG)) or message_id_header(item.get("smtp-id")),
        provider_message_id=str(provider_id).split(".", 1)[0] if provider_id else None,
        occurred_at=unix_time(item.get("timestamp")),
        bounce_type=bounce_type,
        diagnostic=diagnostic[:500] if diagnostic else None,
        is_machine=item.get("sg_machine_open") is True,
        url=str(item["url"])[:2000] if kind == "click" and item.get("url") else None,
    )
