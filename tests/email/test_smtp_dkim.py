"""The SMTP sender against a real SMTP server (aiosmtpd on 127.0.0.1): a campaign message
arrives with From, Reply-To, List-Unsubscribe, List-Unsubscribe-Post, Message-ID and
X-Rastro-Mid, DKIM-signed (rsa-sha256, relaxed/relaxed) with the sender domain's key from
the vault — the signature verifies with the public key published as the TXT record, and
fails once the message is altered. A batch whose worker stops after the server accepted
it is never sent again."""

from __future__ import annotations

import email
import email.policy
import uuid
from typing import Any

import dkim
import pytest
from sqlalchemy import select

from rastro.core.db import Scope
from rastro.core.security import Keyring
from rastro.core.units import TransactionBoundary
from rastro.email.models import Campaign, Message
from rastro.email.senders.base import MailSender, OutgoingMail, SendResult
from rastro.email.service import sending
from tests.email.conftest import Org, campaign, contacts, get, post, static_audience
from tests.fakes.aiosmtpd_server import AiosmtpdServer
from tests.helpers import drain_jobs


@pytest.fixture
def smtpd():  # type: ignore[no-untyped-def]
    server = AiosmtpdServer().start()
    yield server
    server.stop()


async def _smtp_campaign(client, org: Org, settings, databases, smtpd) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    credential = await client.post(
        "/api/credentials",
        json={
            "name": "aiosmtpd",
            "service": "smtp",
            "api_key": "unused-password",
            "settings": {"host": "127.0.0.1", "port": str(smtpd.port), "security": "none"},
        },
        headers=org.headers,
    )
    assert credential.status_code == 201, credential.text
    sender = await post(
        client,
        org,
        "/senders",
        {"name": "SMTP", "kind": "smtp", "credential_id": credential.json()["id"]},
    )
    key = await post(client, org, "/senders/dkim-keys", {"domain": "Loja.com.br"})
    ids = await contacts(client, org, ["ana@cliente.com.br"], name="Ana Souza")
    audience = await static_audience(client, org, list(ids.values()))
    created = await campaign(
        client, org, [audience], sender_id=sender["sender_id"], reply_to="vendas@loja.com.br"
    )
    return {"key": key, "campaign_id": uuid.UUID(created["campaign_id"])}


def _dns(records: dict[str, str]):  # type: ignore[no-untyped-def]
    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        value = records.get(name.decode().rstrip(".").lower())
        return value.encode() if value is not None else None

    return lookup


async def test_campaign_mail_arrives_with_headers_and_a_dkim_signature_that_verifies(
    client, org, settings, databases, smtpd
) -> None:
    made = await _smtp_campaign(client, org, settings, databases, smtpd)
    key = made["key"]
    assert key["domain"] == "loja.com.br"
    assert key["dns_name"] == "rastro._domainkey.loja.com.br"
    assert key["dns_value"].startswith("v=DKIM1; k=rsa; p=MII")
    # The key is listed with its record; the private key stays in the vault, masked.
    assert await get(client, org, "/senders/dkim-keys") == [key]
    vault = await client.get(f"/api/credentials/{key['credential_id']}", headers=org.headers)
    assert "PRIVATE KEY" not in vault.text
    duplicate = await client.post(
        "/api/email/senders/dkim-keys", json={"domain": "loja.com.br"}, headers=org.headers
    )
    assert duplicate.status_code == 409
    for bad in ({"domain": "not a domain"}, {"domain": "loja.com.br", "selector": "a.b"}):
        response = await client.post("/api/email/senders/dkim-keys", json=bad, headers=org.headers)
        assert response.status_code == 422, bad

    campaign_id = made["campaign_id"]
    await post(client, org, f"/campaigns/{campaign_id}/send")
    await drain_jobs(settings, databases, queues=["email"])

    assert len(smtpd.delivered) == 1
    delivered = smtpd.delivered[0]
    assert (delivered.mail_from, delivered.rcpt_tos) == ("news@loja.com.br", ["ana@cliente.com.br"])
    async with databases.crm.transaction(Scope.organization(org.id)) as session:
        message = await session.scalar(select(Message).where(Message.campaign_id == campaign_id))
    assert message is not None
    assert message.status == "sent"
    mail = email.message_from_bytes(delivered.data, policy=email.policy.default)
    assert mail["From"] == "Loja <news@loja.com.br>"
    assert mail["Reply-To"] == "vendas@loja.com.br"
    assert mail["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/e/u/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["X-Rastro-Mid"] == str(message.message_id)
    assert mail["Message-ID"].endswith(f".{message.message_id.hex}@loja.com.br>")
    assert message.provider_message_id == mail["Message-ID"]
    assert mail["Date"]

    signature = mail["DKIM-Signature"]
    tags = {
        part.split("=", 1)[0].strip(): part.split("=", 1)[1]
        for part in "".join(signature.split()).split(";")
        if "=" in part
    }
    assert (tags["a"], tags["c"], tags["d"], tags["s"]) == (
        "rsa-sha256",
        "relaxed/relaxed",
        "loja.com.br",
        "rastro",
    )
    signed_headers = set(tags["h"].lower().split(":"))
    assert {"from", "subject", "list-unsubscribe", "list-unsubscribe-post"} <= signed_headers

    published = {key["dns_name"]: key["dns_value"]}
    assert dkim.verify(delivered.data, dnsfunc=_dns(published)) is True
    altered = delivered.data.replace(b"Subject: Oferta para Ana", b"Subject: Oferta para Bia")
    assert altered != delivered.data
    assert dkim.verify(altered, dnsfunc=_dns(published)) is False
    other = await client.post(
        "/api/email/senders/dkim-keys",
        json={"domain": "loja.com.br", "selector": "other"},
        headers=org.headers,
    )
    wrong_key = {key["dns_name"]: other.json()["dns_value"]}
    assert dkim.verify(delivered.data, dnsfunc=_dns(wrong_key)) is False


class _StopsAfterSending:
    """The real sender, then the worker dies before the results are recorded."""

    def __init__(self, inner: MailSender) -> None:
        self.inner = inner
        self.kind = inner.kind

    async def send(self, mails: list[OutgoingMail]) -> list[SendResult]:
        await self.inner.send(mails)
        raise RuntimeError("worker stopped")


async def test_a_message_accepted_before_a_crash_is_never_sent_twice(
    client, org, settings, databases, smtpd, monkeypatch
) -> None:
    made = await _smtp_campaign(client, org, settings, databases, smtpd)
    campaign_id = made["campaign_id"]
    await post(client, org, f"/campaigns/{campaign_id}/generate")
    await drain_jobs(settings, databases, queues=["email"])
    scope = Scope.organization(org.id)
    async with databases.crm.transaction(scope) as session:
        row = await session.get(Campaign, campaign_id)
        assert row is not None
        row.status = "sending"
        real = await sending.sender_for(session, Keyring(settings.encryption_key_value), row)
    links = sending.Links(base_url="http://127.0.0.1:8000", secret=settings.secret_key_value)
    crm, bi = TransactionBoundary(databases.crm), TransactionBoundary(databases.bi)

    async def batch(sender: MailSender) -> bool:
        return await sending.send_batch(
            crm, bi, scope, campaign_id=campaign_id, sender=sender, links=links
        )

    async def state() -> tuple[str, str | None, int]:
        async with databases.crm.transaction(scope) as session:
            message = await session.scalar(
                select(Message).where(Message.campaign_id == campaign_id)
            )
            assert message is not None
            return message.status, message.error, message.attempts

    with pytest.raises(RuntimeError):
        await batch(_StopsAfterSending(real))
    assert len(smtpd.delivered) == 1  # the server has it; our record does not
    assert await state() == ("sending", None, 1)  # the claim was committed before sending

    # The next run finds it `sending` within its lease: not claimed, not sent again.
    assert await batch(real) is False
    assert len(smtpd.delivered) == 1
    assert await state() == ("sending", None, 1)
    # Past the lease: failed as interrupted, still not sent again; the campaign ends.
    monkeypatch.setattr(sending, "SENDING_LEASE_SECONDS", 0.0)
    assert await batch(real) is False
    assert len(smtpd.delivered) == 1
    assert await state() == ("failed", "interrupted", 1)
    assert (await get(client, org, f"/campaigns/{campaign_id}"))["status"] == "sent"
