"""Direct calls of `rastro_collect()` for the database-function tests: batches made to the
typed contract of `tracking/contracts.py`, and reading rows back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from rastro.core.db import SYSTEM, Databases
from rastro.core.units import TransactionBoundary
from rastro.tracking.contracts import (
    RASTRO_COLLECT,
    CollectBatch,
    CollectLeave,
    CollectOutcome,
    CollectStored,
    CollectView,
)

URL = "https://loja.example.com.br/lp"


def at(seconds: float) -> str:
    """A time `seconds` after a fixed point a minute ago (ordered within a test)."""
    return (datetime.now(UTC) - timedelta(minutes=1) + timedelta(seconds=seconds)).isoformat()


def view(seconds: float, client_view_id: str, *, url: str = URL) -> CollectView:
    return {
        "view_id": uuid.uuid4(),
        "created_at": at(seconds),
        "page_url": url,
        "client_view_id": client_view_id,
    }


def batch(
    org: uuid.UUID,
    domain: uuid.UUID,
    csid: str,
    *,
    visitor: str = "v_function_test",
    activity: float | None = 0,
    is_bot: bool = False,
    views: list[CollectView] | None = None,
    leaves: list[CollectLeave] | None = None,
) -> CollectBatch:
    return {
        "org": org,
        "domain": domain,
        "csid": csid,
        "visitor": visitor,
        "activity_at": at(activity) if activity is not None else None,
        "last_at": at(60),
        "campaign_key": None,
        "session": {"is_bot": is_bot, "channel": "Direct"},
        "touch": {"channel": "Direct", "url_params": {}, "utm_source": "google"},
        "views": views or [],
        "events": [],
        "leaves": leaves or [],
    }


async def collect(databases: Databases, batches: list[CollectBatch]) -> list[CollectOutcome]:
    return await TransactionBoundary(databases.bi).call(RASTRO_COLLECT, batches)


def stored(outcome: CollectOutcome) -> CollectStored:
    assert "error" not in outcome, outcome
    return outcome


async def rows(databases: Databases, sql: str, **params: Any) -> list[dict[str, Any]]:
    async with databases.bi.transaction(SYSTEM) as session:
        result = await session.execute(text(sql), params)
        return [dict(row._mapping) for row in result]
