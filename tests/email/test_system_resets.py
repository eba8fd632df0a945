"""Rastro's own e-mails (issue 20, item 11): password reset by e-mail (single-use,
expiring, rate-limited), an operator's reset link without any mail, and what the
forgot-password page is told when the instance sends no e-mail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text

from rastro.app import close_app, create_app
from rastro.core.db import SYSTEM
from rastro.email.system.transport import simulated_outbox
from tests.auth.factories import PASSWORD, bearer, login, make_account
from tests.email.system_mail import NEW_PASSWORD, token_of
from tests.helpers import drain_jobs

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
    token = token_of(mail, "/reset-password")

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
    token = token_of(simulated_outbox().sent[-1], "/reset-password")
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
    first, second = (token_of(m, "/reset-password") for m in simulated_outbox().sent)
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


async def test_the_forgot_page_is_told_whether_a_reset_link_can_be_emailed(
    client, settings, mail_client, databases
) -> None:
    assert settings.mail_sender == "none"  # the default: Rastro sends no e-mail
    answer = await client.get("/api/auth/password-reset/options")  # public: no token
    assert answer.status_code == 200
    assert answer.json() == {"by_email": False}
    answer = await mail_client.get("/api/auth/password-reset/options")
    assert answer.json() == {"by_email": True}
