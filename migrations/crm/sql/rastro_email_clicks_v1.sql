-- rastro_email_clicks(clicks jsonb) → jsonb
--
-- The click redirect's CRM work for one or many clicks in one round trip (one statement
-- on an autocommit connection: the statement is the transaction). For each click
-- {organization_id, message_id, link_id, clicked_at}, under its organization's row-level
-- security scope: the message, the link of its campaign and the campaign's UTMs are read,
-- and the message's first click time is set when it has none. The tokens naming them
-- were verified (HMAC) by the caller.
--
-- Result: an array with one element per click, in order: {campaign_id, contact_id, url,
-- utm_source, utm_campaign, name}, or null when the message or the link (of that
-- message's campaign) is not the organization's.
CREATE OR REPLACE FUNCTION rastro_email_clicks(clicks jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  click jsonb;
  hit record;
  results jsonb := '[]'::jsonb;
BEGIN
  FOR click IN SELECT value FROM jsonb_array_elements(clicks) LOOP
    PERFORM set_config('rastro.scope', 'organization', true),
            set_config('rastro.organization_id', click->>'organization_id', true);
    SELECT m.campaign_id, m.contact_id, m.first_clicked_at, l.url, c.utm_source,
           c.utm_campaign, c.name
      INTO hit
      FROM email_messages m
      JOIN email_links l
        ON l.link_id = (click->>'link_id')::integer AND l.campaign_id = m.campaign_id
      JOIN email_campaigns c ON c.campaign_id = m.campaign_id
      WHERE m.message_id = (click->>'message_id')::uuid;
    IF NOT FOUND THEN
      results := results || 'null'::jsonb;
      CONTINUE;
    END IF;
    IF hit.first_clicked_at IS NULL THEN
      UPDATE email_messages SET first_clicked_at = (click->>'clicked_at')::timestamptz
        WHERE message_id = (click->>'message_id')::uuid AND first_clicked_at IS NULL;
    END IF;
    results := results || jsonb_build_array(jsonb_build_object(
      'campaign_id', hit.campaign_id, 'contact_id', hit.contact_id, 'url', hit.url,
      'utm_source', hit.utm_source, 'utm_campaign', hit.utm_campaign, 'name', hit.name));
  END LOOP;
  RETURN results;
END
$$;
