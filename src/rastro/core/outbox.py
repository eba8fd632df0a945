"""The outbox: what one database needs from a CRM transaction, delivered at least once.

A module writes an outbox message in the same CRM transaction as the change it describes
(`publish`); the message therefore exists exactly when the change was committed. A job
(`core:outbox.deliver`, enqueued with the message, and a sweep every minute for whatever a
dead worker left behind) hands each message to the handler registered for its topic and
marks it delivered. Handlers must be idempotent: a worker killed after the handler's own
commit but before the message was marked delivers it again.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import procrastinate
import structlog
from sqlalchemy import ForeignKey, Index, Integer, String, Text, func, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from rastro.core.db import SYSTEM, CrmBase, Databases, TenantMixin
from rastro.core.ids import uuid7
from rastro.core.jobs import enqueue, job_context

log = structlog.get_logger(__name__)

Handler = Callable[[Databases, uuid.UUID, dict[str, Any]], Awaitable[None]]
_handlers: dict[str, Handler] = {}

MAX_BACKOFF = timedelta(minutes=30)


class OutboxMessage(TenantMixin, CrmBase):
    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "ix_outbox_pending",
            "available_at",
            postgresql_where=text("delivered_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    topic: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    available_at: Mapped[datetime] = mapped_column(server_default=func.now())
    delivered_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)


def handler(topic: str) -> Callable[[Handler], Handler]:
    """Register the function that applies messages of `topic` (one per topic)."""

    def register(function: Handler) -> Handler:
        if topic in _handlers and _handlers[topic] is not function:
            raise RuntimeError(f"outbox topic {topic!r} already has a handler")
        _handlers[topic] = function
        return function

    return register


async def publish(
    session: AsyncSession, organization_id: uuid.UUID, topic: str, payload: dict[str, Any]
) -> uuid.UUID:
    """Add a message in the session's transaction and queue its delivery."""
    if topic not in _handlers:
        raise RuntimeError(f"no outbox handler for {topic!r}")
    message = OutboxMessage(
        id=uuid7(), organization_id=organization_id, topic=topic, payload=payload
    )
    session.add(message)
    await enqueue(
        session, "core:outbox.deliver", args={"message_id": str(message.id)}, queue="outbox"
    )
    return message.id


def _backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=2**attempts * 5), MAX_BACKOFF)


async def deliver(
    databases: Databases, *, message_id: uuid.UUID | None = None, limit: int = 100
) -> int:
    """Apply pending messages (one, or up to `limit` due ones); returns how many delivered.

    Each message is claimed with `FOR UPDATE SKIP LOCKED` in its own CRM transaction that
    stays open while the handler runs, so two workers never apply the same message at once;
    a failure is recorded with a growing delay before the next attempt.
    """
    delivered = 0
    for _ in range(1 if message_id else limit):
        async with databases.crm.transaction(SYSTEM) as session:
            query = select(OutboxMessage).where(OutboxMessage.delivered_at.is_(None))
            if message_id is not None:
                query = query.where(OutboxMessage.id == message_id)
            else:
                query = query.where(OutboxMessage.available_at <= func.now()).order_by(
                    OutboxMessage.available_at
                )
            message = (
                await session.scalars(query.limit(1).with_for_update(skip_locked=True))
            ).first()
            if message is None:
                break
            try:
                await _handlers[message.topic](
                    databases, message.organization_id, dict(message.payload)
                )
            except Exception as error:  # the message stays; the next sweep tries again
                message.attempts += 1
                message.last_error = f"{type(error).__name__}: {error}"[:2000]
                message.available_at = datetime.now(UTC) + _backoff(message.attempts)
                log.warning(
                    "outbox.failed", topic=message.topic, id=str(message.id), error=str(error)
                )
                continue
            message.delivered_at = datetime.now(UTC)
            message.attempts += 1
            delivered += 1
    return delivered


blueprint = procrastinate.Blueprint()


@blueprint.task(name="outbox.deliver", queue="outbox")
async def deliver_one(message_id: str) -> int:
    return await deliver(job_context().databases, message_id=uuid.UUID(message_id))


@blueprint.periodic(cron="* * * * *")
@blueprint.task(name="outbox.sweep", queue="outbox", queueing_lock="core.outbox_sweep")
async def sweep(timestamp: int) -> int:
    """Every minute: deliver what is due (messages a dead worker or a failure left)."""
    return await deliver(job_context().databases)


def register(app: procrastinate.App) -> None:
    app.add_tasks_from(blueprint, namespace="core")
