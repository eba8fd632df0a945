"""A campaign sent through a provider's API: the key kept in the vault (masked in every
answer), the base URL from the credential's `api_url` (a local fake), one call per mail
carrying our id and the one-click unsubscribe headers, the provider's ids stored, its
permanent refusals failed with the provider's code; a credential of another service is
refused when the sender is created."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from rastro.core.db import Scope
from rastro.email.models import Message
from tests.email.conftest import campaign, contacts, post, static_audience
from tests.fakes.mail_apis import FakePostmark, FakeSes
from tests.helpers import drain_jobs


@pytest.fixture
def postmark():  # type: ignore[no-untyped-def]
    fake = FakePostmark("pm-server-token")
    fake.server.start()
    yield fake
    fake.server.stop()


@pytest.fixture
def ses():  # type: ignore[no-untyped-def]
    fake = FakeSes("AKIDCAMPAIGN", "campaign/secret+key", region="sa-east-1")
    fake.server.start()
    yield fake
    fake.server.stop()


async def _credential(client, org, body) -> str:  # type: ignore[no-untyped-def]
    created = await client.post("/api/credentials", json=body, headers=org.headers)
    assert created.status_code == 201, created.text
    assert "pm-server-token" not in created.text
    assert "campaign/secret+key" not in created.text
    return str(created.json()["id"])


async def _send(client, org, settings, databases, sender_id, emails):  # type: ignore[no-untyped-def]
    ids = await contacts(client, org, emails)
    audience = await static_audience(client, org, list(ids.values()))
    created = await campaign(client, org, [audience], sender_id=sender_id)
    campaign_id = uuid.UUID(created["campaign_id"])
    await post(client, org, f"/campaigns/{campaign_id}/send")
    await drain_jobs(settings, databases, queues=["email"])
    async with databases.crm.transaction(Scope.organization(org.id)) as session:
        rows = (
            await session.scalars(select(Message).where(Message.campaign_id == campaign_id))
        ).all()
    return {m.contact_id: m for m in rows}, ids


async def test_postmark_campaign(client, org, settings, databases, postmark) -> None:
    credential = await _credential(
        client,
        org,
        {
            "name": "Postmark",
            "service": "postmark",
            "api_key": "pm-server-token",
            "api_url": postmark.server.url,
            "settings": {"message_stream": "newsletters"},
        },
    )
    sender = await post(
        client,
        org,
        "/senders",
        {
            "name": "Postmark",
            "kind": "postmark",
            "credential_id": credential,
            "rate_per_second": 500,
        },
    )
    assert sender["kind"] == "postmark"
    messages, ids = await _send(
        client,
        org,
        settings,
        databases,
        sender["sender_id"],
        ["ana@cliente.com.br", "bia@cliente.com.br", "inactive.old@cliente.com.br"],
    )
    ana = messages[uuid.UUID(ids["ana@cliente.com.br"])]
    gone = messages[uuid.UUID(ids["inactive.old@cliente.com.br"])]
    assert ana.status == "sent"
    assert ana.provider_message_id
    assert (gone.status, gone.error) == ("failed", "postmark_406")
    accepted = {m["To"]: m for m in postmark.accepted}
    assert set(accepted) == {"ana@cliente.com.br", "bia@cliente.com.br"}
    mail = accepted["ana@cliente.com.br"]
    assert mail["Metadata"] == {"mid": str(ana.message_id)}
    assert mail["MessageStream"] == "newsletters"
    headers = {h["Name"]: h["Value"] for h in mail["Headers"]}
    assert headers["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/e/u/")
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/e/o/" in mail["HtmlBody"]


async def test_ses_campaign_signed_with_the_vault_keys(
    client, org, settings, databases, ses
) -> None:
    credential = await _credential(
        client,
        org,
        {
            "name": "SES",
            "service": "ses",
            "api_key": "AKIDCAMPAIGN",
            "api_secret": "campaign/secret+key",
            "api_url": ses.server.url,
            "settings": {"region": "sa-east-1"},
        },
    )
    sender = await post(
        client, org, "/senders", {"name": "SES", "kind": "ses", "credential_id": credential}
    )
    messages, _ids = await _send(
        client, org, settings, databases, sender["sender_id"], ["caio@cliente.com.br"]
    )
    [message] = messages.values()
    assert message.status == "sent"
    assert (message.provider_message_id or "").startswith("0100")
    [accepted] = ses.accepted
    assert accepted["mime"]["X-Rastro-Mid"] == str(message.message_id)
    assert accepted["mime"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


async def test_sender_refuses_a_credential_of_another_service(client, org) -> None:
    credential = await _credential(
        client,
        org,
        {"name": "SG", "service": "sendgrid", "api_key": "SG.x"},
    )
    response = await client.post(
        "/api/email/senders",
        json={"name": "Wrong", "kind": "mailgun", "credential_id": credential},
        headers=org.headers,
    )
    assert response.status_code == 422
    missing = await client.post(
        "/api/email/senders", json={"name": "None", "kind": "ses"}, headers=org.headers
    )
    assert missing.status_code == 422
