"""The SMTP sender against a local SMTP server: login with the vault's password, the
RFC 8058 headers, links and pixel rewritten per message, merge fields escaped, 4xx
retried, 5xx failed, suppressed recipients refused and counted, never sent."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from rastro.core.db import Scope
from rastro.email.models import Message
from rastro.email.service import sending
from rastro.email.service.contacts import set_status
from tests.email.conftest import campaign, contacts, get, post, static_audience
from tests.fakes.smtp import FakeSmtpServer
from tests.helpers import drain_jobs


@pytest.fixture
def smtp():  # type: ignore[no-untyped-def]
    server = FakeSmtpServer(login=("mailer", "s3nha-do-smtp")).start()
    yield server
    server.stop()


async def _smtp_sender(client, org, smtp) -> str:  # type: ignore[no-untyped-def]
    credential = await client.post(
        "/api/credentials",
        json={
            "name": "SMTP local",
            "service": "smtp",
            "api_key": "s3nha-do-smtp",
            "settings": {
                "host": "127.0.0.1",
                "port": str(smtp.port),
                "username": "mailer",
                "security": "none",
            },
        },
        headers=org.headers,
    )
    assert credential.status_code == 201, credential.text
    sender = await post(
        client,
        org,
        "/senders",
        {
            "name": "SMTP",
            "kind": "smtp",
            "credential_id": credential.json()["id"],
            "rate_per_second": 1000,
        },
    )
    return str(sender["sender_id"])


async def test_smtp_campaign_headers_links_and_refusals(
    client, org, settings, databases, smtp, monkeypatch
) -> None:
    sender_id = await _smtp_sender(client, org, smtp)
    ids = await contacts(
        client,
        org,
        [
            "ana@cliente.com.br",
            "later@cliente.com.br",
            "temp@cliente.com.br",
            "gone@cliente.com.br",
        ],
        name='Ana <img src=x onerror="alert(1)">',
    )
    smtp.rcpt_replies["temp@cliente.com.br"] = (451, "4.7.1 Try again later")
    smtp.rcpt_replies["gone@cliente.com.br"] = (550, "5.1.1 No such user")
    audience = await static_audience(client, org, list(ids.values()))
    created = await campaign(client, org, [audience], sender_id=sender_id)
    campaign_id = uuid.UUID(created["campaign_id"])
    await post(client, org, f"/campaigns/{campaign_id}/generate")
    await drain_jobs(settings, databases, queues=["email"])
    # Suppressed after generation, before sending: refused, never sent.
    async with databases.crm.transaction(Scope.organization(org.id)) as session:
        await set_status(
            session, contact_id=uuid.UUID(ids["later@cliente.com.br"]), status="unsubscribed"
        )
    monkeypatch.setattr(sending, "MAX_ATTEMPTS", 2)
    monkeypatch.setattr(sending, "RETRY_BASE_SECONDS", 0.0)
    await post(client, org, f"/campaigns/{campaign_id}/send")
    await drain_jobs(settings, databases, queues=["email"])

    assert set(smtp.authenticated) == {"mailer"}  # one login per batch
    assert [r.rcpt_to for r in smtp.received] == [["ana@cliente.com.br"]]
    received = smtp.received[0]
    mail = received.message
    assert received.mail_from == "news@loja.com.br"
    assert mail["To"] == "ana@cliente.com.br"
    assert mail["Subject"] == "Oferta para Ana"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = re.fullmatch(
        r"<(http://127\.0\.0\.1:8000/e/u/[A-Za-z0-9_-]+)>", mail["List-Unsubscribe"]
    )
    assert unsubscribe is not None
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    assert "onerror=&quot;alert(1)&quot;" in html
    assert 'onerror="alert(1)"' not in html
    assert "https://loja.com.br/oferta" not in html  # every link goes through the redirect
    clicks = re.findall(r'href="http://127\.0\.0\.1:8000(/e/c/[A-Za-z0-9_-]+)"', html)
    assert len(clicks) == 2
    assert re.search(r'<img src="http://127\.0\.0\.1:8000/e/o/[A-Za-z0-9_-]+\.gif"', html)
    assert unsubscribe.group(1) in html
    assert unsubscribe.group(1) in text

    # The message's own links work: the click redirects to the offer.
    response = await client.get(clicks[0])
    assert response.status_code == 302
    assert response.headers["location"].startswith("https://loja.com.br/oferta?cupom=X&utm_source=")

    async with databases.crm.transaction(Scope.organization(org.id)) as session:
        messages = {
            m.contact_id: m
            for m in await session.scalars(
                select(Message).where(Message.campaign_id == campaign_id)
            )
        }

    def state(address: str) -> tuple[str, str | None, int]:
        message = messages[uuid.UUID(ids[address])]
        return message.status, message.error, message.attempts

    assert state("ana@cliente.com.br")[0] == "sent"
    assert state("later@cliente.com.br") == ("failed", "refused", 0)
    assert state("gone@cliente.com.br") == ("failed", "smtp_550", 1)
    assert state("temp@cliente.com.br") == ("failed", "smtp_451", 2)  # retried, then gave up
    done = await get(client, org, f"/campaigns/{campaign_id}")
    assert done["status"] == "sent"


async def test_double_opt_in_and_test_send_go_out_by_smtp(
    client, org, settings, databases, smtp
) -> None:
    """The confirmation e-mail of a form with an SMTP sender, and a campaign's test send,
    reach the SMTP server: transactional (no List-Unsubscribe), the link signed, the test
    marked and untracked."""
    sender_id = await _smtp_sender(client, org, smtp)
    form = await post(
        client,
        org,
        "/forms",
        {
            "name": "Blog",
            "from_name": "Loja",
            "from_address": "news@loja.com.br",
            "language": "en",
            "sender_id": sender_id,
        },
    )
    answer = await client.post(
        f"/e/subscribe/{form['token']}", json={"email": "nova@cliente.com.br"}
    )
    assert answer.status_code == 202
    await drain_jobs(settings, databases, queues=["email"])
    assert [r.rcpt_to for r in smtp.received] == [["nova@cliente.com.br"]]
    mail = smtp.received[0].message
    assert mail["Subject"] == "Confirm your subscription"
    assert mail["List-Unsubscribe"] is None
    text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    link = re.search(r"/e/confirm/[A-Za-z0-9_-]+", text)
    assert link is not None
    assert (await client.post(link.group(0))).status_code == 200
    assert (await get(client, org, "/contacts"))["items"][0]["status"] == "active"

    created = await campaign(client, org, [], sender_id=sender_id)
    sent = await post(
        client, org, f"/campaigns/{created['campaign_id']}/test-send", {"email": "qa@loja.com.br"}
    )
    assert sent == {"outcome": "sent", "error": None}
    test = smtp.received[-1].message
    assert smtp.received[-1].rcpt_to == ["qa@loja.com.br"]
    assert test["X-Rastro-Test"] == "1"
    assert test["Subject"] == "Oferta para Maria"
    assert "/e/c/" not in test.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
