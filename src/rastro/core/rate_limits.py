"""Fixed-window request limits kept in the CRM database, so every server process counts
the same hits: one row per organization, limit (`bucket`) and client (a hash of its key,
e.g. the IP address: no address is stored), holding the current window's start and its
hits. `hit` counts one request and raises `TooManyRequests` (429, `Retry-After`: the
seconds left in the window) past the limit; a request over the limit is not counted.
Rows of windows long gone are deleted by `purge_counters` (a module's daily job).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import DateTime, ForeignKey, Integer, String, case, delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from rastro.core.db import SYSTEM, CrmBase, TenantMixin, scoped
from rastro.core.errors import RastroError
from rastro.core.security import sha256_hex


class TooManyRequests(RastroError):
    status_code = 429
    code = "too_many_requests"
    default_message = "Too many requests from this address; try again later."


class RateCounter(TenantMixin, CrmBase):
    """The hits of one client on one limit in the current window."""

    __tablename__ = "rate_limit_counters"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    bucket: Mapped[str] = mapped_column(String(40), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    hits: Mapped[int] = mapped_column(Integer)


def _window_start(now: datetime, window: timedelta) -> datetime:
    seconds = int(window.total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=now.tzinfo)


async def hit(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    bucket: str,
    key: str,
    limit: int,
    window: timedelta,
    now: datetime,
) -> None:
    """Count one request of `key` on `bucket`; `TooManyRequests` once `limit` requests
    were counted in the current window (one round trip: an upsert that counts only
    while under the limit)."""
    start = _window_start(now, window)
    table = RateCounter.__table__
    values = insert(RateCounter).values(
        organization_id=organization_id,
        bucket=bucket,
        key_hash=sha256_hex(f"{bucket}:{key}"),
        window_start=start,
        hits=1,
    )
    new_window = table.c.window_start < values.excluded.window_start
    statement = values.on_conflict_do_update(
        index_elements=["organization_id", "bucket", "key_hash"],
        set_={
            "window_start": values.excluded.window_start,
            "hits": case((new_window, 1), else_=table.c.hits + 1),
        },
        # At the limit the row is left alone: nothing returned, the request refused.
        where=new_window | (table.c.hits < limit),
    ).returning(table.c.hits)
    counted = await session.scalar(statement)
    if counted is None:
        retry = max(1, int((start + window - now).total_seconds()))
        raise TooManyRequests(headers={"Retry-After": str(retry)}, details={"retry_after": retry})


async def purge_counters(session: AsyncSession, *, before: datetime) -> int:
    """Delete every organization's counters whose window started before `before`."""
    async with scoped(session, SYSTEM):
        result = await session.execute(
            delete(RateCounter)
            .where(RateCounter.window_start < before)
            .execution_options(synchronize_session=False)
        )
    return int(getattr(result, "rowcount", 0) or 0)
