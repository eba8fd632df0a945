"""The collector's group writer: concurrent batches committed together, in lock order,
transient losers retried."""

from __future__ import annotations

import asyncio
import uuid

import psycopg
from sqlalchemy import func, select

from rastro.core.db import Scope, libpq_url
from rastro.tracking.models import PageView
from rastro.tracking.service import collector
from rastro.tracking.service.writer import (
    MAX_ATTEMPTS,
    GroupWriter,
    _lock_order,
    settle,
    store_group,
)
from tests.tracking.factories import ORIGIN, event, make_site


def _prepared(site_ctx, visitor: str, csid: str) -> collector.Prepared:
    return collector.prepare(
        site=site_ctx,
        payload={"visitor_id": visitor, "session_id": csid, "events": [event()]},
        hit=collector.Hit("198.51.100.9", "Mozilla/5.0 Chrome/131"),
        secret="s" * 40,
    )


async def test_concurrent_batches_are_committed_and_answered(client, databases):
    from rastro.tracking.service.config import load_site

    site = await make_site(client, databases)
    async with databases.crm.transaction(Scope.organization(site.account.organization_id)) as s:
        context, _ = await load_site(s, site.key)
    writer = GroupWriter(libpq_url(databases.bi.url), writers=2)
    try:
        outcomes = await asyncio.gather(
            *[
                writer.submit(_prepared(context, f"v_writer_{n % 7:016d}", f"s_writer_{n:016d}"))
                for n in range(60)
            ]
        )
    finally:
        await writer.close()
    assert all("error" not in o for o in outcomes)
    assert len({o["session_id"] for o in outcomes}) == 60
    async with databases.bi.transaction(Scope.organization(site.account.organization_id)) as s:
        assert await s.scalar(select(func.count()).select_from(PageView)) == 60
    assert ORIGIN


async def test_transient_losers_are_retried_then_answered():
    loop = asyncio.get_running_loop()
    site = collector.SiteContext(uuid.uuid4(), uuid.uuid4(), "x", {})
    items = [
        (_prepared(site, f"v_{n:020d}", f"s_{n:020d}"), loop.create_future(), 1) for n in range(3)
    ]
    deadlock = {"error": "internal: 40P01 deadlock detected"}
    again = settle(items, [{"session_id": "a"}, deadlock, {"error": "internal: 23505 unique"}])
    assert [item[0] for item in again] == [items[1][0]]
    assert again[0][2] == 2
    assert items[0][1].result() == {"session_id": "a"}
    assert items[2][1].result()["error"].startswith("internal: 23505")  # not transient
    assert not items[1][1].done()
    last = [(items[1][0], items[1][1], MAX_ATTEMPTS)]
    assert settle(last, [deadlock]) == []
    assert items[1][1].result() == deadlock


def test_groups_lock_rows_in_one_order():
    site = collector.SiteContext(uuid.uuid4(), uuid.uuid4(), "x", {})
    a, b = "v_a" + "0" * 20, "v_b" + "0" * 20
    pairs = [(b, "s_2"), (a, "s_9"), (b, "s_1")]
    items = [(_prepared(site, v, s), None, 1) for v, s in pairs]
    ordered = sorted(items, key=_lock_order)
    assert [(i[0].batch["visitor"], i[0].batch["csid"]) for i in ordered] == [
        (a, "s_9"),
        (b, "s_1"),
        (b, "s_2"),
    ]


async def _context(client, databases):
    from rastro.tracking.service.config import load_site

    site = await make_site(client, databases)
    async with databases.crm.transaction(Scope.organization(site.account.organization_id)) as s:
        context, _ = await load_site(s, site.key)
    return site, context


def _batch(context, csid: str, events: list[dict]) -> collector.Prepared:
    return collector.prepare(
        site=context,
        payload={"visitor_id": "v_group_0000000000001", "session_id": csid, "events": events},
        hit=collector.Hit("198.51.100.9", "Mozilla/5.0 Chrome/131"),
        secret="s" * 40,
    )


async def test_a_failing_batch_fails_alone_in_its_group(client, databases):
    site, context = await _context(client, databases)
    batches = [_batch(context, f"s_fallback_00000000{n}", [event()]) for n in range(3)]
    assert batches[1].batch is not None
    batches[1].batch["views"][0]["created_at"] = "not a time"  # fails inside the database
    async with await psycopg.AsyncConnection.connect(
        libpq_url(databases.bi.url), autocommit=True
    ) as connection:
        outcomes = await store_group(connection, batches)
    assert outcomes[1]["error"].startswith("internal: 22007")
    assert [o["session_id"] for o in (outcomes[0], outcomes[2])] == [
        "s_fallback_000000000",
        "s_fallback_000000002",
    ]
    async with databases.bi.transaction(Scope.organization(site.account.organization_id)) as s:
        assert await s.scalar(select(func.count()).select_from(PageView)) == 2


async def test_a_batch_the_server_refuses_whole_fails_alone_not_its_group(client, databases):
    """A NUL in a string fails the whole statement (jsonb cannot hold it): the writer
    stores each batch of that group alone, so only the bad batch is refused."""
    site, context = await _context(client, databases)
    batches = [_batch(context, f"s_nul_group_00000000{n}", [event()]) for n in range(3)]
    assert batches[1].batch is not None
    batches[1].batch["views"][0]["page_title"] = "nul\x00title"  # past the collector's checks
    writer = GroupWriter(libpq_url(databases.bi.url), writers=1)
    try:
        outcomes = await asyncio.gather(*[writer.submit(b) for b in batches])
    finally:
        await writer.close()
    assert outcomes[1]["error"].startswith(collector.DATA_ERROR)
    assert [outcomes[0]["session_id"], outcomes[2]["session_id"]] == [
        "s_nul_group_000000000",
        "s_nul_group_000000002",
    ]
    refused = collector.finish(batches[1], outcomes[1])
    assert [(r.status, r.reason) for r in refused.results] == [("rejected", "invalid_batch")]
    async with databases.bi.transaction(Scope.organization(site.account.organization_id)) as s:
        assert await s.scalar(select(func.count()).select_from(PageView)) == 2
