-- rastro_email_events(events jsonb) → integer   (v2: an event id stored already is skipped)
--
-- Message events appended in one round trip (one statement on an autocommit connection:
-- the statement is the transaction), each organization's under its own row-level security
-- scope: the click redirect's BI write (its queued clicks drained, `click_drain`). Each
-- event carries every column of `email_message_events` (the caller fills the defaults);
-- an event whose id (or provider id) is stored already is skipped, so a drain that ran
-- twice (a process stopped between this commit and the queue's) stores nothing twice.
-- Returns how many were stored.
CREATE OR REPLACE FUNCTION rastro_email_events(events jsonb) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  org text;
  stored integer := 0;
  added integer;
BEGIN
  FOR org IN SELECT DISTINCT value->>'organization_id' FROM jsonb_array_elements(events) LOOP
    PERFORM set_config('rastro.scope', 'organization', true),
            set_config('rastro.organization_id', org, true);
    INSERT INTO email_message_events
      SELECT * FROM jsonb_populate_recordset(NULL::email_message_events, events) e
      WHERE e.organization_id = org::uuid
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS added = ROW_COUNT;
    stored := stored + added;
  END LOOP;
  RETURN stored;
END
$$;
