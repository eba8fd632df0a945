"""Rastro's own e-mails (issue 20, item 11): member invitations accepted by the invited
person, sent by the instance's sender (simulated and SMTP, refusals retried or logged),
in pt-BR and English, with nothing personal in any log line."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy import text

from rastro.app import close_app, create_app
from rastro.core.db import SYSTEM
from rastro.email.system.transport import simulated_outbox
from tests.auth.factories import auth_headers, bearer, make_account
from tests.email.system_mail import NEW_PASSWORD, invite, set_org, token_of
from tests.fakes.smtp import FakeSmtpServer
from tests.helpers import drain_jobs

# --- invitations ----------------------------------------------------------------------------


async def test_an_invitation_is_emailed_and_its_link_registers_once(
    mail_client, mail_settings, databases, logs
):  # type: ignore[no-untyped-def]
    admin = await make_account(databases, name="Ana Admin")
    await set_org(databases, admin, name="<b>Acme</b> & Filhos", locale="pt-BR")
    headers = await auth_headers(mail_client, admin)
    address = "nova.pessoa@example.com"

    created = await invite(mail_client, headers, address)
    assert created["delivery"] == "email"
    assert created["token"] is None  # only the invited address gets the token
    await drain_jobs(mail_settings, databases, queues=["mail"])

    (mail,) = simulated_outbox().sent
    assert mail.to == address
    assert mail.subject == "Convite para <b>Acme</b> & Filhos no Rastro"
    assert "&lt;b&gt;Acme&lt;/b&gt; &amp; Filhos" in mail.html  # escaped in HTML
    assert "<b>Acme</b>" not in mail.html
    assert "Ana Admin convidou você" in mail.text
    assert "Analista" in mail.text
    mime = mail.mime()  # a transactional mail: none of the bulk headers
    assert mime["List-Unsubscribe"] is None
    assert mime["List-Unsubscribe-Post"] is None
    assert mime["Precedence"] is None
    assert mime["To"] == address
    token = token_of(mail, "/invitation")

    # the link's page shows what it offers
    preview = await mail_client.post("/api/auth/invitations/preview", json={"token": token})
    assert preview.status_code == 200, preview.text
    assert preview.json()["organization"]["name"] == "<b>Acme</b> & Filhos"
    assert (preview.json()["role"], preview.json()["email"]) == ("analyst", address)

    # not a member before accepting
    members = (await mail_client.get("/api/members", headers=headers)).json()
    assert address not in {m["email"] for m in members["items"]}

    registered = await mail_client.post(
        "/api/auth/invitations/register",
        json={"token": token, "name": "Nova Pessoa", "password": NEW_PASSWORD},
    )
    assert registered.status_code == 200, registered.text
    me = await mail_client.get("/api/auth/me", headers=bearer(registered.json()["access_token"]))
    assert me.json()["email"] == address
    members = (await mail_client.get("/api/members", headers=headers)).json()
    assert {m["email"]: m["role"] for m in members["items"]}[address] == "analyst"

    # single use
    again = await mail_client.post(
        "/api/auth/invitations/register",
        json={"token": token, "name": "Mallory", "password": NEW_PASSWORD},
    )
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "invitation_not_found"
    used = await mail_client.post("/api/auth/invitations/preview", json={"token": token})
    assert used.status_code == 404
    assert used.json()["error"]["code"] == "invitation_not_found"

    logged = logs.getvalue()
    assert "mail.sent" in logged
    assert address not in logged
    assert token not in logged


async def test_an_existing_account_must_accept_and_the_mail_says_sign_in(
    mail_client, mail_settings, databases
):  # type: ignore[no-untyped-def]
    admin = await make_account(databases)
    await set_org(databases, admin, name="Acme Ltd", locale="en")
    invited = await make_account(databases)
    headers = await auth_headers(mail_client, admin)
    created = await invite(mail_client, headers, invited.email)
    await drain_jobs(mail_settings, databases, queues=["mail"])

    (mail,) = simulated_outbox().sent
    assert mail.subject == "Invitation to Acme Ltd on Rastro"  # the inviter's language
    assert "You already have an account" in mail.text
    token = token_of(mail, "/invitation")
    taken = await mail_client.post(
        "/api/auth/invitations/register",
        json={"token": token, "name": "Someone", "password": NEW_PASSWORD},
    )
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "sign_in_to_accept"

    invited_headers = await auth_headers(mail_client, invited)
    organizations = (await mail_client.get("/api/organizations", headers=invited_headers)).json()
    assert str(admin.organization_id) not in {o["id"] for o in organizations}
    accepted = await mail_client.post(
        f"/api/auth/invitations/{created['invitation']['id']}/accept", headers=invited_headers
    )
    assert accepted.status_code == 200, accepted.text
    organizations = (await mail_client.get("/api/organizations", headers=invited_headers)).json()
    assert str(admin.organization_id) in {o["id"] for o in organizations}


async def test_expired_revoked_and_renewed_invitations(mail_client, mail_settings, databases):  # type: ignore[no-untyped-def]
    admin = await make_account(databases)
    headers = await auth_headers(mail_client, admin)
    created = await invite(mail_client, headers, "late@example.com")
    await drain_jobs(mail_settings, databases, queues=["mail"])
    first = token_of(simulated_outbox().sent[-1], "/invitation")

    # inviting again sends a new link; the first one stops working
    await invite(mail_client, headers, "late@example.com")
    await drain_jobs(mail_settings, databases, queues=["mail"])
    second = token_of(simulated_outbox().sent[-1], "/invitation")
    assert second != first
    stale = await mail_client.post(
        "/api/auth/invitations/register",
        json={"token": first, "name": "Late", "password": NEW_PASSWORD},
    )
    assert stale.status_code == 404

    async with databases.crm.transaction(SYSTEM) as session:
        await session.execute(
            text("UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE id = :id"),
            {"id": created["invitation"]["id"]},
        )
    expired = await mail_client.post(
        "/api/auth/invitations/register",
        json={"token": second, "name": "Late", "password": NEW_PASSWORD},
    )
    assert expired.status_code == 404
    assert expired.json()["error"]["code"] == "invitation_not_found"

    # a revoked invitation's queued mail is not sent
    revoked = await invite(mail_client, headers, "gone@example.com")
    sent_before = len(simulated_outbox().sent)
    response = await mail_client.delete(
        f"/api/members/invitations/{revoked['invitation']['id']}", headers=headers
    )
    assert response.status_code == 204
    await drain_jobs(mail_settings, databases, queues=["mail"])
    assert len(simulated_outbox().sent) == sent_before


async def test_a_double_submitted_invitation_sends_one_mail_whose_link_works(
    mail_client, mail_settings, databases
):  # type: ignore[no-untyped-def]
    admin = await make_account(databases)
    headers = await auth_headers(mail_client, admin)
    first = await invite(mail_client, headers, "twice@example.com")
    second = await invite(mail_client, headers, "twice@example.com")
    assert first["invitation"]["id"] == second["invitation"]["id"]
    await drain_jobs(mail_settings, databases, queues=["mail"])
    (mail,) = simulated_outbox().sent
    registered = await mail_client.post(
        "/api/auth/invitations/register",
        json={"token": token_of(mail, "/invitation"), "name": "Twice", "password": NEW_PASSWORD},
    )
    assert registered.status_code == 200, registered.text


async def test_without_a_sender_the_admin_gets_the_link_and_nothing_is_sent(
    client, settings, databases, logs
):  # type: ignore[no-untyped-def]
    simulated_outbox().sent.clear()
    admin = await make_account(databases)
    headers = await auth_headers(client, admin)
    created = await invite(client, headers, "by-hand@example.com")
    assert created["delivery"] == "link"
    assert len(created["token"]) > 20

    # a reset asked with no sender: the same answer, and a log line with the id only
    response = await client.post("/api/auth/password-reset", json={"email": admin.email})
    assert response.status_code == 202
    await drain_jobs(settings, databases, queues=["mail"])
    assert simulated_outbox().sent == []
    not_sent = [line for line in logs.getvalue().splitlines() if "mail.not_sent" in line]
    assert len(not_sent) == 1
    assert '"reason":"no_sender"' in not_sent[0]
    assert '"kind":"password_reset"' in not_sent[0]
    assert admin.email not in logs.getvalue()


async def test_invitations_through_smtp(settings, databases):  # type: ignore[no-untyped-def]
    server = FakeSmtpServer().start()
    try:
        smtp_settings = settings.model_copy(
            update={
                "mail_sender": "smtp",
                "mail_smtp_port": server.port,
                "mail_smtp_security": "none",
                "mail_from_address": "no-reply@rastro.example",
            }
        )
        app = create_app(smtp_settings, databases=databases, check_migrations=False)
        transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            admin = await make_account(databases)
            await invite(http, await auth_headers(http, admin), "smtp-invitee@example.com")
        await close_app(app)
        await drain_jobs(smtp_settings, databases, queues=["mail"])
    finally:
        server.stop()
    (received,) = server.received
    assert received.mail_from == "no-reply@rastro.example"
    assert received.rcpt_to == ["smtp-invitee@example.com"]
    message = received.message
    assert message["List-Unsubscribe"] is None
    assert message["Precedence"] is None
    body = message.get_body(("plain",))
    assert body is not None
    assert "/invitation#" in body.get_content()


async def test_smtp_refusals_temporary_retried_permanent_logged(settings, databases, logs):  # type: ignore[no-untyped-def]
    server = FakeSmtpServer(
        rcpt_replies={
            "later@example.com": (451, "4.2.0 try later"),
            "never@example.com": (550, "5.1.1 no such mailbox"),
        }
    ).start()
    smtp_settings = settings.model_copy(
        update={"mail_sender": "smtp", "mail_smtp_port": server.port, "mail_smtp_security": "none"}
    )
    try:
        app = create_app(smtp_settings, databases=databases, check_migrations=False)
        transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            admin = await make_account(databases)
            headers = await auth_headers(http, admin)
            later = await invite(http, headers, "later@example.com")
            await invite(http, headers, "never@example.com")
        await close_app(app)
        async with databases.crm.transaction(SYSTEM) as session:
            before = await session.scalar(
                text("SELECT token_hash FROM invitations WHERE id = :id"),
                {"id": later["invitation"]["id"]},
            )
        await drain_jobs(smtp_settings, databases, queues=["mail"])
    finally:
        server.stop()
    assert server.received == []
    async with databases.crm.transaction(SYSTEM) as session:
        after = await session.scalar(
            text("SELECT token_hash FROM invitations WHERE id = :id"),
            {"id": later["invitation"]["id"]},
        )
        waiting = await session.scalar(
            text(
                "SELECT count(*) FROM procrastinate_jobs"
                " WHERE status = 'todo' AND task_name = 'core:mail.send'"
            )
        )
    assert after == before  # the token minted for the refused mail was rolled back
    assert waiting == 1  # the temporary refusal is retried later; the permanent one is not
    logged = logs.getvalue()
    assert '"event":"mail.deferred"' in logged
    assert '"error":"smtp_451"' in logged
    assert '"event":"mail.failed"' in logged
    assert '"error":"smtp_550"' in logged
    assert "later@example.com" not in logged
    assert "never@example.com" not in logged


def test_templates_escape_people_text_and_speak_english() -> None:
    from rastro.email.system import templates

    moment = datetime(2026, 12, 13, 15, 30, tzinfo=UTC)
    rendered = templates.invitation(
        locale="en",
        organization="Acme",
        inviter='<img src=x onerror="alert(1)">',
        role="viewer",
        has_account=False,
        link="https://rastro.example/invitation#abc",
        expires_at=moment,
    )
    assert "<img" not in rendered.html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in rendered.html
    assert rendered.subject == "Invitation to Acme on Rastro"
    assert "as Viewer" in rendered.text
    assert "2026-12-13 15:30" in rendered.text
    assert "Create your account" in rendered.text
    reset = templates.password_reset(
        locale="pt-BR",
        name="Zé <b>",
        link="https://rastro.example/reset-password#t",
        expires_at=moment,
    )
    assert "Olá, Zé &lt;b&gt;." in reset.html
    assert "13/12/2026 15:30" in reset.text
    assert templates.language("es") == "en"
    assert templates.language("pt") == "pt-BR"
