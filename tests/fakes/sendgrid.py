"""SendGrid's Signed Event Webhook as SendGrid posts it
(twilio.com/docs/sendgrid/for-developers/tracking-events/event and
…/getting-started-event-webhook-security-features): a JSON array of events, signed with an
ECDSA P-256 key over the `X-Twilio-Email-Event-Webhook-Timestamp` value followed by the raw
body, the base64 DER signature in `X-Twilio-Email-Event-Webhook-Signature`. The
verification key SendGrid shows is the base64 DER (SubjectPublicKeyInfo) public key."""

from __future__ import annotations

import base64
import itertools
import time
import uuid
from typing import Any

import orjson
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

_ids = itertools.count(1)


class SendGridSigner:
    def __init__(self) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())

    @property
    def verification_key(self) -> str:
        der = self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode()

    def post(
        self, events: list[dict[str, Any]], *, timestamp: int | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers of one delivery."""
        body = orjson.dumps(events)
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        signature = self._key.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        return body, {
            "content-type": "application/json",
            "x-twilio-email-event-webhook-signature": base64.b64encode(signature).decode(),
            "x-twilio-email-event-webhook-timestamp": stamp,
        }


def event(kind: str, *, email: str, mid: uuid.UUID, **fields: Any) -> dict[str, Any]:
    """One event with SendGrid's common fields and our custom arg (flattened)."""
    n = next(_ids)
    return {
        "email": email,
        "timestamp": 1_765_040_000 + n,
        "event": kind,
        "sg_event_id": f"sg-event-{uuid.uuid4().hex}",
        "sg_message_id": f"14c5d75ce93.dfd.64b469.filter0001.{n}.5515E0B88.0",
        "smtp-id": f"<{mid.hex}.{n}@loja.com.br>",
        "category": ["campaign"],
        "rastro_mid": str(mid),
        **fields,
    }
