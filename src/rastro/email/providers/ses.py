"""Amazon SES notifications delivered by Amazon SNS.

The SNS envelope is verified before anything is read: its `SigningCertURL` must match
the allowed pattern (Amazon's `sns.<region>.amazonaws.com` by default), the certificate is
fetched (and cached), and the signature over SNS's canonical string is checked with
RSA — SHA1 for `SignatureVersion` 1, SHA256 for 2. A `SubscriptionConfirmation` is
confirmed by fetching its `SubscribeURL` (same host rule). A `Notification` carries the SES
event in `Message` (a JSON string): `notificationType` or `eventType` Bounce, Complaint or
Delivery; a `Permanent` bounce is hard, `Transient`/`Undetermined` soft (a Transient one
with status 5.x.x is hard too, as listmonk does).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import orjson
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from rastro.email.providers.base import ProviderEvent, message_id_header, parse_uuid

Fetch = Callable[[str], Awaitable[bytes]]

_SIGNED_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
    "UnsubscribeConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}


class SnsVerificationError(Exception):
    """The envelope is malformed, its certificate is not Amazon's, or its signature fails."""


def canonical_string(envelope: dict[str, Any]) -> bytes:
    """SNS's string to sign: each signed field present, as `name\\nvalue\\n`."""
    fields = _SIGNED_FIELDS.get(str(envelope.get("Type")))
    if fields is None:
        raise SnsVerificationError("unknown message type")
    parts = []
    for name in fields:
        if name in envelope and envelope[name] is not None:
            parts.append(f"{name}\n{envelope[name]}\n")
    return "".join(parts).encode()


class SesWebhook:
    source = "ses"

    def __init__(self, *, cert_url_pattern: str, fetch: Fetch) -> None:
        self._pattern = re.compile(cert_url_pattern)
        self._fetch = fetch
        self._certificates: dict[str, x509.Certificate] = {}

    def _allowed_host(self, url: str) -> bool:
        """A SubscribeURL must be on the same host family as the certificates."""
        parts = urlsplit(url)
        return bool(self._pattern.match(f"{parts.scheme}://{parts.netloc}/x.pem"))

    async def _certificate(self, url: str) -> x509.Certificate:
        if not isinstance(url, str) or not self._pattern.match(url):
            raise SnsVerificationError("certificate URL not allowed")
        cached = self._certificates.get(url)
        if cached is None:
            try:
                cached = x509.load_pem_x509_certificate(await self._fetch(url))
            except ValueError as error:
                raise SnsVerificationError("bad certificate") from error
            self._certificates[url] = cached
        return cached

    async def verify(self, body: bytes) -> dict[str, Any]:
        """The envelope, once its signature verifies (else `SnsVerificationError`)."""
        try:
            envelope = orjson.loads(body)
        except orjson.JSONDecodeError as error:
            raise SnsVerificationError("not JSON") from error
        if not isinstance(envelope, dict):
            raise SnsVerificationError("not an SNS envelope")
        version = str(envelope.get("SignatureVersion"))
        algorithm: hashes.HashAlgorithm
        if version == "1":
            algorithm = hashes.SHA1()  # noqa: S303 (SNS signature version 1 is SHA1withRSA)
        elif version == "2":
            algorithm = hashes.SHA256()
        else:
            raise SnsVerificationError("unknown signature version")
        try:
            signature = base64.b64decode(str(envelope.get("Signature", "")), validate=True)
        except (binascii.Error, ValueError) as error:
            raise SnsVerificationError("bad signature encoding") from error
        certificate = await self._certificate(envelope.get("SigningCertURL", ""))
        key = certificate.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise SnsVerificationError("not an RSA certificate")
        try:
            key.verify(signature, canonical_string(envelope), padding.PKCS1v15(), algorithm)
        except InvalidSignature as error:
            raise SnsVerificationError("signature does not verify") from error
        return envelope

    async def confirm(self, envelope: dict[str, Any]) -> bool:
        """Confirm a verified subscription by fetching its SubscribeURL."""
        url = envelope.get("SubscribeURL")
        if not isinstance(url, str) or not self._allowed_host(url):
            raise SnsVerificationError("subscribe URL not allowed")
        await self._fetch(url)
        return True

    def events(self, envelope: dict[str, Any]) -> list[ProviderEvent]:
        """The bounce, complaint and delivery notices of a verified Notification."""
        try:
            notice = orjson.loads(str(envelope.get("Message", "")))
        except orjson.JSONDecodeError:
            return []
        if not isinstance(notice, dict):
            return []
        kind = notice.get("notificationType") or notice.get("eventType")
        raw_mail = notice.get("mail")
        mail: dict[str, Any] = raw_mail if isinstance(raw_mail, dict) else {}
        ours = _our_id(mail)
        provider_id = mail.get("messageId") if isinstance(mail.get("messageId"), str) else None
        envelope_id = str(envelope.get("MessageId", ""))
        found: list[ProviderEvent] = []
        if kind == "Bounce" and isinstance(notice.get("bounce"), dict):
            bounce = notice["bounce"]
            permanent = bounce.get("bounceType") == "Permanent"
            for recipient in bounce.get("bouncedRecipients") or []:
                if not isinstance(recipient, dict):
                    continue
                status = str(recipient.get("status") or "")
                hard = permanent or (
                    bounce.get("bounceType") == "Transient" and status.startswith("5")
                )
                found.append(
                    ProviderEvent(
                        kind="bounce",
                        external_id=f"{envelope_id}:{recipient.get('emailAddress')}",
                        recipient=_address(recipient.get("emailAddress")),
                        message_id=ours,
                        provider_message_id=provider_id,
                        occurred_at=_time(bounce.get("timestamp")),
                        bounce_type="hard" if hard else "soft",
                        diagnostic=str(recipient.get("diagnosticCode") or status or "")[:500]
                        or None,
                    )
                )
        elif kind == "Complaint" and isinstance(notice.get("complaint"), dict):
            complaint = notice["complaint"]
            for recipient in complaint.get("complainedRecipients") or []:
                if isinstance(recipient, dict):
                    found.append(
                        ProviderEvent(
                            kind="complaint",
                            external_id=f"{envelope_id}:{recipient.get('emailAddress')}",
                            recipient=_address(recipient.get("emailAddress")),
                            message_id=ours,
                            provider_message_id=provider_id,
                            occurred_at=_time(complaint.get("timestamp")),
                            diagnostic=str(complaint.get("complaintFeedbackType") or "") or None,
                        )
                    )
        elif kind == "Delivery" and isinstance(notice.get("delivery"), dict):
            delivery = notice["delivery"]
            for recipient in delivery.get("recipients") or []:
                found.append(
                    ProviderEvent(
                        kind="delivered",
                        external_id=f"{envelope_id}:{recipient}",
                        recipient=_address(recipient),
                        message_id=ours,
                        provider_message_id=provider_id,
                        occurred_at=_time(delivery.get("timestamp")),
                    )
                )
        return found


def _our_id(mail: dict[str, Any]) -> Any:
    """Our message id from the original headers SES includes (X-Rastro-Mid, Message-ID)."""
    for header in mail.get("headers") or []:
        if isinstance(header, dict) and str(header.get("name", "")).lower() == "x-rastro-mid":
            found = parse_uuid(header.get("value"))
            if found is not None:
                return found
    common = mail.get("commonHeaders")
    if isinstance(common, dict):
        return message_id_header(common.get("messageId"))
    return None


def _address(value: object) -> str | None:
    return value.strip().lower() if isinstance(value, str) and "@" in value else None


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
