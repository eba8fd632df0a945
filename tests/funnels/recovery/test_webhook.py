"""The recovery webhook: signed as every Rastro webhook (a receiver on 127.0.0.1
verifies it with the shared secret), carrying the buyer's first name, the product, the
amount, the PIX copia e cola and the resume link; a transient failure is retried with
the same delivery id and a fresh signature, a refusal fails at once."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from rastro.core.security import Keyring
from rastro.core.units import TransactionBoundary
from rastro.funnels.recovery.service import delivery, links
from tests.fakes.webhook_receiver import FakeWebhookReceiver
from tests.funnels.payments import factories as f
from tests.funnels.recovery import factories as r
from tests.helpers import drain_jobs

SECRET = "whsec-recovery-0123456789abcdef"


async def _with_webhook(client, databases, receiver):
    shop = await r.make_shop(client, databases)
    credential = await f.add_credential(
        client, shop.org, "webhook", api_key="zap-tool", api_secret=SECRET, api_url=receiver.url
    )
    response = await client.put(
        f"/api/funnels/{shop.funnel_id}/recovery/settings",
        headers=shop.org.headers,
        json={"webhook_credential_id": credential},
    )
    assert response.status_code == 200, response.text
    return shop


async def _scheduled_retries(databases) -> list[datetime]:
    async with databases.crm.transaction(None) as session:
        rows = await session.execute(
            text(
                "SELECT scheduled_at FROM procrastinate_jobs "
                "WHERE task_name = 'recovery:deliver_webhook' AND status = 'todo'"
            )
        )
        return [row[0] for row in rows]


async def test_webhook_is_signed_carries_the_recovery_and_is_retried(client, databases, settings):
    receiver = FakeWebhookReceiver(SECRET).start()
    try:
        shop = await _with_webhook(client, databases, receiver)
        payment_id = await r.checkout(client, shop)
        stored = await r.payment(databases, shop.org, payment_id)
        (found,) = await r.detect(
            databases, settings, datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=16)
        )
        assert found.channels == ("webhook", "whatsapp")
        receiver.fail(1, 503)
        await drain_jobs(settings, databases, queues=["recovery"])
        (webhook, _) = await r.actions(databases, shop.org)
        assert (webhook.status, webhook.attempts, webhook.http_status) == ("pending", 1, 503)
        (retry_at,) = await _scheduled_retries(databases)
        assert retry_at > datetime.now(UTC)  # queued for later, with backoff

        # The retry (run now rather than waiting for its time).
        outcome = await delivery.attempt(
            TransactionBoundary(databases.crm),
            Keyring(settings.encryption_key_value),
            signer=r.signer(settings),
            organization_id=shop.org.id,
            action_id=webhook.id,
        )
        assert outcome.status == "sent"
        (webhook, _) = await r.actions(databases, shop.org)
        assert (webhook.status, webhook.attempts, webhook.http_status) == ("sent", 2, 200)
        assert webhook.sent_at is not None
    finally:
        receiver.stop()

    first, second = receiver.requests
    assert receiver.verified == [True]  # the scripted 503 answered before verifying
    for request in (first, second):
        # Checked here too, independently of rastro.core.signing.
        timestamp = request.headers["x-rastro-timestamp"]
        expected = hmac.new(
            SECRET.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256
        ).hexdigest()
        assert request.headers["x-rastro-signature"] == f"sha256={expected}"
        assert request.headers["x-rastro-event"] == "recovery.pix_unpaid"
        assert request.headers["x-rastro-delivery"] == str(webhook.id)
    body = second.json
    assert body["event"] == "recovery.pix_unpaid"
    assert body["delivery_id"] == str(webhook.id)
    recovery = body["recovery"]
    assert recovery["id"] == str(found.case_id)
    assert recovery["payment_id"] == payment_id
    assert recovery["buyer"] == {
        "first_name": "Maria",
        "phone": "+5511987654321",
        "email": "maria.souza@example.com",
    }
    assert (recovery["product"], recovery["amount"], recovery["currency"]) == (
        "Curso Completo",
        "97.00",
        "BRL",
    )
    assert recovery["pix_copy_paste"] == stored.pix_copy_paste
    token = recovery["resume_url"].removeprefix(f"{settings.public_url}/f/_resume/")
    claim = links.read_resume_token(settings.secret_key_value, token)
    assert claim.case_id == found.case_id
    assert recovery["message"].startswith("Olá, Maria! Seu PIX de R$ 97,00 para Curso Completo")
    assert recovery["message"].endswith(recovery["resume_url"])


async def test_a_refused_webhook_fails_at_once(client, databases, settings):
    receiver = FakeWebhookReceiver("another-secret").start()  # the receiver rejects ours
    try:
        shop = await _with_webhook(client, databases, receiver)
        payment_id = await r.checkout(client, shop)
        stored = await r.payment(databases, shop.org, payment_id)
        await r.detect(databases, settings, stored.created_at + timedelta(minutes=16))
        await drain_jobs(settings, databases, queues=["recovery"])
    finally:
        receiver.stop()
    assert receiver.verified == [False]
    (webhook, _) = await r.actions(databases, shop.org)
    assert (webhook.status, webhook.attempts, webhook.http_status) == ("failed", 1, 401)
    assert await _scheduled_retries(databases) == []
    assert uuid.UUID(str(webhook.id))
