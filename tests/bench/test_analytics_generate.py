"""The analytics benchmark's data generator (bench/analytics/generate.py) on a tiny preset:
exact counts, and every reference between the generated rows resolves."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import psycopg
from bench.analytics import rollup, traffic
from bench.analytics.generate import Sizes, generate, make_site

from rastro.core.db import Databases

if TYPE_CHECKING:  # imported at run time, pytest would collect it as a test class
    from tests.conftest import TestDatabases

TINY = Sizes(sessions=2_000, leads=200, won=20)


def _rows(conninfo: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(conninfo) as conn:
        conn.execute("SELECT set_config('rastro.scope', 'system', false)")
        return conn.execute(sql.encode()).fetchall()


def _one(conninfo: str, sql: str) -> Any:
    return _rows(conninfo, sql)[0][0]


async def test_tiny_preset_counts_and_references(
    databases: Databases, test_databases: TestDatabases
) -> None:
    site = await make_site(databases)
    crm, bi = test_databases.crm_url, test_databases.bi_url
    generate(crm, bi, site, TINY)

    assert _one(bi, "SELECT count(*) FROM sessions") == TINY.sessions
    assert _one(bi, "SELECT count(*) FROM sessions WHERE is_bot") == round(TINY.sessions * 0.03)
    assert _one(bi, "SELECT count(*) FROM utm_tracking") == TINY.sessions
    for table in ("leads", "contacts", "activities"):
        assert _one(crm, f"SELECT count(*) FROM {table}") == TINY.leads
    assert _one(bi, "SELECT count(*) FROM lead_attribution") == TINY.leads
    assert _one(crm, "SELECT count(*) FROM leads WHERE current_stage = 'won'") == TINY.won
    assert _one(crm, "SELECT count(*) FROM deals WHERE stage = 'won'") == TINY.won
    assert _one(crm, "SELECT timezone FROM organizations") == "America/Sao_Paulo"

    # About 5 page views and 5 interactions per human visit, as the sessions count them.
    views = _one(bi, "SELECT count(*) FROM page_views")
    assert 4 * TINY.sessions < views < 6 * TINY.sessions
    assert _one(bi, "SELECT sum(total_page_views) FROM sessions") == views
    assert _one(bi, "SELECT sum(total_events) FROM sessions") == _one(
        bi, "SELECT count(*) FROM events"
    )
    # Every page view, event and touch belongs to a stored session.
    for table in ("page_views", "events", "utm_tracking"):
        orphans = (
            f"SELECT count(*) FROM {table} t WHERE NOT EXISTS "
            "(SELECT 1 FROM sessions s WHERE s.session_id = t.session_id)"
        )
        assert _one(bi, orphans) == 0, table
    # Journeys agree with their visitors' human sessions; ~30 % of visitors come back.
    assert (
        _one(
            bi,
            """SELECT count(*) FROM visitor_journeys j
           JOIN (SELECT visitor_id, count(*) AS n, sum(total_page_views) AS views,
                        min(started_at) AS first FROM sessions WHERE NOT is_bot
                 GROUP BY visitor_id) s USING (visitor_id)
           WHERE j.total_sessions <> s.n OR j.total_page_views <> s.views
              OR j.first_visit_at <> s.first""",
        )
        == 0
    )
    returning = _one(bi, "SELECT avg((total_sessions > 1)::int)::float FROM visitor_journeys")
    assert 0.2 < returning < 0.4
    channels = {k.resolved()[2] for k in traffic.KINDS}
    stored = {row[0] for row in _rows(bi, "SELECT DISTINCT channel FROM utm_tracking")}
    assert stored <= channels
    assert len(stored) >= 8

    # Every lead's session, visitor and credited (first) touch exist in BI, and the
    # session is marked converted.
    leads = _rows(
        crm, "SELECT lead_id, session_id, visitor_id, utm_tracking_id, channel FROM leads"
    )
    touches = {
        str(row[0]): row[1:]
        for row in _rows(
            bi,
            """SELECT u.tracking_id, u.visitor_id, u.channel, s.converted,
                      u.created_at = (SELECT min(created_at) FROM utm_tracking f
                                      WHERE f.visitor_id = u.visitor_id)
               FROM utm_tracking u JOIN sessions s USING (session_id)""",
        )
    }
    sessions = {
        row[0]: row[1:]
        for row in _rows(bi, "SELECT session_id, visitor_id, converted FROM sessions")
    }
    attributed = {
        str(row[0]): row[1]
        for row in _rows(bi, "SELECT lead_id, utm_tracking_id FROM lead_attribution")
    }
    for lead_id, session_id, visitor_id, tracking_id, channel in leads:
        assert sessions[session_id] == (visitor_id, True)
        visitor, touch_channel, _converted, is_first = touches[str(tracking_id)]
        assert (visitor, touch_channel, is_first) == (visitor_id, channel, True)
        assert attributed[str(lead_id)] == tracking_id
    # A lead's history ends in its current stage, and no change lies in the future.
    assert (
        _one(
            crm,
            """SELECT count(*) FROM leads l
           WHERE l.current_stage <> (SELECT stage_name FROM lead_stages s
                                     WHERE s.lead_id = l.lead_id
                                     ORDER BY created_at DESC LIMIT 1)""",
        )
        == 0
    )
    assert _one(crm, "SELECT count(*) FROM lead_stages WHERE created_at > now()") == 0
    # The A/B test's two variants both get leads.
    variants = _rows(
        crm,
        """SELECT p.page_variant, count(*) FROM leads l JOIN landing_pages p USING (page_id)
           WHERE p.ab_test_id IS NOT NULL GROUP BY 1 ORDER BY 1""",
    )
    assert [v for v, n in variants if n > 0] == ["A", "B"]


async def test_tiny_preset_feeds_the_analytics_rollups(
    databases: Databases, test_databases: TestDatabases
) -> None:
    """The generated leads go through the analytics module's own backfill and rollup
    refresh (what the benchmark times) and come out whole: every human session, lead and
    won deal, and all the revenue."""
    site = await make_site(databases)
    crm, bi = test_databases.crm_url, test_databases.bi_url
    generate(crm, bi, site, TINY)
    built = await rollup.build_on(databases, uuid.UUID(site.organization_id), runs=1)

    assert built["facts"]["leads"] == TINY.leads
    assert built["full_refresh"][0]["full"] is True
    won_revenue = _one(crm, "SELECT sum(value) FROM deals WHERE stage = 'won'")
    humans = _one(bi, "SELECT count(*) FROM sessions WHERE NOT is_bot")
    sums = _rows(
        bi,
        "SELECT sum(sessions), sum(leads), sum(won), sum(revenue) FROM daily_conversions_summary",
    )[0]
    assert sums == (humans, TINY.leads, TINY.won, won_revenue)
