"""A full refresh (a new timezone, or asked for) after retention dropped old event
partitions keeps the event and path rollups of the dropped months: their raw rows are gone,
and the rollups are all that is left of them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select, text

from rastro.analytics.service.rollup_shapes import EVENTS, PATHS
from rastro.core.db import SYSTEM, Scope
from rastro.tracking import partitions
from rastro.tracking.service import partitions as tracking_partitions
from tests.analytics.factories import Visit, add_visits, refresh
from tests.tracking.factories import make_site

# Months no other test stores events in (each test database is shared by a worker's tests).
MONTHS = [date(2021, 3, 1), date(2021, 4, 1), date(2021, 5, 1)]


async def _event_rollups(databases: Any, organization_id: Any) -> list[tuple[Any, ...]]:
    async with databases.bi.transaction(Scope.organization(organization_id)) as bi:
        rows: list[tuple[Any, ...]] = []
        for rollup in (EVENTS, PATHS):
            for level in rollup.levels:
                # Every column but the row id, which a rewrite renumbers.
                columns = [c for c in level.__table__.c if c.name != "row_id"]
                result = await bi.execute(select(*columns))
                rows += sorted((level.__tablename__, *(str(v) for v in row)) for row in result)
        return rows


async def _drop_created(databases: Any) -> None:
    async with databases.bi.transaction(SYSTEM) as bi:
        for month in MONTHS:
            for parent in partitions.PARTITIONED_TABLES:
                name = partitions.partition_name(parent, month)
                await bi.execute(text(f"DROP TABLE IF EXISTS {name}"))


async def test_a_full_refresh_keeps_the_rollups_of_dropped_event_partitions(client, databases):
    site = await make_site(client, databases)
    org = site.account.organization_id
    async with databases.bi.transaction(SYSTEM) as bi:
        await partitions.create_months_since(bi, MONTHS[0], MONTHS[-1])
    try:
        moments = [datetime(2021, 3, 15, 15, tzinfo=UTC), datetime(2021, 5, 10, 15, tzinfo=UTC)]
        ids = await add_visits(
            databases,
            org,
            site.domain["domain_id"],
            [Visit(m, f"v{i}") for i, m in enumerate(moments)],
        )
        async with databases.bi.transaction(Scope.organization(org)) as bi:
            for session_id, at in zip(ids, moments, strict=True):
                params = {"org": org, "session": session_id, "at": at}
                await bi.execute(
                    text(
                        "INSERT INTO page_views (view_id, created_at, organization_id, session_id,"
                        " page_url, view_order) VALUES (gen_random_uuid(), :at, :org, :session,"
                        " 'https://loja.example.com.br/oferta?x=1', 1)"
                    ),
                    params,
                )
                await bi.execute(
                    text(
                        "INSERT INTO events (event_id, created_at, organization_id, session_id,"
                        " event_type) VALUES (gen_random_uuid(), :at, :org, :session, 'click')"
                    ),
                    params,
                )
        await refresh(databases, org)
        before = await _event_rollups(databases, org)
        march = [row for row in before if "2021-03-15" in row]
        assert {row[0] for row in march} >= {EVENTS.complete.__tablename__}
        assert {row[0] for row in march} >= {PATHS.complete.__tablename__}

        # Retention drops March's page views and events (not the touches).
        async with databases.bi.transaction(SYSTEM) as bi:
            for parent in tracking_partitions.ROLLED_UP_TABLES:
                name = partitions.partition_name(parent, MONTHS[0])
                await tracking_partitions.drop_partition(
                    bi, tracking_partitions.EventPartition(parent, name, MONTHS[0])
                )
            assert await tracking_partitions.first_month_held(bi) == MONTHS[1]
        await refresh(databases, org, full=True)

        assert await _event_rollups(databases, org) == before
    finally:
        await _drop_created(databases)
