"""The refresh's copy of tracking's sessions into `session_facts`: new and changed
sessions are written, unchanged ones are left alone (no new row version), purged ones
leave, in a full refresh and in an incremental one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, text, update

from rastro.analytics.models import SessionFact
from rastro.core.db import Scope
from rastro.tracking.models import TrackedSession, UtmTracking
from tests.analytics.factories import Visit, add_visits, refresh
from tests.tracking.factories import make_site


async def _facts(databases: Any, org: Any) -> dict[str, tuple[int, int]]:
    """Each session's (row version, page views) in session_facts."""
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        rows = await bi.execute(
            select(SessionFact.session_id, text("xmin::text::bigint"), SessionFact.page_views)
        )
        return {session_id: (version, views) for session_id, version, views in rows}


async def _grow(databases: Any, org: Any, session_id: str) -> None:
    """One more page view in a stored session."""
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        await bi.execute(
            update(TrackedSession)
            .where(TrackedSession.session_id == session_id)
            .values(total_page_views=TrackedSession.total_page_views + 1)
        )


async def test_only_new_changed_and_purged_sessions_are_written(client, databases):
    site = await make_site(client, databases)
    org = site.account.organization_id
    now = datetime.now(UTC)
    old = [Visit(now - timedelta(days=d), f"v{d}") for d in range(2, 7)]
    recent = [Visit(now - timedelta(minutes=30), "v-recent")]
    old_ids = await add_visits(databases, org, site.domain["domain_id"], old)
    (recent_id,) = await add_visits(databases, org, site.domain["domain_id"], recent)
    await refresh(databases, org, full=True)
    first = await _facts(databases, org)
    assert set(first) == {*old_ids, recent_id}

    # A full refresh: one old session grew, one was purged, one is new.
    grown, purged = old_ids[0], old_ids[1]
    await _grow(databases, org, grown)
    async with databases.bi.transaction(Scope.organization(org)) as bi:
        await bi.execute(delete(UtmTracking).where(UtmTracking.session_id == purged))
        await bi.execute(delete(TrackedSession).where(TrackedSession.session_id == purged))
    (new_id,) = await add_visits(
        databases, org, site.domain["domain_id"], [Visit(now - timedelta(days=1), "v-new")]
    )
    await refresh(databases, org, full=True)
    second = await _facts(databases, org)
    assert set(second) == set(first) - {purged} | {new_id}
    assert second[grown][1] == first[grown][1] + 1
    assert second[grown][0] != first[grown][0]
    unchanged = set(first) - {grown, purged}
    assert {s: second[s] for s in unchanged} == {s: first[s] for s in unchanged}

    # An incremental refresh: the recent session grew (old ones are not looked at).
    await _grow(databases, org, recent_id)
    await refresh(databases, org)
    third = await _facts(databases, org)
    assert third[recent_id][1] == second[recent_id][1] + 1
    assert {s: third[s] for s in set(third) - {recent_id}} == {
        s: second[s] for s in set(second) - {recent_id}
    }
