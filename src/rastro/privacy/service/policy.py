"""What the public privacy page says the organization keeps, and for how long.

`retention_months` is the one place the page reads the retention period: the retention
settings (`privacy/retention`) answer it per organization once they exist; until then
every organization keeps personal data for the seed's 6 months."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

DEFAULT_RETENTION_MONTHS = 6


async def retention_months(session: AsyncSession, *, organization_id: uuid.UUID) -> int:
    """Months personal data is kept before it is anonymised."""
    del session, organization_id  # the retention settings will read them
    return DEFAULT_RETENTION_MONTHS
