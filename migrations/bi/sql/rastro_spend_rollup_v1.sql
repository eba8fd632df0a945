-- The monthly spend rollup (campaign_metrics_monthly) kept in step with campaign_metrics
-- (issue 18): statement-level triggers add the rows a statement wrote and take out the rows
-- it replaced or deleted, per ad (with its campaign and ad set), calendar month and
-- currency. Their transition tables hold the rows exactly as they were and as they are
-- (an upsert's conflicting rows come to the UPDATE trigger, whatever another transaction
-- wrote first), so no row is looked up again and concurrent writers need no lock. Sums are
-- numeric: exact. A month key left without daily rows (its days moved to another campaign,
-- ad set or currency) is deleted.
CREATE OR REPLACE FUNCTION rastro_spend_rollup() RETURNS trigger
LANGUAGE plpgsql AS $function$
DECLARE
  source text := CASE TG_OP
    WHEN 'INSERT' THEN 'SELECT 1 AS sign, * FROM new_rows'
    WHEN 'UPDATE' THEN 'SELECT 1 AS sign, * FROM new_rows UNION ALL SELECT -1, * FROM old_rows'
    ELSE 'SELECT -1 AS sign, * FROM old_rows'
  END;
BEGIN
  EXECUTE
    'INSERT INTO campaign_metrics_monthly AS t (organization_id, month, platform, account_id, '
    'ad_id, currency, campaign_id, ad_set_key, ad_set_id, day_count, spend, conversion_value, '
    'impressions, clicks, hooked_impressions, video_3s_views, video_3s_days, conversions) '
    'SELECT organization_id, date_trunc(''month'', day::timestamp)::date, platform, '
    'account_id, ad_id, currency, campaign_id, '
    'CASE WHEN ad_set_id IS NULL THEN '''' ELSE ''='' || ad_set_id END, ad_set_id, '
    'sum(sign), sum(sign * spend), sum(sign * conversion_value), sum(sign * impressions), '
    'sum(sign * clicks), '
    'coalesce(sum(sign * impressions) FILTER (WHERE video_3s_views IS NOT NULL), 0), '
    'coalesce(sum(sign * video_3s_views), 0), '
    'coalesce(sum(sign) FILTER (WHERE video_3s_views IS NOT NULL), 0), '
    'sum(sign * conversions) '
    'FROM (' || source || ') AS delta '
    'GROUP BY organization_id, date_trunc(''month'', day::timestamp)::date, platform, '
    'account_id, ad_id, currency, campaign_id, ad_set_id '
    'ON CONFLICT (organization_id, month, platform, account_id, ad_id, currency, campaign_id, '
    'ad_set_key) DO UPDATE SET day_count = t.day_count + EXCLUDED.day_count, '
    'spend = t.spend + EXCLUDED.spend, '
    'conversion_value = t.conversion_value + EXCLUDED.conversion_value, '
    'impressions = t.impressions + EXCLUDED.impressions, clicks = t.clicks + EXCLUDED.clicks, '
    'hooked_impressions = t.hooked_impressions + EXCLUDED.hooked_impressions, '
    'video_3s_views = t.video_3s_views + EXCLUDED.video_3s_views, '
    'video_3s_days = t.video_3s_days + EXCLUDED.video_3s_days, '
    'conversions = t.conversions + EXCLUDED.conversions';
  IF TG_OP <> 'INSERT' THEN
    EXECUTE
      'DELETE FROM campaign_metrics_monthly t USING (SELECT DISTINCT organization_id, '
      'date_trunc(''month'', day::timestamp)::date AS month, platform, account_id, ad_id, '
      'currency, campaign_id, CASE WHEN ad_set_id IS NULL THEN '''' ELSE ''='' || ad_set_id '
      'END AS ad_set_key FROM old_rows) AS o '
      'WHERE t.day_count = 0 AND t.organization_id = o.organization_id AND t.month = o.month '
      'AND t.platform = o.platform AND t.account_id = o.account_id AND t.ad_id = o.ad_id '
      'AND t.currency = o.currency AND t.campaign_id = o.campaign_id '
      'AND t.ad_set_key = o.ad_set_key';
  END IF;
  RETURN NULL;
END
$function$;

CREATE TRIGGER spend_rollup_insert AFTER INSERT ON campaign_metrics
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rastro_spend_rollup();
CREATE TRIGGER spend_rollup_update AFTER UPDATE ON campaign_metrics
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION rastro_spend_rollup();
CREATE TRIGGER spend_rollup_delete AFTER DELETE ON campaign_metrics
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rastro_spend_rollup();
