"""The collector under hostile input: a bad event is rejected alone (with a reason), its
valid neighbours are stored, and no batch ever gets a 5xx."""

from __future__ import annotations

import uuid
from typing import Any

import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from rastro.core.db import Scope
from rastro.tracking.models import PageView
from tests.tracking.factories import ORIGIN, Site, batch, collect, event, make_site


@pytest_asyncio.fixture(loop_scope="session")
async def site(client, databases) -> Site:  # type: ignore[no-untyped-def]
    """One site for all the examples of a test."""
    return await make_site(client, databases)


async def _stored(databases: Any, site: Site, view_id: str) -> bool:
    async with databases.bi.session(Scope.organization(site.account.organization_id)) as bi:
        found = await bi.scalar(
            select(func.count()).select_from(PageView).where(PageView.view_id == view_id)
        )
    return found == 1


async def test_wrong_types_huge_values_and_malformed_hosts_reject_only_their_event(client, site):
    good = event()
    bad = [
        (event(type_="click") | {"type": ["page_view"]}, "unknown_type"),
        (event(type_="click") | {"type": {"page_view": 1}}, "unknown_type"),
        (event("click", value="1e999999999"), "invalid_value"),
        (event("click", value="-1e999999999"), "invalid_value"),
        (event(url="http://[::1/x"), "invalid_url"),
        (event(url="https://[zz]/"), "invalid_url"),
        (event("click", url="http://[::1/x"), "invalid_url"),
    ]
    also_good = event("click", url=f"{ORIGIN}/lp", value=12.5)
    response = await collect(client, batch(site, [good, *[b for b, _ in bad], also_good]))
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["status"], r.get("reason")) for r in results] == [
        ("stored", None),
        *[("rejected", reason) for _, reason in bad],
        ("stored", None),
    ]


# Anything JSON can say, in any field of an event.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["1e999999999", "NaN", "http://[::1/x", "https://[zz]/", "a\x00b"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
event_fields = st.sampled_from(
    [
        "type",
        "ts",
        "event_id",
        "url",
        "referrer",
        "title",
        "value",
        "data",
        "label",
        "category",
        "view_id",
        "time_on_page",
    ]
)
hostile_events = st.one_of(
    json_values,
    st.builds(
        lambda type_, field, value: event(type_) | {field: value},
        st.sampled_from(["page_view", "click", "page_leave", "custom"]),
        event_fields,
        json_values,
    ),
)
hostile_payload = st.fixed_dictionaries(
    {},
    optional={
        "visitor_id": json_values,
        "context": json_values,
        "touch": json_values,
        "sent_at": json_values,
    },
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    hostile=st.lists(hostile_events, min_size=1, max_size=5),
    extra=hostile_payload,
    valid_first=st.booleans(),
)
async def test_hostile_events_never_fail_the_batch_and_valid_ones_are_stored(
    client, databases, site, hostile, extra, valid_first
):
    valid = [event(url=f"{ORIGIN}/lp/{uuid.uuid4().hex[:8]}"), event("click", url=f"{ORIGIN}/x")]
    events = [*valid, *hostile] if valid_first else [*hostile, *valid]
    session_id = "s_" + uuid.uuid4().hex[:22]
    body = batch(site, events, session_id=session_id) | extra
    response = await collect(client, body)
    assert response.status_code == 200, response.text
    by_id = {r["event_id"]: r for r in response.json()["results"]}
    for sent in valid:
        assert by_id[sent["event_id"]]["status"] == "stored", by_id[sent["event_id"]]
    assert await _stored(databases, site, valid[0]["event_id"])
