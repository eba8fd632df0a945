"""The outbox: what one database needs from a CRM transaction, delivered at least once.

A module writes an outbox message in the same CRM transaction as the change it describes
(`publish`, or a database function that inserts the row and calls `rastro_defer_once`,
CRM migration 0009); the message therefore exists exactly when the change was committed.
At most one delivery job (`core:outbox.deliver`) waits and one runs at any time, whatever
the number of messages: the job lets messages gather for `OUTBOX_GATHER_SECONDS`, then
claims up to `BATCH_SIZE` due messages at once and hands each topic's handler the messages
of one organization together, so a burst of lead captures costs a few set-based statements
instead of a job and two transactions per lead. A sweep every minute delivers whatever a
dead worker or a failure left — and the rare message whose transaction saw the waiting job
just before it started but committed only after that job's claim, a gathering interval
later. Delivered messages are deleted after a week (hourly).

A handler runs inside the claiming CRM transaction (under a savepoint: a failing group is
retried later without holding back the others) and may write CRM rows there, which commit
together with the messages' delivery mark. Whatever it writes elsewhere (the BI database)
commits on its own, so handlers must be idempotent: a worker killed after that commit but
before the claim's delivers the same messages again.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import procrastinate
import structlog
from pydantic_core import to_jsonable_python
from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    cast,
    delete,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from rastro.core.db import SYSTEM, CrmBase, Databases, TenantMixin
from rastro.core.ids import uuid7
from rastro.core.jobs import enqueue_once, job_context
from rastro.core.redaction import describe_error

log = structlog.get_logger(__name__)

DELIVER_TASK = "core:outbox.deliver"
QUEUE = "outbox"
QUEUEING_LOCK = "core.outbox_deliver"  # at most one delivery job waits
BATCH_SIZE = 200
MAX_BACKOFF = timedelta(minutes=30)


@dataclass(frozen=True)
class Message:
    id: uuid.UUID
    payload: dict[str, Any]


# (databases, the claiming CRM session, organization, that organization's messages)
Handler = Callable[[Databases, AsyncSession, uuid.UUID, list[Message]], Awaitable[None]]
_handlers: dict[str, Handler] = {}


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
    """Register the function that applies messages of `topic` (one per topic). It gets
    the messages of one organization at a time, in the order of the transactions that
    published them."""

    def register(function: Handler) -> Handler:
        if topic in _handlers and _handlers[topic] is not function:
            raise RuntimeError(f"outbox topic {topic!r} already has a handler")
        _handlers[topic] = function
        return function

    return register


async def publish(
    session: AsyncSession, organization_id: uuid.UUID, topic: str, payload: dict[str, Any]
) -> uuid.UUID:
    """Add a message in the session's transaction and make sure a delivery job waits."""
    if topic not in _handlers:
        raise RuntimeError(f"no outbox handler for {topic!r}")
    message = OutboxMessage(
        id=uuid7(), organization_id=organization_id, topic=topic, payload=payload
    )
    session.add(message)
    await enqueue_once(session, DELIVER_TASK, queueing_lock=QUEUEING_LOCK, queue=QUEUE)
    return message.id


def _backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=2**attempts * 5), MAX_BACKOFF)


async def _deliver_batch(databases: Databases, session: AsyncSession, limit: int) -> int:
    """Claim up to `limit` due messages in `session` and apply them; how many claimed."""
    claimed = (
        await session.execute(
            select(
                OutboxMessage.id,
                OutboxMessage.organization_id,
                OutboxMessage.topic,
                OutboxMessage.payload,
                OutboxMessage.attempts,
            )
            .where(OutboxMessage.delivered_at.is_(None), OutboxMessage.available_at <= func.now())
            .order_by(OutboxMessage.available_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    groups: dict[tuple[str, uuid.UUID], list[Any]] = defaultdict(list)
    for row in claimed:
        groups[(row.topic, row.organization_id)].append(row)
    for (topic, organization_id), rows in groups.items():
        ids = [row.id for row in rows]
        try:
            apply = _handlers.get(topic)
            if apply is None:
                raise LookupError(f"no outbox handler for {topic!r}")
            messages = [Message(row.id, dict(row.payload)) for row in rows]
            async with session.begin_nested():
                await apply(databases, session, organization_id, messages)
        except Exception as error:  # these stay; a later delivery tries again
            attempts = max(row.attempts for row in rows) + 1
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(
                    attempts=OutboxMessage.attempts + 1,
                    last_error=f"{type(error).__name__}: {describe_error(error)}"[:2000],
                    available_at=func.now() + _backoff(attempts),
                )
            )
            log.warning(
                "outbox.failed",
                topic=topic,
                organization_id=str(organization_id),
                messages=len(ids),
                error_class=type(error).__name__,
                error=describe_error(error),
            )
            continue
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(delivered_at=func.now(), attempts=OutboxMessage.attempts + 1)
        )
    return len(claimed)


async def deliver(databases: Databases, *, batch_size: int = BATCH_SIZE) -> int:
    """Apply every due message, `batch_size` at a time; returns how many were claimed.

    Each batch is claimed with `FOR UPDATE SKIP LOCKED` in a CRM transaction that stays open
    while its handlers run, so two workers never apply the same message at once; a failing
    group is recorded with a growing delay before its next attempt.
    """
    total = 0
    while True:
        async with databases.crm.transaction(SYSTEM) as session:
            claimed = await _deliver_batch(databases, session, batch_size)
        total += claimed
        if claimed < batch_size:
            return total


blueprint = procrastinate.Blueprint()


@blueprint.task(name="outbox.deliver", queue=QUEUE, lock=QUEUEING_LOCK, queueing_lock=QUEUEING_LOCK)
async def deliver_due(message_id: str | None = None) -> int:
    """Deliver what is due, after letting messages gather for `OUTBOX_GATHER_SECONDS`:
    under a burst, one job per interval applies them in a few large batches. The jobs run
    one at a time (their lock); the messages committed meanwhile queue the next one.

    `message_id`, from jobs queued one per message by earlier versions, is ignored: that
    message is due with the others."""
    context = job_context()
    await asyncio.sleep(context.settings.outbox_gather_seconds)
    return await deliver(context.databases)


@blueprint.periodic(cron="* * * * *")
@blueprint.task(name="outbox.sweep", queue=QUEUE, queueing_lock="core.outbox_sweep")
async def sweep(timestamp: int) -> int:
    """Every minute: deliver what is due (messages a dead worker or a failure left)."""
    return await deliver(job_context().databases)


KEEP_DELIVERED = timedelta(days=7)
PURGE_BATCH = 10_000


async def purge_delivered(databases: Databases, *, older_than: timedelta = KEEP_DELIVERED) -> int:
    """Delete the messages delivered more than `older_than` ago, `PURGE_BATCH` per
    transaction; returns how many."""
    purged = 0
    while True:
        async with databases.crm.transaction(SYSTEM) as session:
            old = (
                select(OutboxMessage.id)
                .where(OutboxMessage.delivered_at < func.now() - older_than)
                .limit(PURGE_BATCH)
            )
            result = await session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(old)))
        deleted = int(getattr(result, "rowcount", 0) or 0)
        purged += deleted
        if deleted < PURGE_BATCH:
            return purged


@blueprint.periodic(cron="23 * * * *")
@blueprint.task(name="outbox.purge", queue="maintenance", queueing_lock="core.outbox_purge")
async def purge(timestamp: int) -> int:
    """Hourly: forget the messages delivered more than a week ago."""
    return await purge_delivered(job_context().databases)


def register(app: procrastinate.App) -> None:
    app.add_tasks_from(blueprint, namespace="core")


def _mentioning(values: Sequence[str]) -> ColumnElement[bool]:
    text_payload = cast(OutboxMessage.payload, String)
    return or_(*(text_payload.contains(value, autoescape=True) for value in values))


async def messages_mentioning(
    session: AsyncSession, *, values: Sequence[str]
) -> list[dict[str, Any]]:
    """The messages whose payload names any of `values` (a person's ids, e-mail, phone),
    for a data-subject export."""
    if not values:
        return []
    rows = await session.execute(
        select(
            OutboxMessage.id,
            OutboxMessage.topic,
            OutboxMessage.payload,
            OutboxMessage.created_at,
            OutboxMessage.delivered_at,
        ).where(_mentioning(values))
    )
    return [to_jsonable_python(dict(row)) for row in rows.mappings()]


async def discard_delivered_mentioning(session: AsyncSession, *, values: Sequence[str]) -> int:
    """Delete the delivered messages that name any of `values` (a data-subject erasure);
    pending ones stay, to apply what they carry (ids, not the person's details)."""
    if not values:
        return 0
    result = await session.execute(
        delete(OutboxMessage).where(_mentioning(values), OutboxMessage.delivered_at.is_not(None))
    )
    return int(getattr(result, "rowcount", 0) or 0)
