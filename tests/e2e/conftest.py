"""Accounts for the browser tests: an administrator and a user of another organization."""

import pytest_asyncio

from tests.auth.factories import make_account


@pytest_asyncio.fixture(loop_scope="session")
async def seeded_admin(databases):
    return await make_account(databases, name="Ana Admin")


@pytest_asyncio.fixture(loop_scope="session")
async def other_org_user(databases):
    return await make_account(databases, name="Otto Other")
