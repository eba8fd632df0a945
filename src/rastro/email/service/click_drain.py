"""The click redirect's second half. The redirect answers once its click is committed in
the CRM's `email_click_queue` (its one durable write, `click_writer`); from there each
click's `click` event is stored in BI, its message's first click time settled and the
click leaves the queue (`drain`: one BI statement, then one CRM statement).

Two paths drain the queue, with the same two statements:

* the serving process, milliseconds after answering (`ClickWriter`'s drain task, from the
  clicks it holds in memory);
* `sweep` (the `drain_clicks` job, every minute): whatever has been queued for longer
  than `SWEEP_AGE`, i.e. the clicks of a process that stopped (killed, crashed, BI away)
  before draining them.

Each click is stored once in BI: its event id was chosen before it was queued and the BI
statement skips ids stored already, so a click drained twice (by both paths, or again
after a process stopped between the BI commit and the CRM's) adds nothing; its queue row
goes only in the CRM statement that follows the BI commit, so no click leaves the queue
without its event.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

import psycopg
from sqlalchemy import select

from rastro.core.db import SYSTEM, Databases
from rastro.core.units import AutocommitCall, TransactionBoundary
from rastro.email.click_models import QueuedClick
from rastro.email.contracts import (
    RASTRO_EMAIL_CLICKS_DRAINED,
    RASTRO_EMAIL_EVENTS,
    DrainedClick,
    EmailEventRow,
    QueuedClickRow,
)

SWEEP_AGE = timedelta(seconds=10)  # a serving process drains its clicks well within this
SWEEP_BATCH = 2_000

_A = TypeVar("_A")
_R = TypeVar("_R")


class Caller(Protocol):
    """Runs an `AutocommitCall` (on a connection the caller holds, or a pool's)."""

    def __call__(self, function: AutocommitCall[_A, _R], arguments: _A) -> Awaitable[_R]: ...


class On:
    """`Caller` on one autocommit connection (the click writer's own)."""

    def __init__(self, connection: psycopg.AsyncConnection[Any]) -> None:
        self.connection = connection

    async def __call__(self, function: AutocommitCall[_A, _R], arguments: _A) -> _R:
        return await function.on(self.connection, arguments)


def click_event(row: QueuedClickRow, recorded_at: datetime) -> EmailEventRow:
    """A queued click's `click` event (`recorded_at`: when it is written, what the
    aggregates' recount follows)."""
    return {
        "event_id": row["event_id"],
        "organization_id": row["organization_id"],
        "campaign_id": row["campaign_id"],
        "message_id": row["message_id"],
        "contact_id": row["contact_id"],
        "link_id": row["link_id"],
        "type": "click",
        "subtype": None,
        "is_machine": False,
        "source": "tracker",
        "external_id": None,
        "detail": {"user_agent": row["user_agent"]},
        "occurred_at": row["clicked_at"],
        "recorded_at": recorded_at,
    }


async def drain(bi: Caller, crm: Caller, rows: list[QueuedClickRow]) -> int:
    """Store the clicks' events in BI, then settle their messages' first click times and
    remove them from the queue (CRM); returns how many left the queue (fewer when another
    drain removed some first)."""
    if not rows:
        return 0
    now = datetime.now(UTC)
    await bi(RASTRO_EMAIL_EVENTS, [click_event(row, now) for row in rows])
    drained: list[DrainedClick] = [
        {
            "event_id": row["event_id"],
            "organization_id": row["organization_id"],
            "message_id": row["message_id"],
            "clicked_at": row["clicked_at"],
        }
        for row in rows
    ]
    return await crm(RASTRO_EMAIL_CLICKS_DRAINED, drained)


async def queued(
    databases: Databases, *, older_than: timedelta, limit: int = SWEEP_BATCH
) -> list[QueuedClickRow]:
    """The clicks queued for longer than `older_than` (every organization's), oldest
    first."""
    async with databases.crm.transaction(SYSTEM) as session:
        rows = await session.scalars(
            select(QueuedClick)
            .where(QueuedClick.clicked_at < datetime.now(UTC) - older_than)
            .order_by(QueuedClick.clicked_at, QueuedClick.event_id)
            .limit(limit)
        )
        return [
            {
                "event_id": row.event_id,
                "organization_id": row.organization_id,
                "message_id": row.message_id,
                "link_id": row.link_id,
                "clicked_at": row.clicked_at,
                "user_agent": row.user_agent,
                "campaign_id": row.campaign_id,
                "contact_id": row.contact_id,
            }
            for row in rows
        ]


async def sweep(databases: Databases, *, older_than: timedelta = SWEEP_AGE) -> int:
    """Drain every click queued for longer than `older_than`, `SWEEP_BATCH` at a time;
    returns how many were drained."""
    bi, crm = TransactionBoundary(databases.bi), TransactionBoundary(databases.crm)
    total = 0
    while True:
        rows = await queued(databases, older_than=older_than)
        if not rows:
            return total
        await drain(bi.call, crm.call, rows)
        total += len(rows)
        if len(rows) < SWEEP_BATCH:
            return total
