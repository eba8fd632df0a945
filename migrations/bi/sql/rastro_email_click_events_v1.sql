-- rastro_email_click_events(clicks jsonb) → jsonb
--
-- The click redirect's BI write, in one round trip that needs nothing from the CRM (so
-- the group writer runs it at the same time as the CRM's `rastro_email_clicks()`): for
-- each click {event_id, organization_id, message_id, link_id, clicked_at, user_agent},
-- under its organization's row-level security scope, the message's campaign and
-- recipient are read from an event the message already has (its `sent` event, written
-- when it was sent) and the `click` event is appended. The tokens naming them were
-- verified (HMAC) by the caller; `event_id` is the caller's, so running a group again
-- stores nothing twice (ON CONFLICT DO NOTHING).
--
-- Result: the event ids of the clicks whose message was found (stored now or before);
-- the caller stores the others' events itself once the CRM told it the message's
-- campaign and recipient (`rastro_email_events()`).
CREATE OR REPLACE FUNCTION rastro_email_click_events(clicks jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  org text;
  found jsonb := '[]'::jsonb;
  part jsonb;
BEGIN
  FOR org IN SELECT DISTINCT value->>'organization_id' FROM jsonb_array_elements(clicks) LOOP
    PERFORM set_config('rastro.scope', 'organization', true),
            set_config('rastro.organization_id', org, true);
    WITH given AS (
      SELECT *
        FROM jsonb_to_recordset(clicks) AS c(event_id uuid, organization_id uuid,
             message_id uuid, link_id integer, clicked_at timestamptz, user_agent text)
       WHERE c.organization_id = org::uuid
    ), resolved AS (
      SELECT g.*, m.campaign_id, m.contact_id
        FROM given g
        CROSS JOIN LATERAL (
          SELECT e.campaign_id, e.contact_id
            FROM email_message_events e
           WHERE e.message_id = g.message_id
           LIMIT 1
        ) m
    ), stored AS (
      INSERT INTO email_message_events (event_id, organization_id, campaign_id, message_id,
          contact_id, link_id, type, subtype, is_machine, source, external_id, detail,
          occurred_at, recorded_at)
      SELECT event_id, organization_id, campaign_id, message_id, contact_id, link_id,
             'click', NULL, false, 'tracker', NULL,
             jsonb_build_object('user_agent', user_agent), clicked_at, clicked_at
        FROM resolved
      ON CONFLICT DO NOTHING
    )
    SELECT coalesce(jsonb_agg(event_id), '[]'::jsonb) INTO part FROM resolved;
    found := found || part;
  END LOOP;
  RETURN found;
END
$$;
