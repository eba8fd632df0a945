-- rastro_email_clicks_drained(clicks jsonb) → integer
--
-- The second half of a queued click (`rastro_email_clicks()` v3 queued it, and its
-- `click` event is stored in BI now): for the clicks {event_id, organization_id,
-- message_id, clicked_at} of each organization, under its row-level security scope, in
-- one statement: each message's first click time becomes the earliest of its clicks
-- (set when it has none or a later one: the hot path skips rows another statement holds,
-- and a queue may be drained out of order), the rows locked in message order so
-- concurrent drains never deadlock; and the clicks leave the queue. Running it again
-- changes nothing. Returns how many queued clicks were removed.
CREATE OR REPLACE FUNCTION rastro_email_clicks_drained(clicks jsonb) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  org text;
  removed integer := 0;
  part integer;
BEGIN
  FOR org IN SELECT DISTINCT value->>'organization_id' FROM jsonb_array_elements(clicks) LOOP
    PERFORM set_config('rastro.scope', 'organization', true),
            set_config('rastro.organization_id', org, true);
    WITH given AS (
      SELECT *
        FROM jsonb_to_recordset(clicks) AS c(event_id uuid, organization_id uuid,
             message_id uuid, clicked_at timestamptz)
       WHERE c.organization_id = org::uuid
    ), firsts AS (
      SELECT message_id, min(clicked_at) AS clicked_at FROM given GROUP BY message_id
    ), locked AS (
      SELECT m.message_id FROM email_messages m JOIN firsts f USING (message_id)
       WHERE m.first_clicked_at IS NULL OR m.first_clicked_at > f.clicked_at
       ORDER BY m.message_id
         FOR NO KEY UPDATE OF m
    ), first_clicks AS (
      UPDATE email_messages m SET first_clicked_at = f.clicked_at
        FROM firsts f
       WHERE m.message_id = f.message_id AND m.message_id IN (SELECT message_id FROM locked)
         AND (m.first_clicked_at IS NULL OR m.first_clicked_at > f.clicked_at)
    ), removed AS (
      DELETE FROM email_click_queue q USING given g
       WHERE q.event_id = g.event_id
      RETURNING 1
    )
    SELECT count(*) INTO part FROM removed;
    removed := removed + part;
  END LOOP;
  RETURN removed;
END
$$;
