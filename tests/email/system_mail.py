"""Helpers of the tests of Rastro's own e-mails (invitations, password resets): read a
mail's link, invite a member, set an organization's language. Their fixtures
(`mail_settings`, `mail_client`, `logs`) are in `conftest.py`."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import text

from rastro.core.db import SYSTEM, Databases
from rastro.email.senders.base import OutgoingMail
from tests.auth.factories import Account

NEW_PASSWORD = "a brand new passphrase"


def token_of(mail: OutgoingMail, path: str) -> str:
    found = re.search(rf"http://127\.0\.0\.1:8000{path}#([A-Za-z0-9_\-]+)", mail.text)
    assert found, mail.text
    assert f"{path}#{found.group(1)}" in mail.html
    return found.group(1)


async def invite(client: httpx.AsyncClient, headers: dict[str, str], email: str) -> dict:  # type: ignore[type-arg]
    response = await client.post(
        "/api/members", headers=headers, json={"email": email, "role": "analyst"}
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def set_org(databases: Databases, account: Account, *, name: str, locale: str) -> None:
    async with databases.crm.transaction(SYSTEM) as session:
        await session.execute(
            text("UPDATE organizations SET name = :name, locale = :locale WHERE id = :id"),
            {"name": name, "locale": locale, "id": account.organization_id},
        )
        await session.execute(
            text("UPDATE users SET locale = :locale WHERE id = :id"),
            {"locale": locale, "id": account.user_id},
        )
