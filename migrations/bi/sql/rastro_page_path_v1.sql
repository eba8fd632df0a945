-- rastro_page_path(url text) → text
--
-- The path of a page URL: without scheme and host, query and fragment; '/' when nothing is
-- left. The one definition of a page view's path: `rastro_collect` (v4) stores it in
-- `page_views.page_path` when it writes the view, the migration that added the column
-- computed it for the views stored before, and readers compute it for a view whose column
-- is NULL (a row written by other means). IMMUTABLE, so PostgreSQL inlines it.
CREATE OR REPLACE FUNCTION rastro_page_path(url text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(
    nullif(regexp_replace(url, '^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*|[?#].*$', '', 'g'), ''),
    '/')
$$;
