-- rastro_email_event(event jsonb) → void
--
-- One message event appended in one round trip (one statement on an autocommit
-- connection: the statement is the transaction), under its organization's row-level
-- security scope: the click redirect's write path. `event` carries every column of
-- `email_message_events` (the caller fills the defaults).
CREATE OR REPLACE FUNCTION rastro_email_event(event jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('rastro.scope', 'organization', true),
          set_config('rastro.organization_id', event->>'organization_id', true);
  INSERT INTO email_message_events
    SELECT * FROM jsonb_populate_record(NULL::email_message_events, event);
END
$$;
