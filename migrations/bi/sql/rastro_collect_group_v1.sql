-- rastro_collect_group(batches jsonb) → jsonb
--
-- The collector's write path for a group of batches: the same input and the same result per
-- batch as rastro_collect(), but without a subtransaction per batch and with one statement
-- per table for the whole group (per organization, under its row-level security scope):
-- sessions are resolved batch by batch (the 30-minute and new-campaign rules), then page
-- views, events, page leaves, session counters and visitor journeys are written set-based.
-- It fails as a whole: the caller then stores the group with rastro_collect(), which
-- isolates each batch, so one bad batch never rejects its neighbours.
--
-- Batches arrive in lock order (organization, visitor, session); journeys are upserted in
-- (visitor, domain) order, so concurrent groups queue instead of deadlocking.
CREATE OR REPLACE FUNCTION rastro_collect_group(batches jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  n int := jsonb_array_length(batches);
  sids text[] := array_fill(NULL::text, ARRAY[n]);
  news boolean[] := array_fill(false, ARRAY[n]);
  outs jsonb := '{}'::jsonb;
  org text;
  b jsonb;
  idx bigint;
  s sessions%ROWTYPE;
  have_session boolean;
  is_new boolean;
  activity_at timestamptz;
  ck text;
  csid text;
  new_id text;
  taken int;
  previous int;
  any_leaves boolean;
  view_ids jsonb;
  event_ids jsonb;
BEGIN
  FOR org IN SELECT DISTINCT value->>'org' FROM jsonb_array_elements(batches) ORDER BY 1 LOOP
    PERFORM set_config('rastro.scope', 'organization', true),
            set_config('rastro.organization_id', org, true);
    any_leaves := false;

    -- Sessions, batch by batch: the same rules as rastro_collect().
    FOR b, idx IN SELECT value, ordinality FROM jsonb_array_elements(batches) WITH ORDINALITY
                  WHERE value->>'org' = org ORDER BY ordinality LOOP
      csid := b->>'csid';
      activity_at := (b->>'activity_at')::timestamptz;
      ck := b->>'campaign_key';
      is_new := false;

      SELECT * INTO s FROM sessions
        WHERE client_session_id = csid ORDER BY started_at DESC LIMIT 1 FOR UPDATE;
      have_session := FOUND;

      IF activity_at IS NOT NULL AND (
           NOT have_session
           OR activity_at - s.last_activity_at > interval '30 minutes'
           OR (ck IS NOT NULL AND ck IS DISTINCT FROM s.campaign_key)) THEN
        SELECT total_sessions INTO previous FROM visitor_journeys
          WHERE domain_id = (b->>'domain')::uuid AND visitor_id = b->>'visitor';
        taken := 0;
        IF have_session THEN
          SELECT count(*) INTO taken FROM sessions WHERE client_session_id = csid;
        END IF;
        new_id := CASE WHEN taken = 0 THEN csid ELSE csid || '.' || (taken + 1) END;
        FOR attempt IN 1..2 LOOP
          INSERT INTO sessions (session_id, organization_id, domain_id, first_page_id, visitor_id,
                                client_session_id, started_at, last_activity_at, total_page_views,
                                total_events, converted, return_visits, is_bot, channel,
                                campaign_key, metadata)
          VALUES (new_id, (b->>'org')::uuid, (b->>'domain')::uuid,
                  (b->'session'->>'first_page_id')::uuid, b->>'visitor', csid, activity_at,
                  activity_at, 0, 0, false, coalesce(previous, 0),
                  coalesce((b->'session'->>'is_bot')::boolean, false), b->'session'->>'channel', ck,
                  coalesce(b->'session'->'metadata', '{}'::jsonb))
          ON CONFLICT (session_id) DO NOTHING
          RETURNING * INTO s;
          IF FOUND THEN
            is_new := true;
            EXIT;
          END IF;
          SELECT * INTO s FROM sessions
            WHERE client_session_id = csid ORDER BY started_at DESC LIMIT 1 FOR UPDATE;
          IF FOUND AND activity_at - s.last_activity_at <= interval '30 minutes' THEN
            EXIT;
          END IF;
          new_id := csid || '.' || substr(md5(random()::text || clock_timestamp()::text), 1, 10);
        END LOOP;
        have_session := s.session_id IS NOT NULL;
        IF is_new THEN
          INSERT INTO utm_tracking
          SELECT * FROM jsonb_populate_record(NULL::utm_tracking, b->'touch' || jsonb_build_object(
            'tracking_id', gen_random_uuid(), 'created_at', activity_at,
            'organization_id', s.organization_id, 'session_id', s.session_id,
            'visitor_id', s.visitor_id, 'domain_id', s.domain_id));
        END IF;
      END IF;

      IF have_session THEN
        sids[idx] := s.session_id;
        news[idx] := is_new;
        any_leaves := any_leaves OR jsonb_array_length(b->'leaves') > 0;
      ELSE
        outs := outs || jsonb_build_object(idx::text, jsonb_build_object('error', 'unknown_session'));
      END IF;
    END LOOP;

    -- Page views: numbered per session after the views it has (and after earlier batches').
    WITH incoming AS (
      SELECT DISTINCT ON (r.sid, v.view_id) r.idx, r.sid, v.*
      FROM unnest(sids) WITH ORDINALITY AS r(sid, idx)
      CROSS JOIN LATERAL jsonb_populate_recordset(NULL::page_views, batches->(r.idx::int - 1)->'views') v
      WHERE r.sid IS NOT NULL AND batches->(r.idx::int - 1)->>'org' = org
      ORDER BY r.sid, v.view_id, r.idx
    ), fresh AS (
      -- Lookups by index, row by row (LATERAL … LIMIT, scalar subqueries): the planner
      -- cannot tell a group is small and would otherwise scan the tables.
      SELECT i.*, row_number() OVER (PARTITION BY i.sid ORDER BY i.idx, i.created_at, i.view_id) AS position
      FROM incoming i
      LEFT JOIN LATERAL (
        SELECT true AS found FROM page_views p
        WHERE p.session_id = i.sid AND p.view_id = i.view_id LIMIT 1) seen ON true
      WHERE seen.found IS NULL
    ), inserted AS (
      INSERT INTO page_views (view_id, created_at, organization_id, session_id, page_id,
                              client_view_id, page_url, page_title, referrer, view_order, exit_page)
      SELECT f.view_id, f.created_at, org::uuid, f.sid, f.page_id, f.client_view_id, f.page_url,
             f.page_title, f.referrer,
             (SELECT cur.total_page_views FROM sessions cur WHERE cur.session_id = f.sid)
               + f.position,
             false
      FROM fresh f
      ORDER BY f.idx, f.position
      ON CONFLICT DO NOTHING
      RETURNING view_id, session_id
    )
    SELECT coalesce(jsonb_object_agg(per.idx::text, per.ids), '{}'::jsonb) INTO view_ids
    FROM (SELECT f.idx, jsonb_agg(ins.view_id) AS ids
          FROM inserted ins JOIN fresh f ON f.sid = ins.session_id AND f.view_id = ins.view_id
          GROUP BY f.idx) per;

    -- Events: a repeated id is stored once, by the first batch that carries it.
    WITH incoming AS (
      SELECT r.idx, r.sid, e.*
      FROM unnest(sids) WITH ORDINALITY AS r(sid, idx)
      CROSS JOIN LATERAL jsonb_populate_recordset(NULL::events, batches->(r.idx::int - 1)->'events') e
      WHERE r.sid IS NOT NULL AND batches->(r.idx::int - 1)->>'org' = org
    ), inserted AS (
      INSERT INTO events (event_id, created_at, organization_id, session_id, page_id, event_type,
                          event_category, event_action, event_label, event_value, element_id,
                          element_class, event_data)
      SELECT e.event_id, e.created_at, org::uuid, e.sid, e.page_id, e.event_type,
             e.event_category, e.event_action, e.event_label, e.event_value, e.element_id,
             e.element_class, coalesce(e.event_data, '{}'::jsonb)
      FROM incoming e
      ORDER BY e.idx
      ON CONFLICT DO NOTHING
      RETURNING event_id, created_at, session_id
    )
    SELECT coalesce(jsonb_object_agg(per.idx::text, per.ids), '{}'::jsonb) INTO event_ids
    FROM (SELECT first.idx, jsonb_agg(first.event_id) AS ids
          FROM (SELECT DISTINCT ON (ins.event_id, ins.created_at) i.idx, ins.event_id
                FROM inserted ins
                JOIN incoming i ON i.event_id = ins.event_id AND i.created_at = ins.created_at
                                AND i.sid = ins.session_id
                ORDER BY ins.event_id, ins.created_at, i.idx) first
          GROUP BY first.idx) per;

    -- A page shown again sends a larger page_leave; a late retry must not shrink it.
    IF any_leaves THEN
      UPDATE page_views p
         SET time_on_page = greatest(coalesce(p.time_on_page, 0), l.time_on_page),
             exit_page = p.exit_page OR l.exit_page
        FROM (SELECT batches->(r.idx::int - 1)->>'csid' AS csid, l.client_view_id,
                     max(l.time_on_page) AS time_on_page,
                     bool_or(coalesce(l.exit_page, false)) AS exit_page
                FROM unnest(sids) WITH ORDINALITY AS r(sid, idx)
                CROSS JOIN LATERAL jsonb_populate_recordset(
                  NULL::page_views, batches->(r.idx::int - 1)->'leaves') l
               WHERE r.sid IS NOT NULL AND batches->(r.idx::int - 1)->>'org' = org
               GROUP BY 1, 2) l
       WHERE p.session_id IN (SELECT session_id FROM sessions WHERE client_session_id = l.csid)
         AND p.client_view_id = l.client_view_id;
    END IF;

    -- Session counters, journeys and the result of each batch.
    WITH mine AS (
      SELECT r.idx, r.sid, news[r.idx] AS is_new,
             (batches->(r.idx::int - 1)->>'last_at')::timestamptz AS last_at,
             coalesce(view_ids->(r.idx::text), '[]'::jsonb) AS views,
             coalesce(event_ids->(r.idx::text), '[]'::jsonb) AS events
      FROM unnest(sids) WITH ORDINALITY AS r(sid, idx)
      WHERE r.sid IS NOT NULL AND batches->(r.idx::int - 1)->>'org' = org
    ), counted AS (
      SELECT m.*, jsonb_array_length(m.views) AS nv,
             -- views of this session's later batches in the group (for the running total)
             coalesce(sum(jsonb_array_length(m.views)) OVER (
               PARTITION BY m.sid ORDER BY m.idx
               ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING), 0) AS later_views
      FROM mine m
    ), updated AS (
      UPDATE sessions t
         SET total_page_views = t.total_page_views + c.nv,
             total_events = t.total_events + c.ne,
             last_activity_at = greatest(t.last_activity_at, c.last_at)
        FROM (SELECT sid, sum(nv)::int AS nv, sum(jsonb_array_length(events))::int AS ne,
                     max(last_at) AS last_at
                FROM counted GROUP BY sid) c
       WHERE t.session_id = ANY(sids) AND t.session_id = c.sid
      RETURNING t.*
    ), journeys AS (
      SELECT u.visitor_id, u.domain_id, min(u.started_at) AS first_visit_at,
             max(u.last_activity_at) AS last_visit_at,
             sum(c.is_new::int) AS new_sessions, sum(c.nv) AS views
      FROM counted c JOIN updated u ON u.session_id = c.sid
      GROUP BY u.visitor_id, u.domain_id
    ), upserted AS (
      INSERT INTO visitor_journeys (journey_id, organization_id, visitor_id, domain_id,
                                    first_visit_at, last_visit_at, total_sessions,
                                    total_page_views, converted)
      SELECT gen_random_uuid(), org::uuid, j.visitor_id, j.domain_id, j.first_visit_at,
             j.last_visit_at, greatest(j.new_sessions, 1), j.views, false
      FROM journeys j
      ORDER BY j.visitor_id, j.domain_id
      ON CONFLICT (domain_id, visitor_id) DO UPDATE SET
        first_visit_at = least(visitor_journeys.first_visit_at, EXCLUDED.first_visit_at),
        last_visit_at = greatest(visitor_journeys.last_visit_at, EXCLUDED.last_visit_at),
        total_sessions = visitor_journeys.total_sessions + (
          SELECT j.new_sessions FROM journeys j
          WHERE j.visitor_id = EXCLUDED.visitor_id AND j.domain_id = EXCLUDED.domain_id),
        total_page_views = visitor_journeys.total_page_views + EXCLUDED.total_page_views
    )
    SELECT outs || coalesce(jsonb_object_agg(c.idx::text, jsonb_build_object(
        'session_id', u.session_id, 'new', c.is_new, 'views', c.views, 'events', c.events,
        'total_page_views', u.total_page_views - c.later_views, 'visitor_id', u.visitor_id,
        'domain_id', u.domain_id, 'is_bot', u.is_bot, 'channel', u.channel,
        'started_at', u.started_at, 'return_visits', u.return_visits,
        'source', u.metadata->>'source', 'medium', u.metadata->>'medium')), '{}'::jsonb)
      INTO outs
      FROM counted c JOIN updated u ON u.session_id = c.sid;
  END LOOP;
  RETURN (SELECT coalesce(jsonb_agg(outs->(g::text) ORDER BY g), '[]'::jsonb)
          FROM generate_series(1, n) g);
END
$$;
