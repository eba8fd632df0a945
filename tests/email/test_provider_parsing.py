"""How SendGrid and Mailgun bodies become our notices, and what their verifiers refuse —
the cases the webhook tests do not reach through HTTP."""

from __future__ import annotations

import base64
import time
import uuid

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from rastro.email.providers.base import WebhookVerificationError, fresh
from rastro.email.providers.mailgun import MailgunWebhook
from rastro.email.providers.sendgrid import SendGridWebhook, load_public_key
from tests.fakes import mailgun, sendgrid

MID = uuid.UUID("01a24d20-7420-7594-a730-e5755af85e94")


def _one(**fields: object):  # type: ignore[no-untyped-def]
    kind = str(fields.pop("event"))
    notices = SendGridWebhook(verification_key="").events(
        [sendgrid.event(kind, email="A@Cliente.com.br", mid=MID, **fields)]
    )
    assert notices is not None
    return notices


def test_sendgrid_dropped_reasons_and_bounce_classes() -> None:
    assert [
        (n.kind, n.bounce_type) for n in _one(event="dropped", reason="Unsubscribed Address")
    ] == [("unsubscribe", None)]
    assert [
        (n.kind, n.bounce_type) for n in _one(event="dropped", reason="Spam Reporting Address")
    ] == [("complaint", None)]
    assert [(n.kind, n.bounce_type) for n in _one(event="dropped", reason="Bounced Address")] == [
        ("bounce", "hard")
    ]
    (soft,) = _one(event="bounce", type="bounce", status="4.2.2", reason="mailbox full")
    assert (soft.bounce_type, soft.diagnostic) == ("soft", "4.2.2 mailbox full")
    (hard,) = _one(event="bounce", type="bounce", status="5.1.1")
    assert hard.bounce_type == "hard"
    assert hard.recipient == "a@cliente.com.br"
    assert hard.message_id == MID
    assert hard.provider_message_id == "14c5d75ce93"  # SendGrid's id before its filter suffix
    assert _one(event="processed") == []
    assert _one(event="group_resubscribe") == []


def test_sendgrid_finds_our_message_by_the_echoed_message_id_without_custom_args() -> None:
    item = sendgrid.event("delivered", email="a@cliente.com.br", mid=MID)
    del item["rastro_mid"]
    (notice,) = SendGridWebhook(verification_key="").events([item]) or []
    assert notice.message_id == MID
    assert SendGridWebhook(verification_key="").events({"event": "open"}) is None
    assert SendGridWebhook(verification_key="").events([{"email": "x"}]) is None


def test_sendgrid_key_must_be_an_ecdsa_p256_public_key() -> None:
    signer = sendgrid.SendGridSigner()
    pem = serialization.load_der_public_key(base64.b64decode(signer.verification_key)).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert load_public_key(pem.decode()).curve.name == "secp256r1"  # PEM is accepted too
    p384 = ec.generate_private_key(ec.SECP384R1()).public_key()
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    for key in (p384, rsa_key):
        der = key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        with pytest.raises(WebhookVerificationError):
            load_public_key(base64.b64encode(der).decode())
    with pytest.raises(WebhookVerificationError):
        load_public_key("not base64 at all!")
    # A body signed for one key fails under a key that is not SendGrid's shape.
    body, headers = signer.post([])
    with pytest.raises(WebhookVerificationError):
        SendGridWebhook(verification_key="AAAA").verify(
            signature=headers["x-twilio-email-event-webhook-signature"],
            timestamp=headers["x-twilio-email-event-webhook-timestamp"],
            body=body,
        )


def test_mailgun_verifier_refuses_malformed_signatures() -> None:
    webhook = MailgunWebhook(signing_key="key-1")
    good = mailgun.signed("key-1", {})
    assert webhook.verify(good) == good["signature"]["token"]
    for signature in (
        None,
        "x",
        {"timestamp": True, "token": "t", "signature": "s"},
        {"timestamp": "1", "token": None, "signature": "s"},
        {**good["signature"], "token": ""},
        {**good["signature"], "signature": good["signature"]["signature"].upper() + "0"},
    ):
        with pytest.raises(WebhookVerificationError):
            webhook.verify({"signature": signature})
    with pytest.raises(WebhookVerificationError):
        webhook.verify([good])
    upper = {**good, "signature": {**good["signature"]}}
    upper["signature"]["signature"] = upper["signature"]["signature"].upper()
    assert webhook.verify(upper)  # hex is compared case-insensitively


def test_mailgun_temporary_failure_is_soft_with_its_diagnostic() -> None:
    data = mailgun.failed(email="a@cliente.com.br", mid=MID, permanent=False)
    (notice,) = MailgunWebhook(signing_key="k").events({"event-data": data}) or []
    assert (notice.kind, notice.bounce_type) == ("bounce", "soft")
    assert notice.diagnostic == "452 4.2.2 Mailbox full"
    data["user-variables"] = {}
    (by_header,) = MailgunWebhook(signing_key="k").events({"event-data": data}) or []
    assert by_header.message_id == MID  # from our Message-ID, echoed in the headers
    assert MailgunWebhook(signing_key="k").events({"event-data": {"event": "stored"}}) == []


def test_freshness_window() -> None:
    now = time.time()
    assert fresh(str(int(now) - 30), now, 600)
    assert not fresh(str(int(now) - 3600), now, 600)
    assert not fresh(str(int(now) + 3600), now, 600)
    for bad in ("nan", "inf", "", "12a", None):
        assert not fresh(bad, now, 600)
