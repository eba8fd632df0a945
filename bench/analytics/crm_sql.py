"""The statements that fill the CRM database from the converting journeys drawn in BI
(`bench_leads`, copied over): contacts, leads with capture's attribution snapshot, their
stage history (new → qualified → proposal → negotiation → won, or lost on the way), the won
deals in BRL and the `lead_created` timeline entries.

Exactly `won` leads are won, drawn among those older than 45 days (a sales cycle here is at
most 32 days) with more chance for better scores; a stage change never lies in the future.
"""

from __future__ import annotations

from bench.analytics.tracking_sql import ROLL
from bench.personal import form_index_of

__all__ = ["PIPELINE", "ROLL", "STEPS"]

PIPELINE = """
CREATE TEMP TABLE bench_people AS
SELECT l.*,
       (ARRAY['Ana','Bruno','Carla','Diego','Eduarda','Felipe','Gabriela','Henrique',
              'Isabela','João','Larissa','Marcos','Natália','Otávio','Patrícia','Rafael'])
         [1 + mod(l.lead_no, 16)] AS first_name,
       (ARRAY['Silva','Souza','Oliveira','Santos','Pereira','Lima','Carvalho','Ferreira',
              'Rodrigues','Almeida','Costa','Gomes','Martins','Araújo','Barbosa','Ribeiro'])
         [1 + mod(l.lead_no / 16, 16)] AS last_name,
       CASE WHEN pg_temp.roll(l.lead_no, 20) < 0.55 THEN 'gmail.com'
            WHEN pg_temp.roll(l.lead_no, 20) < 0.70 THEN 'hotmail.com'
            ELSE 'empresa' || mod(l.lead_no, 5000) || '.com.br' END AS email_domain,
       CASE WHEN pg_temp.roll(l.lead_no, 21) < 0.15 THEN 'A'
            WHEN pg_temp.roll(l.lead_no, 21) < 0.45 THEN 'B'
            WHEN pg_temp.roll(l.lead_no, 21) < 0.80 THEN 'C' ELSE 'D' END AS score
FROM bench_leads l;

CREATE TEMP TABLE bench_won AS
SELECT lead_no FROM bench_people
WHERE created_at < %(now)s::timestamptz - interval '45 days'
ORDER BY -ln(1 - pg_temp.roll(lead_no, 22))
         / CASE score WHEN 'A' THEN 4 WHEN 'B' THEN 3 WHEN 'C' THEN 2 ELSE 1 END
LIMIT %(won)s;

CREATE TEMP TABLE bench_pipeline AS
WITH outcome AS (
  SELECT p.*,
         CASE WHEN w.lead_no IS NOT NULL THEN 'won'
              WHEN pg_temp.roll(p.lead_no, 23) < 0.10 THEN 'lost_new'
              WHEN pg_temp.roll(p.lead_no, 23) < 0.22 THEN 'lost_qualified'
              WHEN pg_temp.roll(p.lead_no, 23) < 0.25 THEN 'negotiation'
              WHEN pg_temp.roll(p.lead_no, 23) < 0.30 THEN 'proposal'
              WHEN pg_temp.roll(p.lead_no, 23) < 0.45 THEN 'qualified'
              ELSE 'new' END AS outcome,
         -- days to qualify, to propose, to negotiate, to close (won or lost)
         0.5 + 3.5 * pg_temp.roll(p.lead_no, 24) AS d1,
         1 + 6 * pg_temp.roll(p.lead_no, 25) AS d2,
         1 + 6 * pg_temp.roll(p.lead_no, 26) AS d3,
         1 + 13 * pg_temp.roll(p.lead_no, 27) AS d4,
         round((500 * exp(3.7 * pg_temp.roll(p.lead_no, 28)))::numeric, 2) AS value
  FROM bench_people p LEFT JOIN bench_won w ON w.lead_no = p.lead_no
), scaled AS (
  -- A young lead's history is squeezed into the time it has had.
  SELECT o.*, least(1.0, extract(epoch FROM %(now)s::timestamptz - o.created_at)
                         / ((o.d1 + o.d2 + o.d3 + o.d4) * 86400 + 3600)) * 86400 AS unit
  FROM outcome o
), times AS (
  SELECT s.*, s.created_at + make_interval(secs => s.d1 * s.unit) AS t1,
         s.created_at + make_interval(secs => (s.d1 + s.d2) * s.unit) AS t2,
         s.created_at + make_interval(secs => (s.d1 + s.d2 + s.d3) * s.unit) AS t3
  FROM scaled s
)
SELECT t.*,
       CASE outcome
         WHEN 'new' THEN ARRAY['new']
         WHEN 'qualified' THEN ARRAY['new','qualified']
         WHEN 'proposal' THEN ARRAY['new','qualified','proposal']
         WHEN 'negotiation' THEN ARRAY['new','qualified','proposal','negotiation']
         WHEN 'won' THEN ARRAY['new','qualified','proposal','negotiation','won']
         WHEN 'lost_new' THEN ARRAY['new','lost']
         ELSE ARRAY['new','qualified','lost'] END AS stages,
       CASE outcome
         WHEN 'new' THEN ARRAY[created_at]
         WHEN 'qualified' THEN ARRAY[created_at, t1]
         WHEN 'proposal' THEN ARRAY[created_at, t1, t2]
         WHEN 'negotiation' THEN ARRAY[created_at, t1, t2, t3]
         WHEN 'won' THEN ARRAY[created_at, t1, t2, t3,
                               t3 + make_interval(secs => d4 * unit)]
         WHEN 'lost_new' THEN ARRAY[created_at,
                                    created_at + make_interval(secs => (d1 + d4) * unit)]
         ELSE ARRAY[created_at, t1, t1 + make_interval(secs => d4 * unit)] END AS at
FROM times t
"""

PEOPLE = """
CREATE TEMP TABLE bench_personal AS
SELECT contact_id, lead_id, email, phone, first_name || ' ' || last_name AS name,
       CASE WHEN email_domain LIKE 'empresa%%' THEN 'Empresa ' || mod(lead_no, 5000) END
         AS company
FROM (SELECT *, lower(translate(first_name || '.' || last_name, 'ãáéíóúçÓÚÍ', 'aaeiouucOUI'))
                  || '.' || lead_no || '@' || email_domain AS email,
             '+55119' || lpad(mod(lead_no * 7919, 100000000)::text, 8, '0') AS phone
      FROM bench_pipeline) p
"""

# The personal fields are sealed afterwards (bench.personal.seal_people: encrypted, blind
# indexes, search tokens), as the app stores them; the free text (leads' metadata, deals'
# names, timeline entries) is written in the clear into the `_encrypted` columns and
# sealed in place right after (bench.personal.seal_in_place, `SEALED_IN_PLACE`).
CONTACTS = """
INSERT INTO contacts (contact_id, organization_id, hashed_email, hashed_phone, visitor_ids,
                      created_at, updated_at)
SELECT p.contact_id, %(org)s, encode(sha256(convert_to(b.email, 'UTF8')), 'hex'),
       encode(sha256(convert_to(b.phone, 'UTF8')), 'hex'), ARRAY[p.visitor_id]::varchar[],
       p.created_at, p.created_at
FROM bench_pipeline p JOIN bench_personal b USING (contact_id)
"""

LEADS = """
INSERT INTO leads (lead_id, organization_id, contact_id, session_id, visitor_id, utm_tracking_id,
                   page_id, domain_id, hashed_email, hashed_phone, form_location, lead_score,
                   is_business_email, email_domain,
                   time_to_conversion, created_at, metadata_encrypted, current_stage,
                   stage_changed_at,
                   stage_value, probability, source, medium, campaign, channel,
                   attribution_status)
SELECT p.lead_id, %(org)s, p.contact_id, p.session_id, p.visitor_id, p.utm_tracking_id,
       p.page_id, %(domain)s, c.hashed_email, c.hashed_phone, 'lead-form',
       p.score, p.email_domain NOT IN ('gmail.com', 'hotmail.com'),
       p.email_domain, floor(extract(epoch FROM p.created_at - p.first_visit_at))::int,
       p.created_at,
       (jsonb_build_object('scoring', '{}'::jsonb,
                          'form_key', coalesce(p.page_id::text, p.page_path),
                          'page_url', %(origin)s || p.page_path)
         || CASE WHEN p.click_name IS NOT NULL
                 THEN jsonb_build_object('click_ids', jsonb_build_object(
                        p.click_name, p.click_value,
                        'clicked_at', to_char(p.first_visit_at AT TIME ZONE 'UTC',
                                              'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')))
                 ELSE '{}'::jsonb END)::text,
       p.stages[cardinality(p.stages)], p.at[cardinality(p.at)],
       CASE WHEN p.outcome IN ('proposal', 'negotiation', 'won') THEN p.value END,
       CASE p.stages[cardinality(p.stages)] WHEN 'new' THEN 10 WHEN 'qualified' THEN 20
            WHEN 'proposal' THEN 50 WHEN 'negotiation' THEN 80 WHEN 'won' THEN 100 ELSE 0 END,
       p.source, p.medium, p.campaign, p.channel, 'attributed'
FROM bench_pipeline p JOIN contacts c ON c.contact_id = p.contact_id
"""

STAGES = """
INSERT INTO lead_stages (stage_id, organization_id, lead_id, stage_name, stage_value,
                         probability, changed_by, source, close_date, created_at)
SELECT gen_random_uuid(), %(org)s, p.lead_id, s.name,
       CASE WHEN s.name IN ('proposal', 'negotiation', 'won') THEN p.value END,
       CASE s.name WHEN 'new' THEN 10 WHEN 'qualified' THEN 20 WHEN 'proposal' THEN 50
            WHEN 'negotiation' THEN 80 WHEN 'won' THEN 100 ELSE 0 END,
       CASE WHEN s.name = 'new' THEN 'system' ELSE %(seller)s END,
       CASE WHEN s.name = 'new' THEN 'system' ELSE 'ui' END,
       CASE WHEN s.name IN ('won', 'lost')
            THEN (s.at AT TIME ZONE 'America/Sao_Paulo')::date END,
       s.at
FROM bench_pipeline p
CROSS JOIN LATERAL unnest(p.stages, p.at) AS s(name, at)
"""

DEALS = """
INSERT INTO deals (deal_id, organization_id, lead_id, contact_id, name_encrypted, value, currency,
                   stage, probability, closed_at, created_at, updated_at)
SELECT gen_random_uuid(), %(org)s, lead_id, contact_id, 'Pedido ' || lead_no, value, 'BRL',
       'won', 100, at[5], at[3], at[5]
FROM bench_pipeline WHERE outcome = 'won'
"""

ACTIVITIES = """
INSERT INTO activities (activity_id, organization_id, lead_id, contact_id, activity_type,
                        summary_encrypted, actor, data_encrypted, created_at)
SELECT gen_random_uuid(), %(org)s, lead_id, contact_id, 'lead_created',
       'Lead from lead-form', 'system',
       jsonb_build_object('score', score, 'channel', channel, 'attribution', 'attributed')::text,
       created_at
FROM bench_pipeline
"""

# (table, key, column, extra column and its function of the clear value)
SEALED_IN_PLACE = (
    ("leads", "lead_id", "metadata", ("form_index", form_index_of)),
    ("deals", "deal_id", "name", None),
    ("activities", "activity_id", "summary", None),
    ("activities", "activity_id", "data", None),
)

SEALED_PEOPLE = "SELECT contact_id, lead_id, email, phone, name, company FROM bench_personal"

STEPS = (
    ("people", PEOPLE),
    ("contacts", CONTACTS),
    ("leads", LEADS),
    ("lead_stages", STAGES),
    ("deals", DEALS),
    ("activities", ACTIVITIES),
)
