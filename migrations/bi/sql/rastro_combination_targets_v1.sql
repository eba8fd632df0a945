-- combination_targets (issue 18): the campaign, ad set and ad each combination of a lead's
-- credited touch reaches, stored by the refresh so that the Ads report joins facts to it
-- instead of resolving every combination per request. It must never answer what the join's
-- rules would no longer answer, so every statement that changes what the rules read
-- deletes the rows it could alter, in the same transaction:
--   ad_campaigns, ad_sets, ads, ad_name_history, spend_mappings: the organization's rows;
--   ad_clicks: the rows of the click ids that changed (only they are reached by a click).
-- A statement that changes no column the rules compare (TG_ARGV[0]; an import upserting
-- the names it had, with a new updated_at) deletes nothing: its transition tables' compared
-- columns are equal. Reports resolve what has no row themselves; the next refresh
-- stores it again.
--
-- The writer takes a shared advisory lock per organization (held to its commit) before
-- deleting, and the refresh stores rows only when it gets the exclusive one at once
-- (pg_try_advisory_xact_lock, then a new statement, so a new snapshot under READ
-- COMMITTED): a store therefore either saw every change already committed or finished
-- before a writer's delete, whose next statement sees the stored rows and deletes them.
CREATE OR REPLACE FUNCTION rastro_combination_targets_stale() RETURNS trigger
LANGUAGE plpgsql AS $function$
DECLARE
  compared text := TG_ARGV[0];
  changed text;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM combination_targets;
    RETURN NULL;
  END IF;
  changed := CASE TG_OP
    WHEN 'INSERT' THEN 'SELECT ' || compared || ' FROM new_rows'
    WHEN 'DELETE' THEN 'SELECT ' || compared || ' FROM old_rows'
    ELSE '(SELECT ' || compared || ' FROM old_rows EXCEPT SELECT ' || compared
      || ' FROM new_rows) UNION ALL (SELECT ' || compared || ' FROM new_rows EXCEPT SELECT '
      || compared || ' FROM old_rows)'
  END;
  EXECUTE 'SELECT pg_advisory_xact_lock_shared(180040, hashtext(organization_id::text)) '
    'FROM (SELECT DISTINCT organization_id FROM (' || changed || ') AS c) AS o';
  IF TG_TABLE_NAME = 'ad_clicks' THEN
    EXECUTE 'DELETE FROM combination_targets t USING (' || changed || ') AS c '
      'WHERE t.organization_id = c.organization_id AND t.click_id = c.click_id';
  ELSE
    EXECUTE 'DELETE FROM combination_targets WHERE organization_id IN '
      '(SELECT organization_id FROM (' || changed || ') AS c)';
  END IF;
  RETURN NULL;
END
$function$;
