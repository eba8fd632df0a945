"""`rastro_collect()` called directly on the test PostgreSQL
(no HTTP, no collector): the typed contracts of `tracking/contracts.py` against what the
function really takes and returns, and its edge cases (`rastro_session_facts()`:
test_db_session_facts.py)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from rastro.core.db import SYSTEM, Databases
from rastro.tracking.contracts import (
    CollectBatch,
    CollectLeave,
    CollectRefused,
    CollectStored,
)
from tests.tracking.collect_calls import URL
from tests.tracking.collect_calls import at as _at
from tests.tracking.collect_calls import batch as _batch
from tests.tracking.collect_calls import collect as _collect
from tests.tracking.collect_calls import rows as _rows
from tests.tracking.collect_calls import stored as _stored
from tests.tracking.collect_calls import view as _view


@pytest.fixture
def site() -> tuple[uuid.UUID, uuid.UUID]:
    """An organization and a domain (the BI database holds no foreign key to the CRM)."""
    return uuid.uuid4(), uuid.uuid4()


# --- rastro_collect ------------------------------------------------------------------------


async def test_an_empty_call_stores_nothing(databases: Databases) -> None:
    assert await _collect(databases, []) == []
    assert await _rows(databases, "SELECT session_id FROM sessions") == []


async def test_a_batch_with_no_rows_starts_its_session_and_its_outcome_is_the_contract(
    databases: Databases, site: tuple[uuid.UUID, uuid.UUID]
) -> None:
    org, domain = site
    (outcome,) = await _collect(databases, [_batch(org, domain, "s_fn_empty")])
    stored = _stored(outcome)
    # The contract names exactly what the function answers.
    assert set(stored) == CollectStored.__required_keys__
    assert stored["session_id"] == "s_fn_empty"
    assert stored["new"] is True
    assert (stored["views"], stored["events"]) == ([], [])
    assert stored["domain_id"] == str(domain)
    touches = await _rows(databases, "SELECT utm_source, channel FROM utm_tracking")
    assert touches == [{"utm_source": "google", "channel": "Direct"}]


async def test_every_optional_field_absent(
    databases: Databases, site: tuple[uuid.UUID, uuid.UUID]
) -> None:
    org, domain = site
    required: CollectBatch = {
        "org": org,
        "domain": domain,
        "csid": "s_fn_minimal",
        "visitor": "v_minimal",
        "activity_at": _at(0),
        "touch": {"channel": "Direct", "url_params": {}},
    }
    (outcome,) = await _collect(databases, [required])
    stored = _stored(outcome)
    assert stored["new"] is True
    assert (stored["is_bot"], stored["channel"], stored["source"]) == (False, None, None)
    (session,) = await _rows(databases, "SELECT is_bot, metadata, first_page_id FROM sessions")
    assert session == {"is_bot": False, "metadata": {}, "first_page_id": None}

    view_id, event_id = uuid.uuid4(), uuid.uuid4()
    rows: CollectBatch = {
        **required,
        "views": [
            {"view_id": view_id, "created_at": _at(1), "page_url": URL, "client_view_id": "pv1"}
        ],
        "events": [{"event_id": event_id, "created_at": _at(2), "event_type": "click"}],
        "leaves": [{"client_view_id": "pv1", "time_on_page": 12}],
    }
    (outcome,) = await _collect(databases, [rows])
    assert _stored(outcome)["views"] == [str(view_id)]
    assert _stored(outcome)["events"] == [str(event_id)]
    (view,) = await _rows(databases, "SELECT time_on_page, exit_page, page_title FROM page_views")
    assert view == {"time_on_page": 12, "exit_page": False, "page_title": None}
    (event,) = await _rows(databases, "SELECT event_data, event_value FROM events")
    assert event == {"event_data": {}, "event_value": None}


async def test_the_touch_needs_its_not_null_columns_when_a_session_starts(
    databases: Databases, site: tuple[uuid.UUID, uuid.UUID]
) -> None:
    org, domain = site
    bad = _batch(org, domain, "s_fn_touchless")
    bad["touch"] = {}  # type: ignore[typeddict-item]  # what the contract forbids
    good = _batch(org, domain, "s_fn_neighbour")
    refused, stored = await _collect(databases, [bad, good])
    assert set(refused) == CollectRefused.__required_keys__
    assert "error" in refused
    assert refused["error"].startswith("internal: 23502")
    assert _stored(stored)["session_id"] == "s_fn_neighbour"  # its neighbour stays
    sessions = await _rows(databases, "SELECT session_id FROM sessions")
    assert sessions == [{"session_id": "s_fn_neighbour"}]


async def test_duplicate_ids_are_stored_once(
    databases: Databases, site: tuple[uuid.UUID, uuid.UUID]
) -> None:
    org, domain = site
    view = _view(0, "pv1")
    event_id = uuid.uuid4()
    batch = _batch(org, domain, "s_fn_dup", views=[view])
    batch["events"] = [{"event_id": event_id, "created_at": _at(1), "event_type": "scroll"}]
    # The same batch twice in one call (a retry racing its original), then once more.
    first, second = await _collect(databases, [batch, batch])
    (third,) = await _collect(databases, [batch])
    assert _stored(first)["views"] == [str(view["view_id"])]
    assert _stored(first)["events"] == [str(event_id)]
    for again in (second, third):
        assert (_stored(again)["views"], _stored(again)["events"]) == ([], [])
        assert _stored(again)["new"] is False
    counts = await _rows(
        databases,
        "SELECT (SELECT count(*) FROM page_views) AS views, (SELECT count(*) FROM events) AS"
        " events, (SELECT total_page_views FROM sessions) AS total",
    )
    assert counts == [{"views": 1, "events": 1, "total": 1}]


async def test_each_view_is_stored_with_its_path(
    databases: Databases, site: tuple[uuid.UUID, uuid.UUID]
) -> None:
    org, domain = site
    views = [
        _view(0, "pv1", url=f"{URL}?utm_source=google#form"),
        _view(1, "pv2", url="https://loja.example.com.br"),
        _view(2, "pv3", url="https://loja.example.com.br/a/b/?x=1"),
    ]
    _stored((await _collect(databases, [_batch(org, domain, "s_fn_paths", views=views)]))[0])
    rows = await _rows(databases, "SELECT page_path FROM page_views ORDER BY view_order")
    assert [r["page_path"] for r in rows] == ["/lp", "/", "/a/b/"]


async def test_only_leaves_for_an_unknown_session_are_refused(
    databases: Databases, site: tuple[uuid.UUID, uuid.UUID]
) -> None:
    org, domain = site
    batch = _batch(
        org,
        domain,
        "s_fn_unseen",
        activity=None,
        leaves=[{"client_view_id": "pv1", "time_on_page": 3, "exit_page": True}],
    )
    assert await _collect(databases, [batch]) == [{"error": "unknown_session"}]
    assert await _rows(databases, "SELECT session_id FROM sessions") == []


async def _exit_pages(databases: Databases) -> dict[str, tuple[int | None, bool]]:
    rows = await _rows(databases, "SELECT client_view_id, time_on_page, exit_page FROM page_views")
    return {r["client_view_id"]: (r["time_on_page"], r["exit_page"]) for r in rows}


async def test_the_latest_page_leave_decides_the_exit(
    databases: Databases, site: tuple[uuid.UUID, uuid.UUID]
) -> None:
    org, domain = site
    start = _batch(org, domain, "s_fn_exit", views=[_view(0, "pv1")])
    await _collect(databases, [start])

    async def leave(seconds: int, exit_page: bool) -> None:
        batch = _batch(
            org,
            domain,
            "s_fn_exit",
            activity=None,
            leaves=[{"client_view_id": "pv1", "time_on_page": seconds, "exit_page": exit_page}],
        )
        (outcome,) = await _collect(databases, [batch])
        _stored(outcome)

    await leave(5, True)  # tab hidden
    assert await _exit_pages(databases) == {"pv1": (5, True)}
    await leave(9, False)  # shown again, then left by navigating on
    assert await _exit_pages(databases) == {"pv1": (9, False)}
    await leave(5, True)  # a late retry of the first leave neither shrinks nor decides
    assert await _exit_pages(databases) == {"pv1": (9, False)}
    await leave(20, True)  # hidden again, for good: the latest leave decides
    assert await _exit_pages(databases) == {"pv1": (20, True)}


async def test_a_view_followed_by_another_is_never_the_exit(
    databases: Databases, site: tuple[uuid.UUID, uuid.UUID]
) -> None:
    org, domain = site
    views = [_view(0, "pv1"), _view(30, "pv2", url=URL + "/precos")]
    await _collect(databases, [_batch(org, domain, "s_fn_next", views=views)])
    leaves: list[CollectLeave] = [
        {"client_view_id": "pv1", "time_on_page": 30, "exit_page": True},
        {"client_view_id": "pv2", "time_on_page": 4, "exit_page": True},
    ]
    batch = _batch(org, domain, "s_fn_next", activity=None, leaves=leaves)
    (outcome,) = await _collect(databases, [batch])
    _stored(outcome)
    assert await _exit_pages(databases) == {"pv1": (30, False), "pv2": (4, True)}


async def test_bot_sessions_leave_visitor_journeys_alone(
    databases: Databases, site: tuple[uuid.UUID, uuid.UUID]
) -> None:
    org, domain = site
    bot = _batch(org, domain, "s_fn_bot", visitor="v_bot", is_bot=True, views=[_view(0, "pv1")])
    human = _batch(org, domain, "s_fn_human", visitor="v_human", views=[_view(0, "pv1")])
    bot_outcome, human_outcome = await _collect(databases, [bot, human])
    assert _stored(bot_outcome)["is_bot"] is True
    assert _stored(human_outcome)["is_bot"] is False
    journeys = await _rows(databases, "SELECT visitor_id, total_page_views FROM visitor_journeys")
    assert journeys == [{"visitor_id": "v_human", "total_page_views": 1}]
    sessions = await _rows(databases, "SELECT session_id FROM sessions ORDER BY session_id")
    assert sessions == [{"session_id": "s_fn_bot"}, {"session_id": "s_fn_human"}]


async def test_batches_of_a_known_session_count_and_order_their_rows(
    databases: Databases, site: tuple[uuid.UUID, uuid.UUID]
) -> None:
    org, domain = site
    first = _batch(org, domain, "s_fn_known", views=[_view(0, "pv1")])
    assert _stored((await _collect(databases, [first]))[0])["new"] is True
    # Two more batches of the open session, in one call and in another: two views and an
    # interaction each; a retried view among them counts once.
    batches = []
    for n in (1, 2):
        batch = _batch(
            org,
            domain,
            "s_fn_known",
            views=[_view(n, f"pv{2 * n}"), _view(n + 0.5, f"pv{2 * n + 1}")],
        )
        batch["events"] = [{"event_id": uuid.uuid4(), "created_at": _at(n), "event_type": "click"}]
        batches.append(batch)
    one, two = await _collect(databases, batches)
    (again,) = await _collect(databases, [batches[1]])
    for outcome in (one, two):
        assert (_stored(outcome)["new"], len(_stored(outcome)["views"])) == (False, 2)
    assert (_stored(again)["views"], _stored(again)["total_page_views"]) == ([], 5)
    views = await _rows(
        databases, "SELECT client_view_id, view_order FROM page_views ORDER BY view_order"
    )
    assert [(v["client_view_id"], v["view_order"]) for v in views] == [
        ("pv1", 1),
        ("pv2", 2),
        ("pv3", 3),
        ("pv4", 4),
        ("pv5", 5),
    ]
    (session,) = await _rows(databases, "SELECT total_page_views, total_events FROM sessions")
    assert session == {"total_page_views": 5, "total_events": 2}
    (journey,) = await _rows(
        databases, "SELECT total_sessions, total_page_views FROM visitor_journeys"
    )
    assert journey == {"total_sessions": 1, "total_page_views": 5}


async def test_a_claimed_view_already_stored_is_not_counted_again(
    databases: Databases, site: tuple[uuid.UUID, uuid.UUID]
) -> None:
    """A view stored before its id was claimed (a row from before `event_ids`): its retry
    claims the id but inserts nothing, and the session's count holds only what was
    inserted."""
    org, domain = site
    _stored(
        (await _collect(databases, [_batch(org, domain, "s_fn_old", views=[_view(0, "pv1")])]))[0]
    )
    old = _view(1, "pv2")
    async with databases.bi.transaction(SYSTEM) as session:
        await session.execute(
            text(
                "INSERT INTO page_views (view_id, created_at, organization_id, session_id,"
                " page_url, view_order, exit_page) VALUES (:id, :at, :org, 's_fn_old', :url, 2,"
                " false)"
            ),
            {"id": old["view_id"], "at": old["created_at"], "org": org, "url": URL},
        )
        await session.execute(text("UPDATE sessions SET total_page_views = 2"))
    new = _view(2, "pv3")
    (outcome,) = await _collect(databases, [_batch(org, domain, "s_fn_old", views=[old, new])])
    assert _stored(outcome)["views"] == [str(new["view_id"])]
    assert _stored(outcome)["total_page_views"] == 3
    (session_row,) = await _rows(databases, "SELECT total_page_views FROM sessions")
    assert session_row == {"total_page_views": 3}


async def test_a_group_of_known_and_new_sessions_answers_each_batch_in_its_place(
    databases: Databases, site: tuple[uuid.UUID, uuid.UUID]
) -> None:
    """One call with batches that continue open sessions and one that starts a session
    (of a visitor with another batch in the call): each outcome in its batch's place, the
    counts, view orders and journeys as if the batches came one by one."""
    org, domain = site
    for csid, visitor in (("s_fn_a", "v_a"), ("s_fn_b", "v_b")):
        start = _batch(org, domain, csid, visitor=visitor, views=[_view(0, "pv1")])
        _stored((await _collect(databases, [start]))[0])
    a = _batch(org, domain, "s_fn_a", visitor="v_a", views=[_view(2, "pv3"), _view(1, "pv2")])
    a["events"] = [{"event_id": uuid.uuid4(), "created_at": _at(2), "event_type": "click"}]
    starts = _batch(org, domain, "s_fn_c", visitor="v_a", views=[_view(3, "pv1")])
    b = _batch(org, domain, "s_fn_b", visitor="v_b", views=[_view(4, "pv2")])
    outcomes = [_stored(o) for o in await _collect(databases, [a, starts, b])]
    assert [o["session_id"] for o in outcomes] == ["s_fn_a", "s_fn_c", "s_fn_b"]
    assert [o["new"] for o in outcomes] == [False, True, False]
    assert [len(o["views"]) for o in outcomes] == [2, 1, 1]
    assert [len(o["events"]) for o in outcomes] == [1, 0, 0]
    assert [o["total_page_views"] for o in outcomes] == [3, 1, 2]
    assert [o["return_visits"] for o in outcomes] == [0, 1, 0]
    assert set(outcomes[0]["views"]) == {
        str(a["views"][0]["view_id"]),
        str(a["views"][1]["view_id"]),
    }
    views = await _rows(
        databases,
        "SELECT client_view_id, view_order FROM page_views WHERE session_id = 's_fn_a'"
        " ORDER BY view_order",
    )
    assert [(v["client_view_id"], v["view_order"]) for v in views] == [
        ("pv1", 1),
        ("pv2", 2),
        ("pv3", 3),
    ]
    sessions = await _rows(
        databases,
        "SELECT session_id, total_page_views, total_events FROM sessions ORDER BY session_id",
    )
    assert [(s["session_id"], s["total_page_views"], s["total_events"]) for s in sessions] == [
        ("s_fn_a", 3, 1),
        ("s_fn_b", 2, 0),
        ("s_fn_c", 1, 0),
    ]
    journeys = await _rows(
        databases,
        "SELECT visitor_id, total_sessions, total_page_views FROM visitor_journeys"
        " ORDER BY visitor_id",
    )
    assert [(j["visitor_id"], j["total_sessions"], j["total_page_views"]) for j in journeys] == [
        ("v_a", 2, 4),
        ("v_b", 1, 2),
    ]


async def test_a_failing_batch_leaves_its_known_neighbours_stored_once(
    databases: Databases, site: tuple[uuid.UUID, uuid.UUID]
) -> None:
    """One batch of the call fails: its neighbour of a known session is stored once, with
    its counts and its id claimed once."""
    org, domain = site
    _stored(
        (await _collect(databases, [_batch(org, domain, "s_fn_k", views=[_view(0, "pv1")])]))[0]
    )
    known = _batch(org, domain, "s_fn_k", views=[_view(1, "pv2")])
    bad = _batch(org, domain, "s_fn_bad", visitor="v_bad")
    bad["touch"] = {}  # type: ignore[typeddict-item]  # a session start the database refuses
    stored, refused = await _collect(databases, [known, bad])
    assert _stored(stored)["views"] == [str(known["views"][0]["view_id"])]
    assert _stored(stored)["total_page_views"] == 2
    assert "error" in refused
    assert refused["error"].startswith("internal: 23502")
    counts = await _rows(
        databases,
        "SELECT (SELECT count(*) FROM page_views) AS views,"
        " (SELECT count(*) FROM event_ids) AS claimed,"
        " (SELECT total_page_views FROM visitor_journeys) AS journey",
    )
    assert counts == [{"views": 2, "claimed": 2, "journey": 2}]
