-- Bench only (issue 23): `rastro_collect` v6 with one subtransaction per group and the
-- scope set per organization, but every batch written by itself — the first half of v7
-- (migrations/bi/sql/rastro_collect_v7.sql) without its set-based path for known sessions,
-- for `bench.collector.store --ab` (its `rastro_collect_batch` is v7's).
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

CREATE OR REPLACE FUNCTION rastro_collect(batches jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  b jsonb;
  results jsonb := '[]'::jsonb;
  org text;
BEGIN
  -- The common case: every batch stored, in one subtransaction.
  BEGIN
    FOR b IN SELECT value FROM jsonb_array_elements(batches) LOOP
      IF org IS DISTINCT FROM b->>'org' THEN
        org := b->>'org';
        PERFORM set_config('rastro.scope', 'organization', true),
                set_config('rastro.organization_id', org, true);
      END IF;
      results := results || rastro_collect_batch(b);
    END LOOP;
    RETURN results;
  EXCEPTION WHEN OTHERS THEN
    NULL;  -- a batch failed: everything above is rolled back, and written again below
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
