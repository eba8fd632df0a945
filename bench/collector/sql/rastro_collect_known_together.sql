-- Bench only (issue 23, 2026-12-07 afternoon, branch coll2): a `rastro_collect` that
-- writes a group's batches of known, open sessions together in set-based statements (one
-- subtransaction per group; every other batch by v6's per-batch code). Measured slower
-- than v6 (bench/README.md, "2026-12-07 afternoon"), so not migrated; kept for
-- `bench.collector.store --sql FILE --ab OTHER`.
--
-- v7: a group is written with as few statements as its batches allow.
-- * The batches that continue a stored, still open session (the common case: a page view
--   or interactions of a known visit, no page_leave, the only batch of its tracker session
--   in the group) are written together by `rastro_collect_known(batches, org)`: their ids
--   claimed in one INSERT, their sessions updated in one UPDATE, their page views and
--   interactions inserted in one INSERT each, their visitors' journeys in one UPDATE —
--   instead of four or five statements per batch.
-- * Every other batch (a session starts, page leaves, a tracker session with two batches
--   in the group) is written by `rastro_collect_batch(b)`, v6's per-batch code.
-- * All of it in one subtransaction instead of one per batch, with the tenant scope set
--   when the organization changes (groups come sorted by organization). When anything
--   fails — a batch's value refused, a session closed by a concurrent group between the
--   lookup and the update, a claimed id whose row was already stored — that subtransaction
--   is rolled back and the group is written again the v6 way: each batch by
--   `rastro_collect_batch` in a subtransaction of its own, a failed batch answered with its
--   error and its neighbours stored. What is stored and answered is v6's either way.
-- `rastro_collect_known` and `rastro_collect_batch` are rastro_collect's own: they do not
-- set the scope and are not called on their own.
CREATE OR REPLACE FUNCTION rastro_collect_batch(b jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  s sessions%ROWTYPE;
  have_session boolean;
  known boolean;
  is_new boolean;
  activity_at timestamptz;
  last_at timestamptz;
  ck text;
  csid text;
  new_id text;
  taken int;
  previous int;
  base int;
  view_ids uuid[];
  event_ids uuid[];
  fresh_views uuid[];
  fresh_events uuid[];
BEGIN
  csid := b->>'csid';
  activity_at := (b->>'activity_at')::timestamptz;
  last_at := (b->>'last_at')::timestamptz;
  ck := b->>'campaign_key';
  is_new := false;
  view_ids := '{}';
  event_ids := '{}';
  fresh_views := '{}';
  fresh_events := '{}';

  -- Claim the ids first: one already claimed (by an earlier batch, or by a concurrent one
  -- that commits) is a duplicate, whatever its timestamp and partition.
  IF jsonb_array_length(b->'views') > 0 THEN
    WITH claimed AS (
      INSERT INTO event_ids (organization_id, client_session_id, event_id)
      SELECT (b->>'org')::uuid, csid, (v->>'view_id')::uuid
        FROM jsonb_array_elements(b->'views') v
      ON CONFLICT DO NOTHING
      RETURNING event_id
    ) SELECT coalesce(array_agg(event_id), '{}') INTO fresh_views FROM claimed;
  END IF;
  IF jsonb_array_length(b->'events') > 0 THEN
    WITH claimed AS (
      INSERT INTO event_ids (organization_id, client_session_id, event_id)
      SELECT (b->>'org')::uuid, csid, (e->>'event_id')::uuid
        FROM jsonb_array_elements(b->'events') e
      ON CONFLICT DO NOTHING
      RETURNING event_id
    ) SELECT coalesce(array_agg(event_id), '{}') INTO fresh_events FROM claimed;
  END IF;

  -- The tracker session's latest session, when it is still open (active in the last 30
  -- minutes, the same campaign): its counts, last activity and consent in one UPDATE.
  UPDATE sessions
     SET total_page_views = total_page_views + cardinality(fresh_views),
         total_events = total_events + cardinality(fresh_events),
         last_activity_at = greatest(last_activity_at, last_at),
         metadata = CASE
           WHEN b->'session'->'metadata' ? 'consent'
                AND metadata->'consent' IS DISTINCT FROM b->'session'->'metadata'->'consent'
           THEN metadata || jsonb_build_object(
                  'consent', b->'session'->'metadata'->'consent',
                  'consent_changes', coalesce(metadata->'consent_changes', '[]'::jsonb)
                    || jsonb_build_array(jsonb_build_object(
                         'at', activity_at,
                         'consent', b->'session'->'metadata'->'consent')))
           ELSE metadata END
   WHERE session_id = (SELECT x.session_id FROM sessions x WHERE x.client_session_id = csid
                        ORDER BY x.started_at DESC LIMIT 1)
     AND (activity_at IS NULL
          OR (activity_at - last_activity_at <= interval '30 minutes'
              AND (ck IS NULL OR ck = campaign_key)))
  RETURNING * INTO s;
  known := FOUND;

  IF known THEN
    base := s.total_page_views - cardinality(fresh_views);
  ELSE
    SELECT * INTO s FROM sessions
      WHERE client_session_id = csid ORDER BY started_at DESC LIMIT 1 FOR UPDATE;
    have_session := FOUND;

    -- 30 minutes without activity, or another campaign, starts a new session.
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
        INSERT INTO sessions (session_id, organization_id, domain_id, first_page_id,
                              visitor_id, client_session_id, started_at, last_activity_at,
                              total_page_views, total_events, converted, return_visits,
                              is_bot, channel, campaign_key, metadata)
        VALUES (new_id, (b->>'org')::uuid, (b->>'domain')::uuid,
                (b->'session'->>'first_page_id')::uuid, b->>'visitor', csid, activity_at,
                activity_at, 0, 0, false, coalesce(previous, 0),
                coalesce((b->'session'->>'is_bot')::boolean, false),
                b->'session'->>'channel', ck, coalesce(b->'session'->'metadata', '{}'::jsonb))
        ON CONFLICT (session_id) DO NOTHING
        RETURNING * INTO s;
        IF FOUND THEN
          is_new := true;
          EXIT;
        END IF;
        -- The id is taken: by a concurrent request for this visit (use its row), or by
        -- another organization's visit, invisible here (take a fresh id).
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

    IF NOT have_session THEN
      IF cardinality(fresh_views) + cardinality(fresh_events) > 0 THEN
        RAISE EXCEPTION 'rastro_unknown_session';  -- the handler rolls the claims back
      END IF;
      RETURN jsonb_build_object('error', 'unknown_session');
    END IF;
    base := s.total_page_views;
  END IF;

  IF cardinality(fresh_views) > 0 THEN
  WITH incoming AS (
    SELECT v.*, row_number() OVER (ORDER BY v.created_at, v.view_id) AS position
    FROM jsonb_populate_recordset(NULL::page_views, b->'views') v
    WHERE v.view_id = ANY (fresh_views)
  ), inserted AS (
    INSERT INTO page_views (view_id, created_at, organization_id, session_id, page_id,
                            client_view_id, page_url, page_path, page_title, referrer,
                            view_order, exit_page)
    SELECT view_id, created_at, s.organization_id, s.session_id, page_id, client_view_id,
           page_url, rastro_page_path(page_url), page_title, referrer, base + position,
           false
    FROM incoming
    ON CONFLICT DO NOTHING
    RETURNING view_id
  ) SELECT coalesce(array_agg(view_id), '{}') INTO view_ids FROM inserted;
  END IF;

  IF cardinality(fresh_events) > 0 THEN
  WITH inserted AS (
    INSERT INTO events (event_id, created_at, organization_id, session_id, page_id, event_type,
                        event_category, event_action, event_label, event_value, element_id,
                        element_class, event_data)
    SELECT e.event_id, e.created_at, s.organization_id, s.session_id, e.page_id, e.event_type,
           e.event_category, e.event_action, e.event_label, e.event_value, e.element_id,
           e.element_class, coalesce(e.event_data, '{}'::jsonb)
    FROM jsonb_populate_recordset(NULL::events, b->'events') e
    WHERE e.event_id = ANY (fresh_events)
    ON CONFLICT DO NOTHING
    RETURNING event_id
  ) SELECT coalesce(array_agg(event_id), '{}') INTO event_ids FROM inserted;
  END IF;

  -- A page shown again sends a larger page_leave; a late retry must not shrink it. The
  -- latest leave (the largest time) says whether the page was left by an exit (tab
  -- hidden, closed) or by navigating on; a view followed by another is never the exit.
  IF jsonb_array_length(b->'leaves') > 0 THEN
  UPDATE page_views p
     SET time_on_page = greatest(coalesce(p.time_on_page, 0), l.time_on_page),
         exit_page = CASE WHEN l.time_on_page >= coalesce(p.time_on_page, 0)
                          THEN coalesce(l.exit_page, false) ELSE p.exit_page END
                     AND NOT EXISTS (
                       SELECT 1 FROM page_views q
                        WHERE q.session_id = p.session_id AND q.view_order > p.view_order)
    FROM jsonb_populate_recordset(NULL::page_views, b->'leaves') l
   WHERE p.session_id IN (SELECT session_id FROM sessions WHERE client_session_id = csid)
     AND p.client_view_id = l.client_view_id;
  END IF;

  IF NOT known THEN
    UPDATE sessions
       SET total_page_views = total_page_views + cardinality(view_ids),
           total_events = total_events + cardinality(event_ids),
           last_activity_at = greatest(last_activity_at, last_at),
           metadata = CASE
             WHEN b->'session'->'metadata' ? 'consent'
                  AND metadata->'consent' IS DISTINCT FROM b->'session'->'metadata'->'consent'
             THEN metadata || jsonb_build_object(
                    'consent', b->'session'->'metadata'->'consent',
                    'consent_changes', coalesce(metadata->'consent_changes', '[]'::jsonb)
                      || jsonb_build_array(jsonb_build_object(
                           'at', activity_at,
                           'consent', b->'session'->'metadata'->'consent')))
             ELSE metadata END
     WHERE session_id = s.session_id
    RETURNING * INTO s;
  ELSIF cardinality(view_ids) < cardinality(fresh_views)
        OR cardinality(event_ids) < cardinality(fresh_events) THEN
    -- A claimed id whose row was already there (stored before ids were claimed): the
    -- counts hold the rows this batch inserted only.
    UPDATE sessions
       SET total_page_views = total_page_views - cardinality(fresh_views)
                              + cardinality(view_ids),
           total_events = total_events - cardinality(fresh_events) + cardinality(event_ids)
     WHERE session_id = s.session_id
    RETURNING * INTO s;
  END IF;

  IF NOT s.is_bot THEN
    UPDATE visitor_journeys
       SET first_visit_at = least(first_visit_at, s.started_at),
           last_visit_at = greatest(last_visit_at, s.last_activity_at),
           total_sessions = total_sessions + CASE WHEN is_new THEN 1 ELSE 0 END,
           total_page_views = total_page_views + cardinality(view_ids)
     WHERE domain_id = s.domain_id AND visitor_id = s.visitor_id;
    IF NOT FOUND THEN
      INSERT INTO visitor_journeys (journey_id, organization_id, visitor_id, domain_id,
                                    first_visit_at, last_visit_at, total_sessions,
                                    total_page_views, converted)
      VALUES (gen_random_uuid(), s.organization_id, s.visitor_id, s.domain_id, s.started_at,
              s.last_activity_at, 1, cardinality(view_ids), false)
      ON CONFLICT (domain_id, visitor_id) DO UPDATE SET
        first_visit_at = least(visitor_journeys.first_visit_at, EXCLUDED.first_visit_at),
        last_visit_at = greatest(visitor_journeys.last_visit_at, EXCLUDED.last_visit_at),
        total_sessions = visitor_journeys.total_sessions + CASE WHEN is_new THEN 1 ELSE 0 END,
        total_page_views = visitor_journeys.total_page_views + cardinality(view_ids);
    END IF;
  END IF;

  RETURN jsonb_build_object(
    'session_id', s.session_id, 'new', is_new, 'views', to_jsonb(view_ids),
    'events', to_jsonb(event_ids), 'total_page_views', s.total_page_views,
    'visitor_id', s.visitor_id, 'domain_id', s.domain_id, 'is_bot', s.is_bot,
    'channel', s.channel, 'started_at', s.started_at, 'return_visits', s.return_visits,
    'source', s.metadata->>'source', 'medium', s.metadata->>'medium');
END
$$;

-- The batches of organization `org` (the scope is set) that continue an open session,
-- written together; returns {"<position in batches>": result} for those it wrote.
CREATE OR REPLACE FUNCTION rastro_collect_known(batches jsonb, org text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  fast bigint[];
  sids text[];
  fresh uuid[];
  stored jsonb;
  views_in uuid[] := '{}';
  events_in uuid[] := '{}';
  expected_views int;
  expected_events int;
  changed int;
BEGIN
  -- Which batches continue their tracker session's latest session, still open (active in
  -- the last 30 minutes, the same campaign), with no page_leave and no other batch of the
  -- same tracker session in the group.
  SELECT coalesce(array_agg(c.i ORDER BY c.i), '{}'), coalesce(array_agg(c.sid ORDER BY c.i), '{}')
    INTO fast, sids
    FROM (
      SELECT e.i, e.b, x.session_id AS sid, x.last_activity_at, x.campaign_key,
             count(*) OVER (PARTITION BY e.b->>'csid') AS same
        FROM jsonb_array_elements(batches) WITH ORDINALITY e(b, i)
        CROSS JOIN LATERAL (
          SELECT y.session_id, y.last_activity_at, y.campaign_key FROM sessions y
           WHERE y.client_session_id = e.b->>'csid' ORDER BY y.started_at DESC LIMIT 1) x
       WHERE e.b->>'org' = org
    ) c
   WHERE c.same = 1
     AND c.b->>'activity_at' IS NOT NULL
     AND coalesce(jsonb_array_length(c.b->'leaves'), 0) = 0
     AND (c.b->>'activity_at')::timestamptz - c.last_activity_at <= interval '30 minutes'
     AND (c.b->>'campaign_key' IS NULL OR c.b->>'campaign_key' = c.campaign_key);
  IF cardinality(fast) = 0 THEN
    RETURN '{}'::jsonb;
  END IF;

  -- Their ids claimed; one already claimed is a duplicate.
  WITH f AS (
    SELECT e.b FROM unnest(fast) u(i) JOIN jsonb_array_elements(batches) WITH ORDINALITY e(b, i)
      USING (i)
  ), ids AS (
    SELECT f.b->>'csid' AS csid, (v->>'view_id')::uuid AS id
      FROM f CROSS JOIN LATERAL jsonb_array_elements(coalesce(f.b->'views', '[]')) v
    UNION ALL
    SELECT f.b->>'csid', (v->>'event_id')::uuid
      FROM f CROSS JOIN LATERAL jsonb_array_elements(coalesce(f.b->'events', '[]')) v
  ), claimed AS (
    INSERT INTO event_ids (organization_id, client_session_id, event_id)
    SELECT org::uuid, csid, id FROM ids
    ON CONFLICT DO NOTHING
    RETURNING event_id
  ) SELECT coalesce(array_agg(event_id), '{}') INTO fresh FROM claimed;

  -- The sessions' counts, last activity and consent, checked open again under the row lock.
  WITH f AS (
    SELECT u.i, u.sid, e.b,
           (SELECT count(*) FROM jsonb_array_elements(coalesce(e.b->'views', '[]')) v
             WHERE (v->>'view_id')::uuid = ANY (fresh))::int AS nv,
           (SELECT count(*) FROM jsonb_array_elements(coalesce(e.b->'events', '[]')) v
             WHERE (v->>'event_id')::uuid = ANY (fresh))::int AS ne
      FROM unnest(fast, sids) u(i, sid)
      JOIN jsonb_array_elements(batches) WITH ORDINALITY e(b, i) USING (i)
     ORDER BY u.i
  ), updated AS (
    UPDATE sessions s
       SET total_page_views = s.total_page_views + f.nv,
           total_events = s.total_events + f.ne,
           last_activity_at = greatest(s.last_activity_at, (f.b->>'last_at')::timestamptz),
           metadata = CASE
             WHEN f.b->'session'->'metadata' ? 'consent'
                  AND s.metadata->'consent' IS DISTINCT FROM f.b->'session'->'metadata'->'consent'
             THEN s.metadata || jsonb_build_object(
                    'consent', f.b->'session'->'metadata'->'consent',
                    'consent_changes', coalesce(s.metadata->'consent_changes', '[]'::jsonb)
                      || jsonb_build_array(jsonb_build_object(
                           'at', (f.b->>'activity_at')::timestamptz,
                           'consent', f.b->'session'->'metadata'->'consent')))
             ELSE s.metadata END
      FROM f
     WHERE s.session_id = f.sid
       AND (f.b->>'activity_at')::timestamptz - s.last_activity_at <= interval '30 minutes'
       AND (f.b->>'campaign_key' IS NULL OR f.b->>'campaign_key' = s.campaign_key)
    RETURNING f.i, f.nv, f.ne, s.session_id, s.total_page_views, s.visitor_id, s.domain_id,
              s.is_bot, s.channel, s.started_at, s.last_activity_at, s.return_visits,
              s.metadata->>'source' AS source, s.metadata->>'medium' AS medium
  ) SELECT coalesce(jsonb_agg(to_jsonb(updated)), '[]') INTO stored FROM updated;
  IF jsonb_array_length(stored) < cardinality(fast) THEN
    RAISE EXCEPTION 'rastro_collect_again';  -- a session closed meanwhile: the v6 way
  END IF;

  SELECT coalesce(sum(u.nv), 0), coalesce(sum(u.ne), 0) INTO expected_views, expected_events
    FROM jsonb_to_recordset(stored) u(nv int, ne int);
  IF expected_views > 0 THEN
    WITH incoming AS (
      SELECT v.*, u.session_id AS sid,
             u.total_page_views - u.nv
               + row_number() OVER (PARTITION BY u.i ORDER BY v.created_at, v.view_id) AS position
        FROM jsonb_to_recordset(stored) u(i bigint, nv int, session_id text, total_page_views int)
        JOIN jsonb_array_elements(batches) WITH ORDINALITY e(b, i) USING (i)
        CROSS JOIN LATERAL jsonb_populate_recordset(NULL::page_views, e.b->'views') v
       WHERE v.view_id = ANY (fresh)
    ), inserted AS (
      INSERT INTO page_views (view_id, created_at, organization_id, session_id, page_id,
                              client_view_id, page_url, page_path, page_title, referrer,
                              view_order, exit_page)
      SELECT view_id, created_at, org::uuid, sid, page_id, client_view_id, page_url,
             rastro_page_path(page_url), page_title, referrer, position, false
        FROM incoming
      ON CONFLICT DO NOTHING
      RETURNING view_id
    ) SELECT coalesce(array_agg(view_id), '{}') INTO views_in FROM inserted;
    IF cardinality(views_in) < expected_views THEN
      RAISE EXCEPTION 'rastro_collect_again';  -- a claimed view already stored: the v6 way
    END IF;
  END IF;

  IF expected_events > 0 THEN
    WITH inserted AS (
      INSERT INTO events (event_id, created_at, organization_id, session_id, page_id,
                          event_type, event_category, event_action, event_label, event_value,
                          element_id, element_class, event_data)
      SELECT x.event_id, x.created_at, org::uuid, u.session_id, x.page_id, x.event_type,
             x.event_category, x.event_action, x.event_label, x.event_value, x.element_id,
             x.element_class, coalesce(x.event_data, '{}'::jsonb)
        FROM jsonb_to_recordset(stored) u(i bigint, session_id text)
        JOIN jsonb_array_elements(batches) WITH ORDINALITY e(b, i) USING (i)
        CROSS JOIN LATERAL jsonb_populate_recordset(NULL::events, e.b->'events') x
       WHERE x.event_id = ANY (fresh)
      ON CONFLICT DO NOTHING
      RETURNING event_id
    ) SELECT coalesce(array_agg(event_id), '{}') INTO events_in FROM inserted;
    IF cardinality(events_in) < expected_events THEN
      RAISE EXCEPTION 'rastro_collect_again';  -- a claimed event already stored: the v6 way
    END IF;
  END IF;

  -- The human visitors' journeys (each visitor once, in the group's lock order).
  WITH j AS (
    SELECT u.domain_id, u.visitor_id, min(u.started_at) AS first_at,
           max(u.last_activity_at) AS last_at, sum(u.nv) AS nv
      FROM jsonb_to_recordset(stored)
           u(domain_id uuid, visitor_id text, started_at timestamptz,
             last_activity_at timestamptz, nv int, is_bot boolean)
     WHERE NOT u.is_bot
     GROUP BY u.domain_id, u.visitor_id
     ORDER BY u.domain_id, u.visitor_id
  ), updated AS (
    UPDATE visitor_journeys v
       SET first_visit_at = least(v.first_visit_at, j.first_at),
           last_visit_at = greatest(v.last_visit_at, j.last_at),
           total_page_views = v.total_page_views + j.nv
      FROM j
     WHERE v.domain_id = j.domain_id AND v.visitor_id = j.visitor_id
    RETURNING 1
  ) SELECT (SELECT count(*) FROM updated) - (SELECT count(*) FROM j) INTO changed;
  IF changed < 0 THEN
    RAISE EXCEPTION 'rastro_collect_again';  -- a journey to insert: the v6 way
  END IF;

  RETURN (
    SELECT coalesce(jsonb_object_agg(u.i::text, jsonb_build_object(
      'session_id', u.session_id, 'new', false,
      'views', (SELECT coalesce(jsonb_agg(v->'view_id'), '[]')
                  FROM jsonb_array_elements(coalesce(e.b->'views', '[]')) v
                 WHERE (v->>'view_id')::uuid = ANY (views_in)),
      'events', (SELECT coalesce(jsonb_agg(v->'event_id'), '[]')
                   FROM jsonb_array_elements(coalesce(e.b->'events', '[]')) v
                  WHERE (v->>'event_id')::uuid = ANY (events_in)),
      'total_page_views', u.total_page_views, 'visitor_id', u.visitor_id,
      'domain_id', u.domain_id, 'is_bot', u.is_bot, 'channel', u.channel,
      'started_at', u.started_at, 'return_visits', u.return_visits,
      'source', u.source, 'medium', u.medium)), '{}'::jsonb)
      FROM jsonb_to_recordset(stored)
           u(i bigint, session_id text, total_page_views int, visitor_id text, domain_id uuid,
             is_bot boolean, channel text, started_at timestamptz, return_visits int,
             source text, medium text)
      JOIN jsonb_array_elements(batches) WITH ORDINALITY e(b, i) USING (i));
END
$$;

CREATE OR REPLACE FUNCTION rastro_collect(batches jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  b jsonb;
  i bigint;
  results jsonb := '[]'::jsonb;
  known jsonb := '{}'::jsonb;
  org text;
BEGIN
  -- The common case: every batch stored, in one subtransaction.
  BEGIN
    FOR org IN SELECT DISTINCT value->>'org' FROM jsonb_array_elements(batches) LOOP
      PERFORM set_config('rastro.scope', 'organization', true),
              set_config('rastro.organization_id', org, true);
      known := known || rastro_collect_known(batches, org);
    END LOOP;
    org := NULL;
    FOR b, i IN SELECT value, ordinality FROM jsonb_array_elements(batches) WITH ORDINALITY LOOP
      IF known ? i::text THEN
        results := results || jsonb_build_array(known->(i::text));
        CONTINUE;
      END IF;
      IF org IS DISTINCT FROM b->>'org' THEN
        org := b->>'org';
        PERFORM set_config('rastro.scope', 'organization', true),
                set_config('rastro.organization_id', org, true);
      END IF;
      results := results || rastro_collect_batch(b);
    END LOOP;
    RETURN results;
  EXCEPTION WHEN OTHERS THEN
    NULL;  -- something failed: everything above is rolled back, and written again below
  END;
  results := '[]'::jsonb;
  FOR b IN SELECT value FROM jsonb_array_elements(batches) LOOP
    BEGIN
      PERFORM set_config('rastro.scope', 'organization', true),
              set_config('rastro.organization_id', b->>'org', true);
      results := results || rastro_collect_batch(b);
    EXCEPTION WHEN OTHERS THEN
      results := results || jsonb_build_object('error', CASE
        WHEN SQLERRM = 'rastro_unknown_session' THEN 'unknown_session'
        ELSE 'internal: ' || SQLSTATE || ' ' || SQLERRM END);
    END;
  END LOOP;
  RETURN results;
END
$$;
