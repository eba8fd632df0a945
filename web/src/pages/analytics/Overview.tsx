import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Radio } from "lucide-react";
import { Link } from "react-router";
import { api, unwrap } from "@/api/client";
import { usePermissions } from "@/auth/session";
import { buttonVariants } from "@/components/ui/button";
import { Card, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { ErrorState, LoadingState } from "@/components/ui/states";
import { useI18n } from "@/i18n";
import { formatDate } from "@/lib/format";
import { activeFilterCount, useReportFilters, type ReportQuery } from "./filters";
import { OverviewChart } from "./OverviewChart";
import { KpiGrid, overviewKpis } from "./OverviewKpis";
import { OverviewFunnels } from "./OverviewFunnels";
import { OverviewTables } from "./OverviewTables";
import { ReportFilterBar } from "./ReportFilterBar";
import { showCount } from "./numbers";
import type { Overview as OverviewData } from "./types";
import { useLiveRefresh } from "./useLiveRefresh";

const WIDEST: ReportQuery = { preset: "last_12_months" };

function fetchOverview(query: ReportQuery): Promise<OverviewData> {
  return unwrap(api.GET("/api/analytics/overview", { params: { query } }));
}

/** Nothing at all in this answer: no visit, lead or sale, and nobody on the sites now. */
export function isBlank(data: OverviewData): boolean {
  const { totals } = data;
  return totals.sessions === 0 && totals.leads === 0 && totals.won === 0 && data.live_visitors === 0;
}

/** What to do when the organization has no data yet: install the snippet (the domains page). */
export function NoDataYet() {
  const { t } = useI18n();
  const can = usePermissions();
  return (
    <Card data-testid="overview-empty" className="border-dashed">
      <CardHeader className="items-start gap-3">
        <CardTitle>{t("analytics.empty.title")}</CardTitle>
        <CardDescription className="max-w-prose">{t("analytics.empty.body")}</CardDescription>
        {can("tracking:write") ? (
          <Link to="/tracking/domains" className={buttonVariants()}>
            {t("analytics.empty.domains")}
          </Link>
        ) : (
          <p className="text-sm text-muted-foreground">{t("analytics.empty.ask")}</p>
        )}
      </CardHeader>
    </Card>
  );
}

function LiveVisitors({ count }: { count: number }) {
  const { t, locale } = useI18n();
  return (
    <div className="flex items-center gap-2 rounded-full border px-3 py-1 text-sm" title={t("analytics.overview.liveHint")} data-testid="live-visitors">
      <Radio className="h-4 w-4 text-emerald-600" aria-hidden />
      <span className="text-muted-foreground">{t("analytics.overview.liveNow")}</span>
      <span className="font-semibold tabular-nums" aria-live="polite" data-testid="live-visitors-count">
        {showCount(count, locale)}
      </span>
    </div>
  );
}

/**
 * The first page after sign-in: the period's key figures (with their change against the
 * compared period), the daily chart, the tables by channel and campaign, and visitors now —
 * refreshed over the live connection.
 */
export default function Overview() {
  const { t, locale } = useI18n();
  const { filters, query } = useReportFilters();
  const queryKey = ["analytics", "overview", query] as const;
  const overview = useQuery({ queryKey, queryFn: () => fetchOverview(query), placeholderData: keepPreviousData });
  useLiveRefresh(queryKey);
  const data = overview.data;
  // An empty answer may be this period's or these filters' only: ask the widest unfiltered question before saying "no data yet".
  const blank = data !== undefined && isBlank(data);
  const narrowed = activeFilterCount(filters) > 0 || query.preset !== WIDEST.preset;
  const widest = useQuery({ queryKey: ["analytics", "overview", WIDEST], queryFn: () => fetchOverview(WIDEST), enabled: blank && narrowed });
  const noDataAtAll = blank && (narrowed ? widest.data !== undefined && isBlank(widest.data) : true);

  if (overview.isPending) return <LoadingState />;
  if (noDataAtAll) return <NoDataYet />;
  if (overview.isError) {
    // A refused filter (a reversed or too long range) is fixed in the bar, so it stays.
    return (
      <div className="grid grid-cols-1 gap-4">
        <ReportFilterBar />
        <ErrorState error={overview.error} onRetry={() => void overview.refetch()} />
      </div>
    );
  }

  const od = overview.data;
  const day = (iso: string) => formatDate(`${iso}T12:00:00Z`, locale, "UTC");
  const range = od.range;
  return (
    <div className="grid grid-cols-1 gap-4" aria-busy={overview.isFetching}>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p className="text-sm text-muted-foreground" data-testid="overview-period">
          {t("analytics.overview.period", { from: day(range.current.date_from), to: day(range.current.date_to) })}
          {range.previous ? ` · ${t("analytics.overview.comparedWith", { from: day(range.previous.date_from), to: day(range.previous.date_to) })}` : null}
        </p>
        <LiveVisitors count={od.live_visitors} />
      </div>
      <ReportFilterBar />
      <KpiGrid kpis={overviewKpis(od, t, locale)} />
      {od.other_currencies.length > 0 ? (
        <p className="text-xs text-muted-foreground">{t("analytics.overview.otherCurrencies", { currencies: od.other_currencies.join(", "), currency: range.currency })}</p>
      ) : null}
      <OverviewChart series={od.series} previous={od.previous_series} currency={range.currency} />
      <OverviewTables byChannel={od.by_channel} byCampaign={od.by_campaign} model={od.attribution_model ?? "last_touch"} currency={range.currency} fileSuffix={`${range.current.date_from}_${range.current.date_to}`} />
      <OverviewFunnels dateFrom={range.current.date_from} dateTo={range.current.date_to} />
    </div>
  );
}
