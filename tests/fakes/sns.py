"""Amazon SNS as it delivers Amazon SES notifications: envelopes signed like SNS signs
them (RSA over the canonical string — SHA1 for SignatureVersion 1, SHA256 for 2), with a
self-signed certificate served at `SigningCertURL` and a `SubscribeURL` that records its
confirmation, both on a local server (the tests allow its URL in place of
`sns.<region>.amazonaws.com`). SES bodies follow docs.aws.amazon.com/ses/latest/dg/
notification-contents.html."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from typing import Any

import orjson
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from rastro.email.providers.ses import canonical_string
from tests.fakes.base import FakeServer, RecordedRequest

TOPIC = "arn:aws:sns:us-east-1:123456789012:ses-bounces"
CERT_PATH = "/SimpleNotificationService-7506a1e35b36ef5a444dd1a8e7cc3ed8.pem"


def _certificate(key: rsa.RSAPrivateKey) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


class FakeSns:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.pem = _certificate(self.key)
        self.confirmed: list[str] = []
        self.server = FakeServer(self._handle)

    async def _handle(self, request: Request, recorded: RecordedRequest) -> Response:
        if recorded.path == CERT_PATH:
            return Response(self.pem, media_type="application/x-pem-file")
        if recorded.path == "/confirm" and request.query_params.get("Action") == (
            "ConfirmSubscription"
        ):
            self.confirmed.append(request.query_params.get("Token", ""))
            return PlainTextResponse("<ConfirmSubscriptionResponse/>")
        return PlainTextResponse("not found", status_code=404)

    def start(self) -> FakeSns:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    @property
    def cert_url_pattern(self) -> str:
        return rf"^http://127\.0\.0\.1:{self.server.port}/[^?#]+\.pem$"

    def sign(self, envelope: dict[str, Any], *, version: str = "1") -> dict[str, Any]:
        envelope = {
            **envelope,
            "SignatureVersion": version,
            "SigningCertURL": f"{self.server.url}{CERT_PATH}",
        }
        algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
        signature = self.key.sign(canonical_string(envelope), padding.PKCS1v15(), algorithm)
        envelope["Signature"] = base64.b64encode(signature).decode()
        return envelope

    def notification(self, ses_message: dict[str, Any], *, version: str = "1") -> bytes:
        envelope = {
            "Type": "Notification",
            "MessageId": str(uuid.uuid4()),
            "TopicArn": TOPIC,
            "Message": orjson.dumps(ses_message).decode(),
            "Timestamp": "2026-12-06T18:00:00.000Z",
            "UnsubscribeURL": f"{self.server.url}/unsubscribe",
        }
        return orjson.dumps(self.sign(envelope, version=version))

    def subscription_confirmation(self) -> bytes:
        token = uuid.uuid4().hex
        envelope = {
            "Type": "SubscriptionConfirmation",
            "MessageId": str(uuid.uuid4()),
            "Token": token,
            "TopicArn": TOPIC,
            "Message": f"You have chosen to subscribe to the topic {TOPIC}.",
            "SubscribeURL": f"{self.server.url}/confirm?Action=ConfirmSubscription&TopicArn={TOPIC}&Token={token}",
            "Timestamp": "2026-12-06T18:00:00.000Z",
        }
        return orjson.dumps(self.sign(envelope))


def ses_bounce(
    *, recipient: str, mid: uuid.UUID, permanent: bool = True, status: str = "5.1.1"
) -> dict[str, Any]:
    return {
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": "Permanent" if permanent else "Transient",
            "bounceSubType": "General",
            "bouncedRecipients": [
                {
                    "emailAddress": recipient,
                    "action": "failed",
                    "status": status,
                    "diagnosticCode": f"smtp; {status[0]}50 {status} user unknown",
                }
            ],
            "timestamp": "2026-12-06T17:59:58.000Z",
            "feedbackId": "0100017f-bounce",
        },
        "mail": _mail(recipient, mid),
    }


def ses_complaint(*, recipient: str, mid: uuid.UUID) -> dict[str, Any]:
    return {
        "notificationType": "Complaint",
        "complaint": {
            "complainedRecipients": [{"emailAddress": recipient}],
            "timestamp": "2026-12-06T17:59:58.000Z",
            "feedbackId": "0100017f-complaint",
            "complaintFeedbackType": "abuse",
        },
        "mail": _mail(recipient, mid),
    }


def _mail(recipient: str, mid: uuid.UUID) -> dict[str, Any]:
    return {
        "timestamp": "2026-12-06T17:59:50.000Z",
        "source": "news@loja.com.br",
        "messageId": "0100017f-ses-" + mid.hex[:12],
        "destination": [recipient],
        "headersTruncated": False,
        "headers": [
            {"name": "From", "value": "Loja <news@loja.com.br>"},
            {"name": "X-Rastro-Mid", "value": str(mid)},
        ],
        "commonHeaders": {"messageId": f"<{mid.hex}@loja.com.br>", "subject": "Oferta"},
    }
