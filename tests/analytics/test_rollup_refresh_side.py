"""A full refresh on side connections (the worker's: `rollup_refresh.refresh(side=…)`):
it writes what the refresh in one transaction writes; a reader in the middle of it sees
the old rollups and figures, after it the new ones, never a mix; a failed staging job or
an earlier failed refresh leaves no staged table behind."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select, text

from rastro.analytics.models import (
    LeadFirstTouch,
    LeadJourney,
    LeadVisitorSet,
    RollupState,
    SessionFact,
    VisitorNumber,
)
from rastro.analytics.service import rollup_refresh, rollups, visitor_sets
from rastro.analytics.service.rollup_staging import stage_prefix
from rastro.core.db import Databases, Scope
from rastro.core.units import TransactionBoundary
from tests.analytics.factories import Visit, add_visits
from tests.analytics.raw import add_page_views
from tests.analytics.report_data import SAO_PAULO, make_dataset, raw_sessions, sp_today

ROLLUPS = (rollups.CONVERSIONS, rollups.EVENTS, rollups.PATHS)
PAGES = ("https://shop.example.com/oferta", "https://shop.example.com/preco?x=1", "/obrigado")


def _numbers(value: bytes) -> list[int]:
    return np.frombuffer(value, dtype=visitor_sets.NUMBER).tolist()


def _tables() -> list[Any]:
    levels = [lv for r in ROLLUPS for lv in (*r.levels, *(m for m in r.months if m))]
    return [*levels, LeadFirstTouch, LeadJourney, SessionFact, VisitorNumber]


async def _snapshot(databases: Databases, org: uuid.UUID) -> dict[str, list[str]]:
    """Every row the refresh writes, without row ids; the visitor sets as sorted (number,
    page views) pairs (a level summed from another concatenates in any order)."""
    found: dict[str, list[str]] = {}
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        for model in _tables():
            columns = [c for c in model.__table__.c if c.name != "row_id"]
            rows = await bi.execute(select(*columns))
            found[model.__tablename__] = sorted(str(tuple(r)) for r in rows)
        for level in visitor_sets.LEVELS:
            table = level.__table__
            keys = [c for c in table.c if c.name not in ("row_id", "visitors", "page_views")]
            rows = await bi.execute(select(*keys, table.c.visitors, table.c.page_views))
            found[level.__tablename__] = sorted(
                str((*r[:-2], sorted(zip(_numbers(r[-2]), _numbers(r[-1]), strict=True))))
                for r in rows
            )
        s = LeadVisitorSet
        rows = await bi.execute(select(s.day, s.numbers, s.unnumbered_keys))
        found[s.__tablename__] = sorted(
            str((day, sorted(_numbers(numbers)), sorted(keys))) for day, numbers, keys in rows
        )
    return found


async def _staged_tables(databases: Databases, org: uuid.UUID) -> list[str]:
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        found = await bi.scalars(
            text("SELECT tablename FROM pg_tables WHERE starts_with(tablename, :prefix)"),
            {"prefix": stage_prefix(org)},
        )
        return sorted(found)


async def _refresh(
    databases: Databases, org: uuid.UUID, *, side: bool
) -> rollup_refresh.RefreshResult:
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        return await rollup_refresh.refresh(
            bi,
            org,
            timezone=SAO_PAULO.key,
            full=True,
            side=TransactionBoundary(databases.bi) if side else None,
        )


async def _dataset(client: Any, databases: Databases) -> Any:
    """`make_dataset`'s sessions, each with a few page views (the path rollup)."""
    data = await make_dataset(client, databases, days=12)
    sessions = await raw_sessions(databases, data.organization_id)
    views = [(s.session_id, s.started_at, list(PAGES[: 1 + i % 3])) for i, s in enumerate(sessions)]
    await add_page_views(databases, data.organization_id, views)
    return data


async def test_a_full_refresh_on_side_connections_writes_what_one_transaction_writes(
    client, databases
):
    data = await _dataset(client, databases)
    serial = await _refresh(databases, data.organization_id, side=False)
    one_transaction = await _snapshot(databases, data.organization_id)
    for rollup in ROLLUPS:
        assert one_transaction[rollup.complete.__tablename__], rollup.complete.__tablename__
    assert one_transaction["visitor_sets_by_channel"]
    assert one_transaction["lead_first_touches"]
    side = await _refresh(databases, data.organization_id, side=True)
    assert side.full
    assert side.through > serial.through
    assert await _snapshot(databases, data.organization_id) == one_transaction
    assert await _staged_tables(databases, data.organization_id) == []


async def _overview(client: Any, data: Any) -> dict[str, Any]:
    today = sp_today()
    params = {"date_from": str(today - timedelta(days=14)), "date_to": str(today)}
    response = await client.get("/api/analytics/overview", headers=data.site.headers, params=params)
    assert response.status_code == 200, response.text
    totals: dict[str, Any] = response.json()["totals"]
    return totals


async def test_a_reader_sees_the_old_rollups_until_the_side_refresh_commits(
    client, databases, monkeypatch
):
    data = await _dataset(client, databases)
    old_rows = await _snapshot(databases, data.organization_id)
    old_totals = await _overview(client, data)
    async with databases.bi.transaction(Scope.organization(data.organization_id)) as bi:
        old_through = await bi.scalar(select(RollupState.through))
    # Sessions of yesterday, before the rollups' `through`: not counted until a refresh.
    yesterday = old_through - timedelta(days=1)
    await add_visits(
        databases,
        data.organization_id,
        data.site.domain["domain_id"],
        [Visit(yesterday + timedelta(minutes=m), f"late{m}") for m in range(3)],
    )
    replace = rollup_refresh._replace_levels
    seen: list[str] = []

    async def reading_first(bi: Any, organization_id: Any, rollup: Any, *args: Any) -> None:
        if rollup is rollups.PATHS:  # the conversions and events are replaced already
            staged = await _staged_tables(databases, data.organization_id)
            assert staged, "the staged tables are there, committed"
            assert await _overview(client, data) == old_totals
            during = await _snapshot(databases, data.organization_id)
            # The facts, committed first, have the new sessions and visitors already.
            for facts in ("session_facts", "visitor_numbers"):
                assert len(during.pop(facts)) == len(old_rows[facts]) + 3
            assert during == {k: v for k, v in old_rows.items() if k in during}
            seen.append("read")
        await replace(bi, organization_id, rollup, *args)

    monkeypatch.setattr(rollup_refresh, "_replace_levels", reading_first)
    await _refresh(databases, data.organization_id, side=True)
    assert seen == ["read"]
    new_totals = await _overview(client, data)
    assert new_totals["sessions"] == old_totals["sessions"] + 3
    assert await _snapshot(databases, data.organization_id) != old_rows
    assert await _staged_tables(databases, data.organization_id) == []


async def test_a_failed_staging_job_leaves_no_staged_table_and_the_rollups_as_they_were(
    client, databases, monkeypatch
):
    data = await _dataset(client, databases)
    before = await _snapshot(databases, data.organization_id)
    stage_sets = visitor_sets.stage_sets

    async def failing(bi: Any, window: Any, prefix: str) -> Any:
        await stage_sets(bi, window, prefix)
        raise RuntimeError("staging failed")

    monkeypatch.setattr(visitor_sets, "stage_sets", failing)
    with pytest.raises(RuntimeError, match="staging failed"):
        await _refresh(databases, data.organization_id, side=True)
    assert await _staged_tables(databases, data.organization_id) == []
    after = await _snapshot(databases, data.organization_id)
    assert after == before


async def test_tables_an_earlier_refresh_left_behind_are_dropped(client, databases):
    data = await _dataset(client, databases)
    left = f"{stage_prefix(data.organization_id)}paths9"
    async with databases.bi.transaction(Scope.organization(data.organization_id)) as bi:
        await bi.execute(text(f"CREATE UNLOGGED TABLE {left} AS SELECT 1 AS x"))
    assert await _staged_tables(databases, data.organization_id) == [left]
    await _refresh(databases, data.organization_id, side=True)
    assert await _staged_tables(databases, data.organization_id) == []
