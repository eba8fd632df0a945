"""Typed factories for the auth module: organizations, users, tokens from the real login."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass

import httpx

from rastro.auth.models import Membership
from rastro.auth.service import accounts
from rastro.core.db import SYSTEM, Databases

_counter = itertools.count(1)
PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Account:
    user_id: uuid.UUID
    organization_id: uuid.UUID
    email: str
    password: str
    organization_name: str


async def make_account(
    databases: Databases,
    *,
    role: str = "admin",
    organization_id: uuid.UUID | None = None,
    name: str | None = None,
) -> Account:
    """A user; admin of a new organization, or `role` in an existing one."""
    n = next(_counter)
    email = f"user{n}-{uuid.uuid4().hex[:6]}@example.com"
    async with databases.crm.transaction(SYSTEM) as session:
        user = await accounts.create_user(
            session, email=email, name=name or f"User {n}", password=PASSWORD
        )
        if organization_id is None:
            org = await accounts.create_organization(session, name=f"Org {n}", admin=user)
            organization_id, org_name = org.id, org.name
            if role != "admin":
                membership = await session.get(
                    Membership,
                    (
                        await session.scalar(
                            Membership.__table__.select()
                            .with_only_columns(Membership.id)
                            .where(Membership.user_id == user.id)
                        )
                    ),
                )
                assert membership is not None
                membership.role = role
        else:
            session.add(Membership(organization_id=organization_id, user_id=user.id, role=role))
            org_name = ""
    return Account(user.id, organization_id, email, PASSWORD, org_name)


async def login(client: httpx.AsyncClient, account: Account) -> dict[str, str]:
    response = await client.post(
        "/api/auth/login", json={"email": account.email, "password": account.password}
    )
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def auth_headers(client: httpx.AsyncClient, account: Account) -> dict[str, str]:
    return bearer((await login(client, account))["access_token"])
