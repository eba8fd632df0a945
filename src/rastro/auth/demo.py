"""The demo organization and its administrator, created on an empty database."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from rastro.auth.models import User
from rastro.auth.service import accounts
from rastro.core.db import SYSTEM, Databases
from rastro.core.security import new_token

DEMO_EMAIL = "admin@demo.rastro.local"
DEMO_ORGANIZATION = "Rastro Demo"


async def ensure_demo_admin(databases: Databases) -> tuple[str, str, uuid.UUID] | None:
    """Create the demo organization and admin when there is no user.

    Returns (e-mail, password, organization id), or None when the database has users.
    """
    async with databases.crm.transaction(SYSTEM) as session:
        if await session.scalar(select(func.count(User.id))):
            return None
        password = new_token(12)
        user = await accounts.create_user(
            session, email=DEMO_EMAIL, name="Demo Admin", password=password
        )
        organization = await accounts.create_organization(
            session, name=DEMO_ORGANIZATION, admin=user
        )
    return DEMO_EMAIL, password, organization.id
