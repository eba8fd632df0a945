-- rastro_capture_lead(p jsonb) → jsonb  (v3: the lead's metadata and its timeline entry
-- sealed too; duplicates by the blind index of the form's key)
--
-- Lead capture's write path in one round trip (rastro.crm.service.capture prepares every
-- value: normalized and hashed identity, the personal fields already encrypted with their
-- blind indexes and search tokens (rastro.crm.sealed), score, attribution, ids). In the
-- caller's single
-- transaction, under the organization's row-level security scope:
--   1. per-person (and per idempotency key) advisory locks, so concurrent double submits
--      queue behind each other;
--   2. the person's contact, by the blind index of their e-mail else phone (identity
--      stitching: the visitor id joins
--      its known visitors);
--   3. a duplicate — the same idempotency key, or the same e-mail (else phone) on the same
--      form within p.window_seconds — returns the lead already stored, changing nothing;
--      otherwise the contact is created (when new) or completed, with the search tokens of
--      the fields it gets;
--   4. the lead, its first lead_stages row, the `lead_created` timeline entry, and the
--      outbox message (its visitor_ids: the contact's) with at most one waiting delivery job.
--
-- p: {org, lock_person, lock_key, idempotency_key, form_index, window_seconds,
--     contact: {contact_id, email_encrypted, email_index, hashed_email, phone_encrypted,
--               phone_index, hashed_phone, name_encrypted, company_encrypted, visitor_id,
--               terms: {email, phone, name, company: [token]}},
--     lead: {leads columns except contact_id}, lead_terms: [token], stage: {stage_id},
--     activity: {activity_id, summary_encrypted, data_encrypted},
--     outbox: {id, topic, payload}}
-- Result: {lead_id, contact_id, duplicate, lead_score, current_stage, attribution_status,
--          utm_tracking_id, time_to_conversion}.
CREATE OR REPLACE FUNCTION rastro_capture_lead(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  org uuid := (p->>'org')::uuid;
  c jsonb := p->'contact';
  found_lead leads%ROWTYPE;
  recent leads%ROWTYPE;
  person contacts%ROWTYPE;
  lead leads%ROWTYPE;
  visitor text := c->>'visitor_id';
  -- Lookups compare columns with plain variables: under row-level security an index is
  -- used only for leakproof conditions, which a `p->>'…'` expression is not.
  key text := p->>'idempotency_key';
  contact_email text := c->>'email_index';
  contact_phone text := c->>'phone_index';
  filled text[] := '{}';
  form_key text := p->>'form_index';
  since timestamptz := now() - make_interval(secs => (p->>'window_seconds')::int);
BEGIN
  PERFORM set_config('rastro.scope', 'organization', true),
          set_config('rastro.organization_id', org::text, true);
  IF p->>'lock_key' IS NOT NULL THEN
    PERFORM pg_advisory_xact_lock(hashtextextended(p->>'lock_key', 0));
  END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended(p->>'lock_person', 0));

  IF key IS NOT NULL THEN
    SELECT * INTO found_lead FROM leads
      WHERE organization_id = org AND idempotency_key = key;
  END IF;

  -- The person: an e-mail match wins over a phone match.
  IF found_lead.lead_id IS NULL AND contact_email IS NOT NULL THEN
    SELECT * INTO person FROM contacts
      WHERE organization_id = org AND email_index = contact_email;
  END IF;
  IF found_lead.lead_id IS NULL AND person.contact_id IS NULL AND contact_phone IS NOT NULL THEN
    SELECT * INTO person FROM contacts
      WHERE organization_id = org AND phone_index = contact_phone
      ORDER BY created_at LIMIT 1;
  END IF;
  -- The same person (e-mail, else phone) on the same form within the window: their latest
  -- leads, newest first, until the window ends (no time condition in the queries: the
  -- planner's estimate for "the last minutes" is unreliable between two ANALYZE runs).
  IF found_lead.lead_id IS NULL AND contact_email IS NOT NULL THEN
    FOR recent IN
      SELECT * FROM leads WHERE organization_id = org AND email_index = contact_email
      ORDER BY created_at DESC
    LOOP
      EXIT WHEN recent.created_at < since;
      IF recent.form_index IS NOT DISTINCT FROM form_key THEN
        found_lead := recent;
        EXIT;
      END IF;
    END LOOP;
  ELSIF found_lead.lead_id IS NULL AND person.contact_id IS NOT NULL THEN
    FOR recent IN
      SELECT * FROM leads WHERE contact_id = person.contact_id ORDER BY created_at DESC
    LOOP
      EXIT WHEN recent.created_at < since;
      IF recent.phone_index = contact_phone
         AND recent.form_index IS NOT DISTINCT FROM form_key THEN
        found_lead := recent;
        EXIT;
      END IF;
    END LOOP;
  END IF;
  IF found_lead.lead_id IS NOT NULL THEN
    RETURN jsonb_build_object(
      'lead_id', found_lead.lead_id, 'contact_id', found_lead.contact_id, 'duplicate', true,
      'lead_score', found_lead.lead_score, 'current_stage', found_lead.current_stage,
      'attribution_status', found_lead.attribution_status,
      'utm_tracking_id', found_lead.utm_tracking_id,
      'time_to_conversion', found_lead.time_to_conversion);
  END IF;

  IF person.contact_id IS NULL THEN
    INSERT INTO contacts (contact_id, organization_id, email_encrypted, email_index,
                          hashed_email, phone_encrypted, phone_index, hashed_phone,
                          name_encrypted, company_encrypted, visitor_ids)
      VALUES ((c->>'contact_id')::uuid, org, c->>'email_encrypted', contact_email,
              c->>'hashed_email', c->>'phone_encrypted', contact_phone, c->>'hashed_phone',
              c->>'name_encrypted', c->>'company_encrypted',
              CASE WHEN visitor IS NULL THEN '{}'::varchar[] ELSE ARRAY[visitor] END)
      RETURNING * INTO person;
    filled := ARRAY['email', 'phone', 'name', 'company'];
  ELSE
    -- Fill what the contact lacks (only then: its search tokens are added for those).
    IF person.email_encrypted IS NULL AND c->>'email_encrypted' IS NOT NULL THEN
      filled := filled || 'email'::text;
    END IF;
    IF person.phone_encrypted IS NULL AND c->>'phone_encrypted' IS NOT NULL THEN
      filled := filled || 'phone'::text;
    END IF;
    IF person.name_encrypted IS NULL AND c->>'name_encrypted' IS NOT NULL THEN
      filled := filled || 'name'::text;
    END IF;
    IF person.company_encrypted IS NULL AND c->>'company_encrypted' IS NOT NULL THEN
      filled := filled || 'company'::text;
    END IF;
    IF cardinality(filled) > 0 THEN
      UPDATE contacts SET
          email_encrypted = coalesce(email_encrypted, c->>'email_encrypted'),
          email_index = CASE WHEN email_encrypted IS NULL THEN contact_email
                             ELSE email_index END,
          hashed_email = CASE WHEN email_encrypted IS NULL THEN c->>'hashed_email'
                              ELSE hashed_email END,
          phone_encrypted = coalesce(phone_encrypted, c->>'phone_encrypted'),
          phone_index = CASE WHEN phone_encrypted IS NULL THEN contact_phone
                             ELSE phone_index END,
          hashed_phone = CASE WHEN phone_encrypted IS NULL THEN c->>'hashed_phone'
                              ELSE hashed_phone END,
          name_encrypted = coalesce(name_encrypted, c->>'name_encrypted'),
          company_encrypted = coalesce(company_encrypted, c->>'company_encrypted'),
          updated_at = now()
        WHERE contact_id = person.contact_id
        RETURNING * INTO person;
    END IF;
  END IF;
  IF cardinality(filled) > 0 THEN
    INSERT INTO crm_search_terms (record_id, term, organization_id)
      SELECT DISTINCT person.contact_id, token, org
      FROM jsonb_each(c->'terms') AS field, jsonb_array_elements_text(field.value) AS token
      WHERE field.key = ANY(filled)
      ON CONFLICT DO NOTHING;
  END IF;
  -- (a new contact has the visitor already)
  IF visitor IS NOT NULL AND NOT visitor = ANY(person.visitor_ids) THEN
    UPDATE contacts SET visitor_ids = visitor_ids || visitor::varchar, updated_at = now()
      WHERE contact_id = person.contact_id
      RETURNING * INTO person;
  END IF;

  lead := jsonb_populate_record(NULL::leads, p->'lead');
  lead.organization_id := org;
  lead.contact_id := person.contact_id;
  INSERT INTO leads VALUES (lead.*);
  INSERT INTO crm_search_terms (record_id, term, organization_id)
    SELECT lead.lead_id, token, org FROM jsonb_array_elements_text(p->'lead_terms') AS token;

  INSERT INTO lead_stages (stage_id, organization_id, lead_id, stage_name, stage_value,
                           probability, changed_by, source, created_at)
    VALUES ((p->'stage'->>'stage_id')::uuid, org, lead.lead_id, lead.current_stage, NULL,
            lead.probability, 'system', 'system', lead.created_at);
  INSERT INTO activities (activity_id, organization_id, lead_id, contact_id, activity_type,
                          summary_encrypted, actor, data_encrypted, created_at)
    VALUES ((p->'activity'->>'activity_id')::uuid, org, lead.lead_id, person.contact_id,
            'lead_created', p->'activity'->>'summary_encrypted', 'system',
            p->'activity'->>'data_encrypted', lead.created_at);
  INSERT INTO outbox (id, organization_id, topic, payload)
    VALUES ((p->'outbox'->>'id')::uuid, org, p->'outbox'->>'topic',
            p->'outbox'->'payload' || jsonb_build_object('visitor_ids', person.visitor_ids));
  PERFORM rastro_defer_once('outbox', 'core:outbox.deliver', 'core.outbox_deliver', '{}');

  RETURN jsonb_build_object(
    'lead_id', lead.lead_id, 'contact_id', person.contact_id, 'duplicate', false,
    'lead_score', lead.lead_score, 'current_stage', lead.current_stage,
    'attribution_status', lead.attribution_status, 'utm_tracking_id', lead.utm_tracking_id,
    'time_to_conversion', lead.time_to_conversion);
END
$$;
