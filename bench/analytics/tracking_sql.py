"""The statements that fill the BI database (sessions, touches, page views, events, journeys,
lead attribution), run in order on one connection.

Every "random" choice is a hash of the row's number (`pg_temp.roll`), so the same sizes
give the same data. The inputs are temporary tables filled from `traffic.py`: bench_kinds,
bench_paths, bench_devices, bench_interactions.
"""

from __future__ import annotations

# roll(key, salt) ∈ [0, 1): an inlined SQL function, deterministic per (key, salt).
ROLL = """
CREATE FUNCTION pg_temp.roll(k bigint, salt int) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT (hashint8(k * 64 + salt)::float8 + 2147483648) / 4294967296 $$
"""

INPUTS = """
CREATE TEMP TABLE bench_kinds (
  kind int PRIMARY KEY, first_lo float8, first_hi float8, return_lo float8, return_hi float8,
  utm_source text, utm_medium text, click_id text, campaign_prefix text, campaigns int,
  referrer text, source text, medium text, channel text, conversion float8,
  has_content bool, has_term bool);
CREATE TEMP TABLE bench_paths (
  idx int PRIMARY KEY, path text, page_id uuid, title text, land_lo float8, land_hi float8,
  lift float8);
CREATE TEMP TABLE bench_devices (
  idx int PRIMARY KEY, lo float8, hi float8, device text, agent text, browser text, os text,
  screen text);
CREATE TEMP TABLE bench_interactions (lo float8, hi float8, event_type text)
"""

# Human visitors: 1 visit, or (a `returning` share) 2-5 visits some days apart; a device.
VISITORS = """
CREATE TEMP TABLE bench_visitors AS
SELECT v,
       substr(md5('bench-visitor-' || v), 1, 16) || lpad(to_hex(v), 8, '0') AS visitor_id,
       CASE WHEN pg_temp.roll(v, 1) < %(returning)s
            THEN 2 + floor(pg_temp.roll(v, 2) * 4)::int ELSE 1 END AS visits,
       1 + floor(pg_temp.roll(v, 3) * 20) AS gap_days,
       d.idx AS device
FROM generate_series(1, %(visitors)s) AS v
JOIN bench_devices d ON pg_temp.roll(v, 4) >= d.lo AND pg_temp.roll(v, 4) < d.hi
"""

# Sessions: the visitors' visits, then the bots (one visit each, direct). A visitor's first
# visit falls anywhere from a spread before the period to its end, more often lately (a
# growing business); each later visit comes 1-1.5 gaps after the previous one. Visits
# outside the period are dropped (the visitor came before the data starts, or comes back
# after it ends), the rest numbered again, and the sessions cut at `humans`.
SESSIONS = """
CREATE TEMP TABLE bench_sessions AS
WITH visits AS (
  SELECT v.v, v.visitor_id, v.device, n,
         %(start)s::timestamptz
           - make_interval(secs => (v.visits - 1) * v.gap_days * 86400)
           + make_interval(secs => (%(span)s + (v.visits - 1) * v.gap_days * 86400 - 7200)
                                   * power(pg_temp.roll(v.v, 5), 0.8))
           + make_interval(secs => CASE WHEN n = 1 THEN 0
                                   ELSE (n - 1 + 0.5 * pg_temp.roll(v.v * 8 + n, 6)) * v.gap_days
                                        * 86400 END) AS started_at
  FROM bench_visitors v, generate_series(1, v.visits) AS n
), kept AS (
  SELECT *, row_number() OVER (PARTITION BY v ORDER BY n) AS visit_no
  FROM visits
  WHERE started_at >= %(start)s::timestamptz
    AND started_at < %(now)s::timestamptz - interval '2 hours'
), humans AS (
  SELECT row_number() OVER (ORDER BY v, visit_no) AS s, v, visitor_id, device, visit_no,
         false AS is_bot, started_at
  FROM kept
), bots AS (
  SELECT %(humans)s + b AS s, NULL::bigint AS v,
         'bot' || substr(md5('bench-bot-' || b), 1, 20) AS visitor_id,
         0 AS device, 1::bigint AS visit_no, true AS is_bot,
         %(start)s::timestamptz + make_interval(secs => (%(span)s - 7200) * pg_temp.roll(b, 7))
           AS started_at
  FROM generate_series(1, %(bots)s) AS b
), everyone AS (
  SELECT * FROM humans WHERE s <= %(humans)s UNION ALL SELECT * FROM bots
)
SELECT e.s, e.v, e.visitor_id, e.device, e.visit_no, e.is_bot, e.started_at,
       substr(md5('bench-session-' || e.s), 1, 16) || lpad(to_hex(e.s), 8, '0') AS session_id,
       gen_random_uuid() AS tracking_id,
       k.kind,
       CASE WHEN k.campaigns > 0 THEN k.campaign_prefix || '_'
            || lpad((1 + floor(power(pg_temp.roll(e.s, 9), 1.5) * k.campaigns))::text, 3, '0')
       END AS campaign,
       CASE WHEN k.has_content THEN 'ad_' || (1 + floor(pg_temp.roll(e.s, 10) * 8)) END
         AS content,
       CASE WHEN k.has_term THEN (%(keywords)s::text[])
            [1 + floor(pg_temp.roll(e.s, 11) * cardinality(%(keywords)s::text[]))] END AS term,
       CASE WHEN k.click_id IS NOT NULL THEN md5('bench-click-' || e.s) END AS click,
       CASE WHEN e.is_bot THEN 1
            ELSE least(30, 1 + floor(-ln(1 - pg_temp.roll(e.s, 12)) * %(views_mean)s))::int
       END AS views,
       CASE WHEN e.is_bot THEN 1 + floor(pg_temp.roll(e.s, 13) * 3)::int
            ELSE 15 + floor(pg_temp.roll(e.s, 13) * 150)::int END AS pace,
       p.idx AS landing
FROM everyone e
JOIN bench_kinds k
  ON CASE WHEN e.is_bot THEN k.kind = %(direct)s
          WHEN e.visit_no = 1 THEN pg_temp.roll(e.s, 8) >= k.first_lo
                                   AND pg_temp.roll(e.s, 8) < k.first_hi
          ELSE pg_temp.roll(e.s, 8) >= k.return_lo AND pg_temp.roll(e.s, 8) < k.return_hi END
JOIN bench_paths p
  ON pg_temp.roll(e.s, 14) >= p.land_lo AND pg_temp.roll(e.s, 14) < p.land_hi
"""

# The converting journeys: `leads` human visitors, drawn with a weight (Efraimidis-Spirakis)
# from the channel and landing page of their last visit and their number of visits; the
# lead is that last visit's form submission. The credited touch is the visitor's first
# (capture's default `first_touch`).
LEADS = """
CREATE TEMP TABLE bench_leads AS
WITH last_visit AS (
  SELECT DISTINCT ON (v) * FROM bench_sessions WHERE NOT is_bot ORDER BY v, visit_no DESC
), drawn AS (
  SELECT l.*
  FROM last_visit l
  JOIN bench_kinds k ON k.kind = l.kind
  JOIN bench_paths p ON p.idx = l.landing
  WHERE l.started_at < %(now)s::timestamptz - interval '3 hours'
  ORDER BY -ln(1 - pg_temp.roll(l.v, 15)) / (k.conversion * p.lift * (1 + 0.3 * (l.visit_no - 1)))
  LIMIT %(leads)s
)
SELECT row_number() OVER (ORDER BY d.started_at, d.s) AS lead_no,
       gen_random_uuid() AS lead_id, gen_random_uuid() AS contact_id,
       d.session_id, d.visitor_id, d.s, d.pace,
       d.started_at + make_interval(secs => floor(d.pace * 0.8) + 1) AS created_at,
       f.started_at AS first_visit_at, f.tracking_id AS utm_tracking_id,
       p.page_id, p.path AS page_path, dev.device,
       k.utm_source AS source, k.utm_medium AS medium, f.campaign, k.channel,
       k.click_id AS click_name, f.click AS click_value
FROM drawn d
JOIN bench_sessions f ON f.v = d.v AND f.visit_no = 1
JOIN bench_kinds k ON k.kind = f.kind
JOIN bench_paths p ON p.idx = d.landing
JOIN bench_devices dev ON dev.idx = d.device;
CREATE INDEX ON bench_leads (session_id);
ANALYZE bench_leads
"""

# What the collector stores for each session, with the landing URL it arrived on.
SESSION_FACTS = """
CREATE TEMP TABLE bench_facts AS
SELECT s.*, k.channel, k.source, k.medium, k.utm_source, k.utm_medium, k.referrer,
       k.click_id, k.has_term, d.device AS device_class, d.agent, d.browser, d.os, d.screen,
       p.page_id AS first_page_id, p.path AS landing_path,
       s.started_at + make_interval(secs => s.views * s.pace) AS ended_at,
       (l.session_id IS NOT NULL) AS lead,
       -- the text campaign_key() hashes: the UTMs, then the click id, in the collector's order
       nullif(concat_ws('&', 'utm_source=' || k.utm_source, 'utm_medium=' || k.utm_medium,
                        'utm_campaign=' || s.campaign, 'utm_term=' || s.term,
                        'utm_content=' || s.content, k.click_id || '=' || s.click), '') AS touch,
       concat_ws('&', 'utm_source=' || k.utm_source, 'utm_medium=' || k.utm_medium,
                 'utm_campaign=' || s.campaign, 'utm_term=' || replace(s.term, ' ', '+'),
                 'utm_content=' || s.content,
                 CASE WHEN k.has_term THEN 'matchtype=e' END,
                 k.click_id || '=' || s.click) AS query
FROM bench_sessions s
JOIN bench_kinds k ON k.kind = s.kind
JOIN bench_devices d ON d.idx = s.device
JOIN bench_paths p ON p.idx = s.landing
LEFT JOIN bench_leads l ON l.session_id = s.session_id
"""

INSERT_SESSIONS = """
INSERT INTO sessions (session_id, organization_id, domain_id, first_page_id, visitor_id,
                      client_session_id, started_at, last_activity_at, total_page_views,
                      total_events, converted, return_visits, is_bot, channel, campaign_key,
                      metadata)
SELECT session_id, %(org)s, %(domain)s, first_page_id, visitor_id, session_id, started_at,
       ended_at, views,
       CASE WHEN is_bot THEN 0 WHEN lead THEN views + 2 ELSE views END,
       lead, visit_no - 1, is_bot, channel,
       left(encode(sha256(convert_to(touch, 'UTF8')), 'hex'), 32),
       jsonb_build_object('source', source, 'medium', medium, 'browser', browser, 'os', os,
                          'screen', screen, 'language', 'pt-BR', 'stored_touch', '{}'::jsonb)
FROM bench_facts
"""

INSERT_TOUCHES = """
INSERT INTO bench_stage_utm_tracking (
  tracking_id, created_at, organization_id, session_id, visitor_id, domain_id, page_id,
  utm_source, utm_medium, utm_campaign, utm_term, utm_content, gclid, fbclid, fbc, fbp,
  ttclid, msclkid, channel, device, match_type, attribution_model, referrer, page_url,
  url_params, user_agent, client_ip)
SELECT tracking_id, started_at, %(org)s, session_id, visitor_id, %(domain)s, first_page_id,
       utm_source, utm_medium, campaign, term, content,
       CASE WHEN click_id = 'gclid' THEN click END,
       CASE WHEN click_id = 'fbclid' THEN click END,
       CASE WHEN click_id = 'fbclid'
            THEN 'fb.1.' || floor(extract(epoch FROM started_at) * 1000) || '.' || click END,
       CASE WHEN click_id = 'fbclid'
            THEN 'fb.1.' || floor(extract(epoch FROM started_at) * 1000) || '.'
                 || (1000000000 + s) END,
       CASE WHEN click_id = 'ttclid' THEN click END,
       CASE WHEN click_id = 'msclkid' THEN click END,
       channel, device_class, CASE WHEN has_term THEN 'exact' END, 'last_click', referrer,
       %(origin)s || landing_path || CASE WHEN query <> '' THEN '?' || query ELSE '' END,
       CASE WHEN has_term THEN '{"matchtype": "e"}'::jsonb ELSE '{}'::jsonb END,
       agent, ('203.0.113.' || (1 + mod(s, 254)))::inet
FROM bench_facts
"""

# Page n of a visit: the landing page first, then pages picked by a hash of (session, n).
_PAGE_OF = "1 + floor(pg_temp.roll(f.s * 32 + {n}, 16) * %(paths)s)::int"

INSERT_VIEWS = f"""
INSERT INTO bench_stage_page_views (view_id, created_at, organization_id, session_id, page_id,
                        client_view_id, page_url, page_path, page_title, referrer, view_order,
                        time_on_page, exit_page)
SELECT gen_random_uuid(), f.started_at + make_interval(secs => (n - 1) * f.pace), %(org)s,
       f.session_id, p.page_id, 'pv' || n, url.page_url, rastro_page_path(url.page_url),
       p.title,
       CASE WHEN n = 1 THEN f.referrer ELSE %(origin)s || q.path END,
       n, f.pace, n = f.views
FROM bench_facts f
CROSS JOIN LATERAL generate_series(1, f.views) AS n
JOIN bench_paths p ON p.idx = CASE WHEN n = 1 THEN f.landing ELSE {_PAGE_OF.format(n="n")} END
CROSS JOIN LATERAL (
  SELECT %(origin)s || p.path
           || CASE WHEN n = 1 AND f.query <> '' THEN '?' || f.query ELSE '' END AS page_url
) url
LEFT JOIN bench_paths q
  ON n > 1 AND q.idx = CASE WHEN n = 2 THEN f.landing ELSE {_PAGE_OF.format(n="n - 1")} END
"""

# One interaction on every page a person saw, and the lead's form start and submit on its
# landing page.
INSERT_EVENTS = f"""
INSERT INTO bench_stage_events (
  event_id, created_at, organization_id, session_id, page_id, event_type, event_category,
  event_action, event_label, event_value, element_id, event_data)
SELECT gen_random_uuid(),
       f.started_at + make_interval(secs => (n - 1) * f.pace
                                    + floor(f.pace * (0.1 + 0.8 * pg_temp.roll(f.s * 32 + n, 17)))),
       %(org)s, f.session_id, p.page_id, i.event_type,
       CASE i.event_type WHEN 'click' THEN 'cta' WHEN 'video_play' THEN 'video'
                         WHEN 'download' THEN 'file' WHEN 'custom' THEN 'engagement'
                         WHEN 'scroll' THEN 'page' ELSE 'form' END,
       i.event_type,
       CASE i.event_type WHEN 'click' THEN 'Quero meu kit' WHEN 'download' THEN 'catalogo.pdf'
                         WHEN 'video_play' THEN 'Depoimentos' END,
       CASE WHEN i.event_type = 'scroll'
            THEN 25 * (1 + floor(pg_temp.roll(f.s * 32 + n, 19) * 4)) END,
       CASE WHEN i.event_type = 'click' THEN 'cta-principal' END,
       '{{}}'::jsonb
FROM bench_facts f
CROSS JOIN LATERAL generate_series(1, f.views) AS n
JOIN bench_paths p ON p.idx = CASE WHEN n = 1 THEN f.landing ELSE {_PAGE_OF.format(n="n")} END
JOIN bench_interactions i
  ON pg_temp.roll(f.s * 32 + n, 18) >= i.lo AND pg_temp.roll(f.s * 32 + n, 18) < i.hi
WHERE NOT f.is_bot
UNION ALL
SELECT gen_random_uuid(), l.created_at - make_interval(secs => step), %(org)s, l.session_id,
       l.page_id, kind, 'form', kind, 'lead-form', NULL, 'form-lead', '{{}}'::jsonb
FROM bench_leads l
CROSS JOIN LATERAL (VALUES ('form_start', floor(l.pace * 0.5)), ('form_submit', 1))
  AS form(kind, step)
"""

INSERT_JOURNEYS = """
INSERT INTO visitor_journeys (journey_id, organization_id, visitor_id, domain_id, first_visit_at,
                              last_visit_at, total_sessions, total_page_views, converted,
                              conversion_session_id)
SELECT gen_random_uuid(), %(org)s, visitor_id, %(domain)s, min(started_at), max(ended_at),
       count(*), sum(views), bool_or(lead), min(CASE WHEN lead THEN session_id END)
FROM bench_facts WHERE NOT is_bot
GROUP BY visitor_id
"""

# As `tracking.service.attribution.record_converted_leads` writes it: the credited (first)
# touch, and every touch of the visitor up to the conversion (`conversions.touch_dict`).
INSERT_ATTRIBUTION = """
INSERT INTO lead_attribution (id, organization_id, lead_id, campaign_id, source, medium,
                              utm_campaign, utm_content, utm_term, channel, session_id,
                              visitor_id, utm_tracking_id, touchpoints, first_touch,
                              last_touch, conversion_date, created_at)
SELECT gen_random_uuid(), %(org)s, l.lead_id, coalesce(j.utm_id, j.utm_campaign, '(none)'),
       j.utm_source, j.utm_medium, j.utm_campaign, j.utm_content, j.utm_term, j.channel,
       l.session_id, l.visitor_id, l.utm_tracking_id, j.touchpoints, j.first_touch,
       j.last_touch, l.created_at, l.created_at + interval '2 seconds'
FROM bench_leads l
JOIN (
  SELECT l.lead_id,
         jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                     'utm_source', u.utm_source, 'utm_medium', u.utm_medium,
                     'utm_campaign', u.utm_campaign, 'utm_id', u.utm_id,
                     'utm_term', u.utm_term, 'utm_content', u.utm_content, 'gclid', u.gclid,
                     'gbraid', u.gbraid, 'wbraid', u.wbraid, 'fbclid', u.fbclid,
                     'fbc', u.fbc, 'fbp', u.fbp, 'ttclid', u.ttclid,
                     'li_fat_id', u.li_fat_id, 'msclkid', u.msclkid, 'src', u.src,
                     'sck', u.sck, 'xcod', u.xcod))
                   || jsonb_build_object(
                     'tracking_id', u.tracking_id, 'session_id', u.session_id,
                     'at', to_char(u.created_at AT TIME ZONE 'UTC',
                                   'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'),
                     'channel', u.channel, 'device', u.device, 'page_url', u.page_url,
                     'referrer', u.referrer)
                   ORDER BY u.created_at) AS touchpoints,
         min(u.created_at) AS first_touch, max(u.created_at) AS last_touch,
         -- the credited touch's columns (one row of the group is it)
         max(u.utm_id) FILTER (WHERE u.tracking_id = l.utm_tracking_id) AS utm_id,
         max(u.utm_source) FILTER (WHERE u.tracking_id = l.utm_tracking_id) AS utm_source,
         max(u.utm_medium) FILTER (WHERE u.tracking_id = l.utm_tracking_id) AS utm_medium,
         max(u.utm_campaign) FILTER (WHERE u.tracking_id = l.utm_tracking_id) AS utm_campaign,
         max(u.utm_content) FILTER (WHERE u.tracking_id = l.utm_tracking_id) AS utm_content,
         max(u.utm_term) FILTER (WHERE u.tracking_id = l.utm_tracking_id) AS utm_term,
         max(u.channel) FILTER (WHERE u.tracking_id = l.utm_tracking_id) AS channel
  FROM bench_leads l
  JOIN utm_tracking u ON u.visitor_id = l.visitor_id AND u.created_at <= l.created_at
  GROUP BY l.lead_id
) j ON j.lead_id = l.lead_id
"""

# The columns of bench_leads copied to the CRM database (name, type), in order.
LEAD_COLUMNS = (
    ("lead_no", "bigint"),
    ("lead_id", "uuid"),
    ("contact_id", "uuid"),
    ("session_id", "text"),
    ("visitor_id", "text"),
    ("utm_tracking_id", "uuid"),
    ("page_id", "uuid"),
    ("page_path", "text"),
    ("created_at", "timestamptz"),
    ("first_visit_at", "timestamptz"),
    ("source", "text"),
    ("medium", "text"),
    ("campaign", "text"),
    ("channel", "text"),
    ("click_name", "text"),
    ("click_value", "text"),
)

# After the sessions, the event tables are loaded through their staging parents
# (`staging.py`), attached before the journeys and attribution read them.
EVENT_STEPS = (
    ("utm_tracking", INSERT_TOUCHES),
    ("page_views", INSERT_VIEWS),
    ("events", INSERT_EVENTS),
)
STEPS = (
    ("visitor_journeys", INSERT_JOURNEYS),
    ("lead_attribution", INSERT_ATTRIBUTION),
)
