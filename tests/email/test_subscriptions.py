"""Subscription forms with double opt-in: the snippet, a submission from an HTML form and
as JSON, the confirmation e-mail through the simulated sender, the signed link's page and
its confirmation (time and IP kept), repeated submissions stored and mailed once, the
honeypot, and links that are tampered, foreign or expired."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from rastro.core.db import Scope
from rastro.crm.service import people
from rastro.email.models import AudienceContact, EmailContact
from rastro.email.senders.base import OutgoingMail, SendResult
from rastro.email.senders.simulated import SimulatedSender
from rastro.email.service import confirm_tokens, tokens
from tests.email.conftest import Org, contacts, get, post, static_audience
from tests.helpers import drain_jobs

FORM_HEADERS = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def outbox(monkeypatch: pytest.MonkeyPatch) -> list[OutgoingMail]:
    """What the simulated sender was given."""
    sent: list[OutgoingMail] = []

    async def send(self: SimulatedSender, mails: list[OutgoingMail]) -> list[SendResult]:
        sent.extend(mails)
        return [SendResult(m.message_id, "sent") for m in mails]

    monkeypatch.setattr(SimulatedSender, "send", send)
    return sent


async def make_form(client: httpx.AsyncClient, org: Org, **fields: Any) -> dict[str, Any]:
    body = {"name": "Newsletter", "from_name": "Loja", "from_address": "news@loja.com.br"}
    result: dict[str, Any] = await post(client, org, "/forms", {**body, **fields})
    return result


async def recipient(databases: Any, org: Org, email: str) -> EmailContact | None:
    async with databases.crm.transaction(Scope.organization(org.id)) as session:
        person = await people.person_by_email(session, email=email)
        if person is None:
            return None
        return await session.get(EmailContact, person.contact_id)


def confirm_path(mail: OutgoingMail) -> str:
    match = re.search(r"https?://[^/\s]+(/e/confirm/[A-Za-z0-9_-]+)", mail.text)
    assert match is not None, mail.text
    return match.group(1)


async def test_form_double_opt_in_keeps_consent_proof(
    client, org, settings, databases, outbox
) -> None:
    audience = await static_audience(client, org, [], name="Newsletter")
    form = await make_form(client, org, audience_id=audience, tags=["newsletter"], language="en")
    assert form["action_url"].endswith(f"/e/subscribe/{form['token']}")
    assert f'action="{form["action_url"]}"' in form["snippet"]
    assert 'name="website"' in form["snippet"]  # the honeypot
    assert ">Subscribe</button>" in form["snippet"]

    submitted = await client.post(
        f"/e/subscribe/{form['token']}",
        content="email=Nova%40Exemplo.com.br&name=Nova+%3Cb%3ELeitora%3C%2Fb%3E&website=",
        headers=FORM_HEADERS,
    )
    assert submitted.status_code == 303
    assert submitted.headers["location"] == f"/e/subscribe/{form['token']}"
    thanks = await client.get(submitted.headers["location"])
    assert thanks.status_code == 200
    assert "confirm your subscription" in thanks.text
    pending = await recipient(databases, org, "nova@exemplo.com.br")
    assert pending is not None
    assert pending.status == "unconfirmed"
    assert pending.consent_at is not None
    assert pending.consent_ip == "203.0.113.7"
    assert pending.consent_form_id == uuid.UUID(form["form_id"])
    assert pending.confirmed_at is None

    await drain_jobs(settings, databases, queues=["email"])
    assert len(outbox) == 1
    mail = outbox[0]
    assert (mail.to, mail.from_address, mail.subject) == (
        "nova@exemplo.com.br",
        "news@loja.com.br",
        "Confirm your subscription",
    )
    assert "&lt;b&gt;Leitora" in mail.html  # the name escaped
    assert "List-Unsubscribe" not in mail.mime()  # transactional, not a campaign
    path = confirm_path(mail)

    page = await client.get(path)
    assert page.status_code == 200
    assert '<form method="post">' in page.text
    assert (await recipient(databases, org, "nova@exemplo.com.br")).status == "unconfirmed"  # type: ignore[union-attr]
    confirmed = await client.post(path)
    assert confirmed.status_code == 200
    assert "Subscription confirmed" in confirmed.text
    active = await recipient(databases, org, "nova@exemplo.com.br")
    assert active is not None
    assert active.status == "active"
    assert active.confirmed_ip == "203.0.113.7"
    assert active.confirmed_at is not None
    assert active.consent_at is not None
    assert active.confirmed_at >= active.consent_at
    assert active.tags == ["newsletter"]
    async with databases.crm.transaction(Scope.organization(org.id)) as session:
        members = list(
            await session.scalars(
                select(AudienceContact.contact_id).where(
                    AudienceContact.audience_id == uuid.UUID(audience)
                )
            )
        )
    assert members == [active.contact_id]

    listed = (await get(client, org, "/contacts"))["items"][0]
    assert (listed["status"], listed["consent_ip"], listed["confirmed_ip"]) == (
        "active",
        "203.0.113.7",
        "203.0.113.7",
    )
    assert listed["consent_form_id"] == form["form_id"]

    again = await client.post(path)
    assert "confirmed already" in again.text
    unchanged = await recipient(databases, org, "nova@exemplo.com.br")
    assert unchanged is not None
    assert unchanged.confirmed_at == active.confirmed_at


async def test_repeated_submits_store_and_mail_once_and_the_honeypot_stores_nothing(
    client, org, settings, databases, outbox
) -> None:
    form = await make_form(client, org)
    url = f"/e/subscribe/{form['token']}"
    for _ in range(3):
        response = await client.post(url, json={"email": "dup@exemplo.com.br"})
        assert response.status_code == 202
        assert response.json() == {"result": "pending_confirmation"}
    bot = await client.post(url, json={"email": "bot@exemplo.com.br", "website": "http://x"})
    assert bot.status_code == 202
    assert bot.json() == {"result": "pending_confirmation"}
    await contacts(client, org, ["ja@exemplo.com.br"])  # active already: no e-mail
    assert (await client.post(url, json={"email": "ja@exemplo.com.br"})).status_code == 202
    await drain_jobs(settings, databases, queues=["email"])

    assert [m.to for m in outbox] == ["dup@exemplo.com.br"]
    assert outbox[0].subject == "Confirme sua inscrição"  # the form's language: pt-BR
    page = await get(client, org, "/contacts?page_size=50")
    assert sorted((i["email"], i["status"]) for i in page["items"]) == [
        ("dup@exemplo.com.br", "unconfirmed"),
        ("ja@exemplo.com.br", "active"),
    ]
    assert await recipient(databases, org, "bot@exemplo.com.br") is None


async def test_bad_submissions_and_bad_links(client, org, other_org, settings, outbox) -> None:
    form = await make_form(client, org)
    url = f"/e/subscribe/{form['token']}"
    invalid = await client.post(url, json={"email": "não é e-mail"})
    assert invalid.status_code == 422
    assert invalid.json()["error"]["details"][0]["loc"] == "body.email"
    missing = await client.post(url, content="name=Ana", headers=FORM_HEADERS)
    assert missing.status_code == 422
    unknown = await client.post("/e/subscribe/nao-existe-mesmo", json={"email": "a@b.com.br"})
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "form_not_found"
    assert (await client.get("/e/subscribe/nao-existe-mesmo")).status_code == 404
    not_json = await client.post(url, content=b"{", headers={"content-type": "application/json"})
    assert not_json.status_code == 400
    huge = await client.post(url, json={"email": "a@b.com.br", "name": "x" * 9000})
    assert huge.status_code == 413

    assert (await client.post(url, json={"email": "ana@exemplo.com.br"})).status_code == 202
    secret = settings.secret_key_value
    contact_id = (await contacts(client, org, []))["ana@exemplo.com.br"]
    good = confirm_tokens.ConfirmToken(
        org.id, uuid.UUID(contact_id), uuid.UUID(form["form_id"]), datetime.now(UTC)
    )
    text = confirm_tokens.encode(secret, good)
    tampered = text[:-2] + ("AA" if text[-2:] != "AA" else "BB")
    # Signed for another organization (only the server can): its scope finds no contact.
    foreign = confirm_tokens.encode(
        secret,
        confirm_tokens.ConfirmToken(other_org.id, good.contact_id, good.form_id, good.issued_at),
    )
    tracking = tokens.encode(secret, tokens.TrackingToken("u", org.id, uuid.UUID(contact_id)))
    for bad in (tampered, foreign, tracking, "x" * 40):
        for method in ("GET", "POST"):
            response = await client.request(method, f"/e/confirm/{bad}")
            assert response.status_code == 404, (bad, method)
            assert "Link inválido" in response.text
    old = confirm_tokens.encode(
        secret,
        confirm_tokens.ConfirmToken(
            org.id,
            uuid.UUID(contact_id),
            uuid.UUID(form["form_id"]),
            datetime.now(UTC) - timedelta(days=8),
        ),
    )
    expired = await client.post(f"/e/confirm/{old}")
    assert expired.status_code == 410
    assert "expirou" in expired.text
    assert (await get(client, org, "/contacts"))["items"][0]["status"] == "unconfirmed"
    assert (await client.post(f"/e/confirm/{text}")).status_code == 200
    assert (await get(client, org, "/contacts"))["items"][0]["status"] == "active"


async def test_form_settings_are_checked_and_scoped(client, org, other_org) -> None:
    filtered = await post(
        client, org, "/audiences", {"name": "VIP", "kind": "filter", "filter": {"tags_any": ["a"]}}
    )
    body = {"name": "F", "from_name": "Loja", "from_address": "news@loja.com.br"}
    for bad in (
        {"audience_id": filtered["audience_id"]},
        {"audience_id": await static_audience(client, other_org, [])},
        {"redirect_url": "javascript:alert(1)"},
        {"from_address": "not an address"},
        {"from_name": "Loja\r\nBcc: todos@exemplo.com.br"},
        {"language": "fr"},
    ):
        response = await client.post("/api/email/forms", headers=org.headers, json={**body, **bad})
        assert response.status_code == 422, bad
    form = await make_form(client, org, redirect_url="https://loja.com.br/obrigado")
    path = f"/api/email/forms/{form['form_id']}"
    assert (await client.put(path, headers=other_org.headers, json=body)).status_code == 404
    assert (await client.delete(path, headers=other_org.headers)).status_code == 404
    assert (await get(client, other_org, "/forms")) == []
    renamed = await client.put(
        path,
        headers=org.headers,
        json={**body, "name": "Blog", "redirect_url": "https://loja.com.br/obrigado"},
    )
    assert renamed.json()["token"] == form["token"]
    assert renamed.json()["name"] == "Blog"
    submitted = await client.post(
        f"/e/subscribe/{form['token']}", content="email=x%40loja.com.br", headers=FORM_HEADERS
    )
    assert submitted.status_code == 303
    assert submitted.headers["location"] == "https://loja.com.br/obrigado"
    assert (await client.delete(path, headers=org.headers)).status_code == 204
    gone = await client.post(f"/e/subscribe/{form['token']}", json={"email": "y@loja.com.br"})
    assert gone.status_code == 404


async def test_one_ip_is_limited_to_a_few_pending_subscriptions_an_hour(
    client, org, monkeypatch, outbox
) -> None:
    from rastro.email.service import subscriptions

    monkeypatch.setattr(subscriptions, "PENDING_PER_IP", 3)
    form = await make_form(client, org)
    url = f"/e/subscribe/{form['token']}"
    for n in range(3):
        assert (await client.post(url, json={"email": f"p{n}@exemplo.com.br"})).status_code == 202
    refused = await client.post(url, json={"email": "p3@exemplo.com.br"})
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "3600"
    assert refused.json()["error"]["code"] == "too_many_subscriptions"
    assert (await get(client, org, "/contacts"))["total"] == 3


async def test_the_same_address_submitted_at_once_is_stored_and_mailed_once(
    client, org, settings, databases, outbox
) -> None:
    form = await make_form(client, org)
    url = f"/e/subscribe/{form['token']}"
    answers = await asyncio.gather(
        *(client.post(url, json={"email": "pressa@exemplo.com.br"}) for _ in range(5))
    )
    assert [a.status_code for a in answers] == [202] * 5
    await drain_jobs(settings, databases, queues=["email"])
    assert [m.to for m in outbox] == ["pressa@exemplo.com.br"]
    page = await get(client, org, "/contacts")
    assert [(i["email"], i["status"]) for i in page["items"]] == [
        ("pressa@exemplo.com.br", "unconfirmed")
    ]
