-- rastro_email_clicks(clicks jsonb) → jsonb   (v2: set-based; v1 looped over the clicks)
--
-- The click redirect's CRM work for one or many clicks in one round trip (one statement
-- on an autocommit connection: the statement is the transaction). For the clicks
-- {organization_id, message_id, link_id, clicked_at} of each organization, under its
-- row-level security scope, in one statement: the messages, the links of their campaigns
-- and the campaigns' UTMs are read, and each message's first click time is set when it
-- has none (the earliest of the group's clicks on it; the rows locked in message order,
-- so concurrent groups never deadlock). The tokens naming them were verified (HMAC) by
-- the caller.
--
-- Result: an array with one element per click, in order: {campaign_id, contact_id, url,
-- utm_source, utm_campaign, name}, or null when the message or the link (of that
-- message's campaign) is not the organization's.
CREATE OR REPLACE FUNCTION rastro_email_clicks(clicks jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  org text;
  found jsonb := '{}'::jsonb;  -- each found click's answer, by its position
  part jsonb;
BEGIN
  FOR org IN SELECT DISTINCT value->>'organization_id' FROM jsonb_array_elements(clicks) LOOP
    PERFORM set_config('rastro.scope', 'organization', true),
            set_config('rastro.organization_id', org, true);
    WITH given AS (
      SELECT *
        FROM ROWS FROM (jsonb_to_recordset(clicks) AS (organization_id uuid,
             message_id uuid, link_id integer, clicked_at timestamptz))
             WITH ORDINALITY AS c(organization_id, message_id, link_id, clicked_at, pos)
       WHERE c.organization_id = org::uuid
    ), hits AS (
      SELECT g.pos, g.message_id, g.clicked_at, m.campaign_id, m.contact_id,
             m.first_clicked_at, l.url, c.utm_source, c.utm_campaign, c.name
        FROM given g
        JOIN email_messages m ON m.message_id = g.message_id
        JOIN email_links l ON l.link_id = g.link_id AND l.campaign_id = m.campaign_id
        JOIN email_campaigns c ON c.campaign_id = m.campaign_id
    ), firsts AS (
      SELECT message_id, min(clicked_at) AS clicked_at FROM hits
       WHERE first_clicked_at IS NULL GROUP BY message_id
    ), locked AS (
      -- In message order: concurrent groups clicking the same messages never deadlock.
      SELECT m.message_id FROM email_messages m
       WHERE m.message_id IN (SELECT message_id FROM firsts) AND m.first_clicked_at IS NULL
       ORDER BY m.message_id
         FOR NO KEY UPDATE
    ), first_clicks AS (
      UPDATE email_messages m SET first_clicked_at = f.clicked_at
        FROM firsts f
       WHERE m.message_id = f.message_id AND m.message_id IN (SELECT message_id FROM locked)
         AND m.first_clicked_at IS NULL
    )
    SELECT jsonb_object_agg(pos::text, jsonb_build_object(
             'campaign_id', campaign_id, 'contact_id', contact_id, 'url', url,
             'utm_source', utm_source, 'utm_campaign', utm_campaign, 'name', name))
      INTO part FROM hits;
    found := found || coalesce(part, '{}'::jsonb);
  END LOOP;
  RETURN (SELECT coalesce(jsonb_agg(found -> pos::text ORDER BY pos), '[]'::jsonb)
            FROM generate_series(1, jsonb_array_length(clicks)) AS pos);
END
$$;
