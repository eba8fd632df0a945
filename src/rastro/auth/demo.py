"""The demo organization and its administrator, created on an empty database."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from rastro.auth.models import User
from rastro.auth.service import accounts
from rastro.core.db import SYSTEM, Databases
from rastro.core.security import new_password

DEMO_EMAIL = "admin@demo.rastro.local"
DEMO_ORGANIZATION = "Rastro Demo"


async def ensure_demo_admin(databases: Databases) -> tuple[str, str, uuid.UUID] | None:
    """Create the demo organization and admin when there is no user.

    Returns (e-mail, password, organization id), or None when the database has users.
    """
    async with databases.crm.transaction(SYSTEM) as session:
        if await session.scalar(select(func.count(User.id))):
            return None
        password = new_password()
        user = await accounts.create_user(
            session, email=DEMO_EMAIL, name="Demo Admin", password=password
        )
        organization = await accounts.create_organization(
            session, name=DEMO_ORGANIZATION, admin=user
        )
    return DEMO_EMAIL, password, organization.id


def demo_login_text(email: str, password: str) -> str:
    """The demo login as `var/demo-login.txt` keeps it: one labelled line each."""
    return f"email: {email}\npassword: {password}\n"


def read_demo_login(text: str) -> dict[str, str]:
    """The labelled values of a `demo_login_text` (e.g. `{"email": …, "password": …}`)."""
    login = {}
    for line in text.splitlines():
        label, separator, value = line.partition(":")
        if separator:
            login[label.strip()] = value.strip()
    return login
