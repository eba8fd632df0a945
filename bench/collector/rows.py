"""The floor of the database side for this design: the rows a page view of a known session
must write before it is acknowledged, written the cheapest way there is (issue 23).

A group of prepared batches, each one page view of a session that is already stored and
still open (the same campaign, active in the last 30 minutes), is written in one
transaction of five prepared statements, no PL/pgSQL, no subtransaction, no jsonb:

1. the tenant scope (`set_config`, as `rastro_collect` sets it per batch);
2. the event ids claimed in `event_ids` (one multi-row INSERT, `unnest` of arrays);
3. the sessions' counters and last activity updated (one UPDATE over the group; a session
   that is not found or no longer open is not updated);
4. the page views inserted (one multi-row INSERT, their order from step 3);
5. the visitors' journeys updated (one UPDATE over the group).

What it leaves out, and `rastro_collect` does: a session that starts (its row, its touch,
the journey's first insert), interactions and page leaves, consent changes, a batch that
fails alone, per-batch results. So it is a floor, not a replacement: a bench-only write
used by `bench.collector.store --floor` (the database side alone, alternated with
`rastro_collect` in one run) and by `bench.collector.floor`'s `rows` tier (end to end,
grouped by the collector's own `GroupWriter`).
"""

from __future__ import annotations

import uuid
from typing import Any

import psycopg

from rastro.tracking.contracts import CollectOutcome
from rastro.tracking.service.collector import Prepared

SCOPE = (
    "SELECT set_config('rastro.scope', 'organization', true), "
    "set_config('rastro.organization_id', %s, true)"
)
CLAIM = (
    "INSERT INTO event_ids (organization_id, client_session_id, event_id) "
    "SELECT %s, c, e FROM unnest(%s::text[], %s::uuid[]) AS i(c, e) "
    "ON CONFLICT DO NOTHING RETURNING event_id"
)
SESSIONS = """
WITH i AS MATERIALIZED (
  SELECT i.*, (SELECT x.session_id FROM sessions x WHERE x.client_session_id = i.csid
                ORDER BY x.started_at DESC LIMIT 1) AS sid
    FROM unnest(%s::text[], %s::int[], %s::timestamptz[], %s::timestamptz[], %s::text[])
         AS i(csid, n, first_at, last_at, ck)
)
UPDATE sessions s
   SET total_page_views = s.total_page_views + i.n,
       last_activity_at = greatest(s.last_activity_at, i.last_at)
  FROM i
 WHERE s.session_id = i.sid
   AND i.first_at - s.last_activity_at <= interval '30 minutes'
   AND (i.ck IS NULL OR i.ck = s.campaign_key)
RETURNING s.client_session_id, s.session_id, s.total_page_views, s.visitor_id, s.domain_id,
          s.is_bot
"""
VIEWS = """
INSERT INTO page_views (view_id, created_at, organization_id, session_id, page_id,
                        client_view_id, page_url, page_path, page_title, referrer,
                        view_order, exit_page)
SELECT v, c, %s, s, p, cv, u, rastro_page_path(u), t, r, o, false
  FROM unnest(%s::uuid[], %s::timestamptz[], %s::text[], %s::uuid[], %s::text[], %s::text[],
              %s::text[], %s::text[], %s::int[]) AS i(v, c, s, p, cv, u, t, r, o)
"""
JOURNEYS = """
UPDATE visitor_journeys j
   SET last_visit_at = greatest(j.last_visit_at, i.last_at),
       total_page_views = j.total_page_views + i.n
  FROM unnest(%s::uuid[], %s::text[], %s::int[], %s::timestamptz[]) AS i(d, v, n, last_at)
 WHERE j.domain_id = i.d AND j.visitor_id = i.v
"""


def _views(batches: list[Prepared]) -> list[tuple[Any, dict[str, Any]]]:
    """(batch, view) for every page view of the group."""
    return [(p.batch, v) for p in batches if p.batch is not None for v in p.batch["views"]]


def claim_params(batches: list[Prepared]) -> tuple[Any, ...]:
    views = _views(batches)
    org = next(b["org"] for b, _ in views)
    return (org, [b["csid"] for b, _ in views], [v["view_id"] for _, v in views])


def session_params(batches: list[Prepared], fresh: set[uuid.UUID]) -> tuple[Any, ...]:
    per: dict[str, list[Any]] = {}  # csid → [views, first activity, last, campaign key]
    for b, v in _views(batches):
        if v["view_id"] not in fresh:
            continue
        row = per.setdefault(b["csid"], [0, b["activity_at"], b["last_at"], b["campaign_key"]])
        row[0] += 1
        row[1], row[2] = min(row[1], b["activity_at"]), max(row[2], b["last_at"])
    keys = list(per)
    return (
        keys,
        [per[k][0] for k in keys],
        [per[k][1] for k in keys],
        [per[k][2] for k in keys],
        [per[k][3] for k in keys],
    )


def view_params(
    batches: list[Prepared], fresh: set[uuid.UUID], sessions: dict[str, tuple[Any, ...]]
) -> tuple[Any, ...]:
    rows = [(b, v) for b, v in _views(batches) if v["view_id"] in fresh and b["csid"] in sessions]
    rows.sort(key=lambda r: (r[0]["csid"], r[1]["created_at"], str(r[1]["view_id"])))
    order: dict[str, int] = {}
    columns: list[list[Any]] = [[] for _ in range(9)]
    counts: dict[str, int] = {}
    for b, _ in rows:
        counts[b["csid"]] = counts.get(b["csid"], 0) + 1
    for b, v in rows:
        csid = b["csid"]
        session_id, total = sessions[csid][0], sessions[csid][1]
        order[csid] = order.get(csid, 0) + 1
        values = (
            v["view_id"],
            v["created_at"],
            session_id,
            v["page_id"],
            v["client_view_id"],
            v["page_url"],
            v["page_title"],
            v["referrer"],
            total - counts[csid] + order[csid],
        )
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    return (next(b["org"] for b, _ in rows), *columns) if rows else ()


def journey_params(
    sessions: dict[str, tuple[Any, ...]], counts: dict[str, tuple[int, str]]
) -> tuple[Any, ...]:
    per: dict[tuple[Any, str], list[Any]] = {}
    for csid, (_, _, visitor, domain, is_bot) in sessions.items():
        if is_bot:
            continue
        n, last_at = counts[csid]
        row = per.setdefault((domain, visitor), [0, last_at])
        row[0] += n
        row[1] = max(row[1], last_at)
    keys = list(per)
    return (
        [k[0] for k in keys],
        [k[1] for k in keys],
        [per[k][0] for k in keys],
        [per[k][1] for k in keys],
    )


def _counts(params: tuple[Any, ...]) -> dict[str, tuple[int, str]]:
    keys, ns, _, lasts, _ = params
    return {k: (n, last) for k, n, last in zip(keys, ns, lasts, strict=True)}


def store_sync(connection: psycopg.Connection[Any], batches: list[Prepared]) -> int:
    """Write the group (autocommit connection, one transaction); returns views stored."""
    claim = claim_params(batches)
    with connection.transaction():
        connection.execute(SCOPE, (str(claim[0]),), prepare=True)
        fresh = {r[0] for r in connection.execute(CLAIM, claim, prepare=True).fetchall()}
        sparams = session_params(batches, fresh)
        rows = connection.execute(SESSIONS, sparams, prepare=True).fetchall()
        sessions = {r[0]: r[1:] for r in rows}
        vparams = view_params(batches, fresh, sessions)
        if vparams:
            connection.execute(VIEWS, vparams, prepare=True)
            connection.execute(JOURNEYS, journey_params(sessions, _counts(sparams)), prepare=True)
    return len(vparams[1]) if vparams else 0


async def store_async(
    connection: psycopg.AsyncConnection[Any], batches: list[Prepared]
) -> list[CollectOutcome | None]:
    """The same for `GroupWriter(store=…)`: no outcome per batch (the floor tier answers
    every event as stored)."""
    claim = claim_params(batches)
    async with connection.transaction():
        await connection.execute(SCOPE, (str(claim[0]),), prepare=True)
        cursor = await connection.execute(CLAIM, claim, prepare=True)
        fresh = {r[0] for r in await cursor.fetchall()}
        sparams = session_params(batches, fresh)
        cursor = await connection.execute(SESSIONS, sparams, prepare=True)
        sessions = {r[0]: r[1:] for r in await cursor.fetchall()}
        vparams = view_params(batches, fresh, sessions)
        if vparams:
            await connection.execute(VIEWS, vparams, prepare=True)
            await connection.execute(
                JOURNEYS, journey_params(sessions, _counts(sparams)), prepare=True
            )
    return [None for _ in batches]


def explain(connection: psycopg.Connection[Any], batches: list[Prepared]) -> list[str]:
    """EXPLAIN ANALYZE of each statement for one group (all rolled back)."""
    out: list[str] = []
    claim = claim_params(batches)

    def plan(sql: str, params: tuple[Any, ...]) -> list[Any]:
        connection.execute("SAVEPOINT plan")
        rows = connection.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params).fetchall()
        connection.execute("ROLLBACK TO SAVEPOINT plan")
        out.extend([*(r[0] for r in rows), ""])
        return connection.execute(sql, params).fetchall() if "RETURNING" in sql else []

    try:
        with connection.transaction():
            connection.execute(SCOPE, (str(claim[0]),))
            fresh = {r[0] for r in plan(CLAIM, claim)}
            sparams = session_params(batches, fresh)
            sessions = {r[0]: r[1:] for r in plan(SESSIONS, sparams)}
            vparams = view_params(batches, fresh, sessions)
            if vparams:
                plan(VIEWS, vparams)
                plan(JOURNEYS, journey_params(sessions, _counts(sparams)))
            raise RuntimeError("rollback")
    except RuntimeError:
        pass
    return out
