-- rastro_email_click(org uuid, message uuid, link integer, clicked_at timestamptz) → jsonb
--
-- The click redirect's CRM work in one round trip (one statement on an autocommit
-- connection: the statement is the transaction): under the organization's row-level
-- security scope, the message, the link of its campaign and the campaign's UTMs are read,
-- and the message's first click time is set when it has none. The token naming the
-- organization, the message and the link was verified (HMAC) by the caller.
--
-- Result: {campaign_id, contact_id, url, utm_source, utm_campaign, name}, or null when the
-- message or the link (of that message's campaign) is not the organization's.
CREATE OR REPLACE FUNCTION rastro_email_click(
  org uuid, message uuid, link integer, clicked_at timestamptz
) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  found record;
BEGIN
  PERFORM set_config('rastro.scope', 'organization', true),
          set_config('rastro.organization_id', org::text, true);
  SELECT m.campaign_id, m.contact_id, m.first_clicked_at, l.url, c.utm_source,
         c.utm_campaign, c.name
    INTO found
    FROM email_messages m
    JOIN email_links l ON l.link_id = link AND l.campaign_id = m.campaign_id
    JOIN email_campaigns c ON c.campaign_id = m.campaign_id
    WHERE m.message_id = message;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  IF found.first_clicked_at IS NULL THEN
    UPDATE email_messages SET first_clicked_at = clicked_at
      WHERE message_id = message AND first_clicked_at IS NULL;
  END IF;
  RETURN jsonb_build_object(
    'campaign_id', found.campaign_id, 'contact_id', found.contact_id, 'url', found.url,
    'utm_source', found.utm_source, 'utm_campaign', found.utm_campaign, 'name', found.name);
END
$$;
