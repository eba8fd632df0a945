"""`rastro_session_facts()` called directly on the test PostgreSQL: its typed contract and edge
cases; and the indexes that would make the collector's per-batch updates non-HOT."""

from __future__ import annotations

import uuid

import pytest

from rastro.core.db import Databases
from rastro.core.units import TransactionBoundary
from rastro.tracking.contracts import (
    RASTRO_SESSION_FACTS,
    SessionFactsQuery,
    SessionFactsRow,
    TouchRow,
)
from tests.tracking.collect_calls import batch as _batch
from tests.tracking.collect_calls import collect as _collect
from tests.tracking.collect_calls import rows as _rows
from tests.tracking.collect_calls import view as _view


@pytest.fixture
def site() -> tuple[uuid.UUID, uuid.UUID]:
    """An organization and a domain (the BI database holds no foreign key to the CRM)."""
    return uuid.uuid4(), uuid.uuid4()


# --- rastro_session_facts ----------------------------------------------------------------------


async def _facts(databases: Databases, org: uuid.UUID, session_id: str) -> SessionFactsRow | None:
    query = SessionFactsQuery(organization_id=org, session_id=session_id)
    return await TransactionBoundary(databases.bi).call(RASTRO_SESSION_FACTS, query)


async def test_session_facts_of_an_unknown_session_are_none(
    databases: Databases, site: tuple[uuid.UUID, uuid.UUID]
) -> None:
    org, domain = site
    assert await _facts(databases, org, "s_fn_nobody") is None
    await _collect(databases, [_batch(org, domain, "s_fn_other_org")])
    assert await _facts(databases, uuid.uuid4(), "s_fn_other_org") is None  # not theirs


async def test_session_facts_are_the_contract(
    databases: Databases, site: tuple[uuid.UUID, uuid.UUID]
) -> None:
    org, domain = site
    await _collect(databases, [_batch(org, domain, "s_fn_facts", views=[_view(0, "pv1")])])
    facts = await _facts(databases, org, "s_fn_facts")
    assert facts is not None
    assert set(facts) == SessionFactsRow.__required_keys__
    assert facts["first_touch"] is not None
    assert facts["last_touch"] is not None
    assert set(facts["first_touch"]) == TouchRow.__required_keys__
    assert facts["first_touch"]["utm_source"] == "google"
    assert facts["first_touch"]["tracking_id"] == facts["last_touch"]["tracking_id"]
    assert (facts["session_id"], facts["total_page_views"]) == ("s_fn_facts", 1)


async def test_session_facts_of_a_bot_session_fall_back_to_its_own_start(
    databases: Databases, site: tuple[uuid.UUID, uuid.UUID]
) -> None:
    org, domain = site
    bot = _batch(org, domain, "s_fn_bot_facts", visitor="v_bot2", is_bot=True)
    await _collect(databases, [bot])
    facts = await _facts(databases, org, "s_fn_bot_facts")
    assert facts is not None  # no journey (bots have none): the session's start instead
    assert facts["first_visit_at"] == facts["started_at"]
    assert facts["seconds_on_pages"] == 0


# Columns `rastro_collect()` changes on every batch of a known visit: an index naming one of
# them (as a key, an INCLUDE column, in an expression or a partial index's predicate) would
# make each of those updates a non-HOT one, with a new entry in every index of the table.
UPDATED_BY_EVERY_BATCH = {
    "sessions": ("last_activity_at", "total_page_views", "total_events"),
    "visitor_journeys": ("first_visit_at", "last_visit_at", "total_sessions", "total_page_views"),
}


async def test_no_index_names_a_column_the_collector_updates_on_every_batch(
    databases: Databases,
) -> None:
    for table, columns in UPDATED_BY_EVERY_BATCH.items():
        indexes = await _rows(
            databases,
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = :table",
            table=table,
        )
        assert indexes, table
        for index in indexes:
            named = [c for c in columns if c in index["indexdef"]]
            assert named == [], (index["indexname"], named)
