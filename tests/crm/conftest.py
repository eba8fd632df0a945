"""Shared CRM fixtures: an organization with an admin, its headers, and members by role."""

from __future__ import annotations

from dataclasses import dataclass

import pytest_asyncio

from tests.auth.factories import Account, auth_headers, make_account


@dataclass
class Org:
    admin: Account
    headers: dict[str, str]

    @property
    def id(self):  # type: ignore[no-untyped-def]
        return self.admin.organization_id


@pytest_asyncio.fixture(loop_scope="session")
async def org(client, databases) -> Org:  # type: ignore[no-untyped-def]
    """An organization whose admin is signed in."""
    admin = await make_account(databases)
    return Org(admin, await auth_headers(client, admin))


@pytest_asyncio.fixture(loop_scope="session")
async def other_org(client, databases) -> Org:  # type: ignore[no-untyped-def]
    """A second organization, to check that nothing leaks between tenants."""
    admin = await make_account(databases)
    return Org(admin, await auth_headers(client, admin))
