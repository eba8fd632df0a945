"""Rastro's own e-mails (issue 20, item 11): member invitations accepted by the invited
person and password resets, sent by the instance's sender (simulated and SMTP), with
nothing personal in any log line."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import pytest_asyncio
import structlog
from sqlalchemy import text

from rastro.app import close_app, create_app
from rastro.config import Settings
from rastro.core.db import SYSTEM, Databases
from rastro.core.logging import configure_logging
from rastro.email.senders.base import OutgoingMail
from rastro.email.system.transport import simulated_outbox
from tests.auth.factories import PASSWORD, Account, auth_headers, bearer, login, make_account
from tests.fakes.smtp import FakeSmtpServer
from tests.helpers import drain_jobs

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def mail_settings(settings: Settings) -> Settings:
    simulated_outbox().sent.clear()
    return settings.model_copy(update={"mail_sender": "simulated"})


@pytest_asyncio.fixture(loop_scope="session")
async def mail_client(
    mail_settings: Settings, databases: Databases
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(mail_settings, databases=databases, check_migrations=False)
    transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
    await close_app(app)


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """The real logging configuration at INFO (as in production), its one handler writing
    into a buffer: structlog's lines and the libraries' (procrastinate, httpx)."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved_structlog = structlog.get_config()
    configure_logging("INFO", "json")
    buffer = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    try:
        yield buffer
    finally:
        root.handlers[:], root.level = saved_handlers, saved_level
        structlog.configure(**saved_structlog)


def _token(mail: OutgoingMail, path: str) -> str:
    found = re.search(rf"http://127\.0\.0\.1:8000{path}#([A-Za-z0-9_\-]+)", mail.text)
    assert found, mail.text
    assert f"{path}#{found.group(1)}" in mail.html
    return found.group(1)


async def _invite(client: httpx.AsyncClient, headers: dict[str, str], email: str) -> dict:  # type: ignore[type-arg]
    response = await client.post(
        "/api/members", headers=headers, json={"email": email, "role": "analyst"}
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def _set_org(databases: Databases, account: Account, *, name: str, locale: str) -> None:
    async with databases.crm.transaction(SYSTEM) as session:
        await session.execute(
            text("UPDATE organizations SET name = :name, locale = :locale WHERE id = :id"),
            {"name": name, "locale": locale, "id": account.organization_id},
        )
        await session.execute(
            text("UPDATE users SET locale = :locale WHERE id = :id"),
            {"locale": locale, "id": account.user_id},
        )


# --- invitations ----------------------------------------------------------------------------


async def test_an_invitation_is_emailed_and_its_link_registers_once(
    mail_client, mail_settings, databases, logs
):  # type: ignore[no-untyped-def]
    admin = await make_account(databases, name="Ana Admin")
    await _set_org(databases, admin, name="<b>Acme</b> & Filhos", locale="pt-BR")
    headers = await auth_headers(mail_client, admin)
    address = "nova.pessoa@example.com"

    created = await _invite(mail_client, headers, address)
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
    token = _token(mail, "/invitation")

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
    await _set_org(databases, admin, name="Acme Ltd", locale="en")
    invited = await make_account(databases)
    headers = await auth_headers(mail_client, admin)
    created = await _invite(mail_client, headers, invited.email)
    await drain_jobs(mail_settings, databases, queues=["mail"])

    (mail,) = simulated_outbox().sent
    assert mail.subject == "Invitation to Acme Ltd on Rastro"  # the inviter's language
    assert "You already have an account" in mail.text
    token = _token(mail, "/invitation")
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
    created = await _invite(mail_client, headers, "late@example.com")
    await drain_jobs(mail_settings, databases, queues=["mail"])
    first = _token(simulated_outbox().sent[-1], "/invitation")

    # inviting again sends a new link; the first one stops working
    await _invite(mail_client, headers, "late@example.com")
    await drain_jobs(mail_settings, databases, queues=["mail"])
    second = _token(simulated_outbox().sent[-1], "/invitation")
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
    revoked = await _invite(mail_client, headers, "gone@example.com")
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
    first = await _invite(mail_client, headers, "twice@example.com")
    second = await _invite(mail_client, headers, "twice@example.com")
    assert first["invitation"]["id"] == second["invitation"]["id"]
    await drain_jobs(mail_settings, databases, queues=["mail"])
    (mail,) = simulated_outbox().sent
    registered = await mail_client.post(
        "/api/auth/invitations/register",
        json={"token": _token(mail, "/invitation"), "name": "Twice", "password": NEW_PASSWORD},
    )
    assert registered.status_code == 200, registered.text


async def test_without_a_sender_the_admin_gets_the_link_and_nothing_is_sent(
    client, settings, databases, logs
):  # type: ignore[no-untyped-def]
    simulated_outbox().sent.clear()
    admin = await make_account(databases)
    headers = await auth_headers(client, admin)
    created = await _invite(client, headers, "by-hand@example.com")
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
            await _invite(http, await auth_headers(http, admin), "smtp-invitee@example.com")
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


# --- password reset ---------------------------------------------------------------------------


async def test_password_reset_end_to_end(mail_client, mail_settings, databases, logs):  # type: ignore[no-untyped-def]
    account = await make_account(databases, name="Rita Reset")
    old = await login(mail_client, account)

    known = await mail_client.post("/api/auth/password-reset", json={"email": account.email})
    unknown = await mail_client.post(
        "/api/auth/password-reset", json={"email": "nobody-at-all@example.com"}
    )
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json() == {"status": "requested"}
    await drain_jobs(mail_settings, databases, queues=["mail"])

    (mail,) = simulated_outbox().sent  # the unknown address gets nothing
    assert mail.to == account.email
    assert mail.subject == "Redefinir sua senha do Rastro"
    assert "Olá, Rita Reset." in mail.text
    token = _token(mail, "/reset-password")

    short = await mail_client.post(
        "/api/auth/password-reset/confirm", json={"token": token, "new_password": "short"}
    )
    assert short.status_code == 422
    done = await mail_client.post(
        "/api/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert done.status_code == 204, done.text

    # every session ended: the old refresh and access tokens stop working
    refreshed = await mail_client.post(
        "/api/auth/refresh", json={"refresh_token": old["refresh_token"]}
    )
    assert refreshed.status_code == 401
    me = await mail_client.get("/api/auth/me", headers=bearer(old["access_token"]))
    assert me.status_code == 401
    # the old password no longer works, the new one does
    assert (
        await mail_client.post(
            "/api/auth/login", json={"email": account.email, "password": PASSWORD}
        )
    ).status_code == 401
    signed_in = await mail_client.post(
        "/api/auth/login", json={"email": account.email, "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 200

    # single use, and a made-up token
    for bad in (token, "not-a-real-token-at-all"):
        again = await mail_client.post(
            "/api/auth/password-reset/confirm", json={"token": bad, "new_password": NEW_PASSWORD}
        )
        assert again.status_code == 400
        assert again.json()["error"]["code"] == "reset_token_invalid"

    logged = logs.getvalue()
    assert "mail.sent" in logged
    assert account.email not in logged
    assert token not in logged


async def test_an_expired_reset_link_is_refused(mail_client, mail_settings, databases):  # type: ignore[no-untyped-def]
    account = await make_account(databases)
    await mail_client.post("/api/auth/password-reset", json={"email": account.email})
    await drain_jobs(mail_settings, databases, queues=["mail"])
    token = _token(simulated_outbox().sent[-1], "/reset-password")
    async with databases.crm.transaction(SYSTEM) as session:
        await session.execute(
            text("UPDATE password_resets SET expires_at = :past"),
            {"past": datetime.now(UTC) - timedelta(seconds=1)},
        )
    expired = await mail_client.post(
        "/api/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert expired.status_code == 400
    assert expired.json()["error"]["code"] == "reset_token_invalid"
    still = await mail_client.post(
        "/api/auth/login", json={"email": account.email, "password": PASSWORD}
    )
    assert still.status_code == 200


async def test_a_newer_reset_link_replaces_nothing_but_a_used_one_ends_all(
    mail_client, mail_settings, databases
):  # type: ignore[no-untyped-def]
    account = await make_account(databases)
    for _ in range(2):
        await mail_client.post("/api/auth/password-reset", json={"email": account.email})
    await drain_jobs(mail_settings, databases, queues=["mail"])
    first, second = (_token(m, "/reset-password") for m in simulated_outbox().sent)
    used = await mail_client.post(
        "/api/auth/password-reset/confirm", json={"token": second, "new_password": NEW_PASSWORD}
    )
    assert used.status_code == 204
    other = await mail_client.post(
        "/api/auth/password-reset/confirm", json={"token": first, "new_password": "yet another one"}
    )
    assert other.status_code == 400  # using one link ends the other pending ones


async def test_reset_requests_are_rate_limited_alike_for_any_address(mail_client, databases):  # type: ignore[no-untyped-def]
    account = await make_account(databases)
    for address in (account.email, "nobody-limit@example.com"):
        codes = [
            (
                await mail_client.post("/api/auth/password-reset", json={"email": address})
            ).status_code
            for _ in range(4)
        ]
        assert codes == [202, 202, 202, 429]
    limited = await mail_client.post("/api/auth/password-reset", json={"email": account.email})
    assert limited.json()["error"]["code"] == "too_many_reset_requests"
    assert limited.headers["Retry-After"] == "3600"
    bad = await mail_client.post("/api/auth/password-reset", json={"email": "not an address"})
    assert bad.status_code == 422


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
            later = await _invite(http, headers, "later@example.com")
            await _invite(http, headers, "never@example.com")
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


async def test_an_operator_reset_link_works_once_without_any_mail(client, databases):  # type: ignore[no-untyped-def]
    from rastro.auth.service import password_resets

    simulated_outbox().sent.clear()
    account = await make_account(databases)
    async with databases.crm.transaction(SYSTEM) as session:
        issued = await password_resets.issue_reset_for_email(session, email=account.email.upper())
        nobody = await password_resets.issue_reset_for_email(
            session, email="nobody-cli@example.com"
        )
    assert issued is not None
    assert nobody is None
    body = {"token": issued.token, "new_password": NEW_PASSWORD}
    assert (await client.post("/api/auth/password-reset/confirm", json=body)).status_code == 204
    assert (await client.post("/api/auth/password-reset/confirm", json=body)).status_code == 400
    assert simulated_outbox().sent == []


async def test_reset_requests_are_limited_per_ip_too(settings, databases):  # type: ignore[no-untyped-def]
    one_per_hour = settings.model_copy(update={"password_reset_max_per_hour": 1})
    app = create_app(one_per_hour, databases=databases, check_migrations=False)
    transport = httpx.ASGITransport(app=app, client=("198.51.100.77", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        codes = [
            (
                await http.post("/api/auth/password-reset", json={"email": f"ip{n}@example.com"})
            ).status_code
            for n in range(11)
        ]
    await close_app(app)
    assert codes == [202] * 10 + [429]  # ten addresses an hour from one IP (10 x the limit)
