-- rastro_session_facts(org uuid, session text) → jsonb
--
-- What lead capture needs from the converting session, in one round trip (the plans are
-- cached by PL/pgSQL, which matters on the month-partitioned touch and page-view tables):
-- the session (by server or tracker id, the newest), its visitor's first visit on the
-- domain, the time spent on its pages, and the visitor's touches on the domain up to a day
-- after the session's last activity — the first of them and the session's own last one.
-- NULL when the session is unknown to this organization.
CREATE OR REPLACE FUNCTION rastro_session_facts(org uuid, session text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
  s sessions%ROWTYPE;
  first_visit timestamptz;
  on_pages bigint;
  first_touch jsonb;
  last_touch jsonb;
BEGIN
  PERFORM set_config('rastro.scope', 'organization', true),
          set_config('rastro.organization_id', org::text, true);
  SELECT * INTO s FROM sessions
    WHERE session_id = session OR client_session_id = session
    ORDER BY started_at DESC LIMIT 1;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  SELECT first_visit_at INTO first_visit FROM visitor_journeys
    WHERE domain_id = s.domain_id AND visitor_id = s.visitor_id;
  SELECT coalesce(sum(time_on_page), 0) INTO on_pages FROM page_views
    WHERE session_id = s.session_id AND created_at >= s.started_at - interval '1 minute';
  SELECT to_jsonb(u) INTO first_touch FROM utm_tracking u
    WHERE u.visitor_id = s.visitor_id AND u.domain_id = s.domain_id
      AND u.created_at <= s.last_activity_at + interval '1 day'
    ORDER BY u.created_at LIMIT 1;
  SELECT to_jsonb(u) INTO last_touch FROM utm_tracking u
    WHERE u.session_id = s.session_id AND u.created_at <= s.last_activity_at + interval '1 day'
    ORDER BY u.created_at DESC LIMIT 1;
  RETURN jsonb_build_object(
    'session_id', s.session_id,
    'visitor_id', s.visitor_id,
    'domain_id', s.domain_id,
    'started_at', s.started_at,
    'last_activity_at', s.last_activity_at,
    'total_page_views', s.total_page_views,
    'total_events', s.total_events,
    'return_visits', s.return_visits,
    'first_visit_at', coalesce(first_visit, s.started_at),
    'seconds_on_pages', on_pages,
    'first_touch', first_touch,
    'last_touch', last_touch);
END
$$;
