import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { api, unwrap } from "@/api/client";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Label } from "@/components/ui/label";
import { NativeSelect } from "@/components/ui/native-select";
import { QueryStates } from "@/components/ui/query-states";
import { SortableTable, type SortableColumn } from "@/components/ui/sortable-table";
import { useI18n, type Locale, type MessageKey, type TFunction } from "@/i18n";
import { formatMoney, formatNumber } from "@/lib/format";
import { useReportFilters } from "./filters";
import { costNote, figureColumns, type CampaignGrouping, type CampaignReport, type CampaignRow } from "./reportFigures";
import { ReportFilterBar } from "./ReportFilterBar";

export const GROUPINGS: CampaignGrouping[] = ["campaign", "source", "medium", "source_medium", "content", "term"];
const CHART_ROWS = 10;

const DIMENSION_LABELS: Record<string, MessageKey> = {
  campaign: "analytics.filters.campaign",
  source: "analytics.filters.source",
  medium: "analytics.filters.medium",
  content: "analytics.filters.content",
  term: "analytics.filters.term",
};

type Dimension = "campaign" | "source" | "medium" | "content" | "term";

/** A row's name: its grouped values joined ("google / cpc"), "(not set)" for an empty one. */
export function rowLabel(t: TFunction, row: CampaignRow, dimensions: string[]): string {
  return dimensions.map((d) => row[d as Dimension] ?? t("analytics.channel.unknown")).join(" / ");
}

/** The columns shown for a grouping (and the compared period's when comparing). */
export function campaignColumns(t: TFunction, locale: Locale, report: CampaignReport): SortableColumn<CampaignRow>[] {
  const { count, money, percent, decimal, duration, otherMoney } = figureColumns(t, locale, report.range.currency);
  const keys: SortableColumn<CampaignRow>[] = report.dimensions.map((d) => ({
    id: d,
    header: t(DIMENSION_LABELS[d] ?? "analytics.filters.campaign"),
    value: (row) => row[d as Dimension] ?? null,
    render: (row) => row[d as Dimension] ?? <span className="text-muted-foreground">{t("analytics.channel.unknown")}</span>,
  }));
  const columns: SortableColumn<CampaignRow>[] = [
    ...keys,
    count("sessions", "analytics.figure.sessions", (r) => r.current.sessions),
    count("leads", "analytics.figure.leads", (r) => r.current.leads),
    count("qualified", "analytics.figure.qualified", (r) => r.current.qualified),
    count("won", "analytics.figure.won", (r) => r.current.won),
    money("revenue", "analytics.figure.revenue", (r) => r.current.revenue),
    percent("conversion_rate", "analytics.figure.conversionRate", (r) => r.current.conversion_rate),
    percent("win_rate", "analytics.figure.winRate", (r) => r.current.win_rate),
    decimal("average_score", "analytics.col.averageScore", (r) => r.current.average_score),
    duration("time_to_conversion", "analytics.col.timeToConversion", (r) => r.current.average_time_to_conversion),
    duration("sales_cycle", "analytics.col.salesCycle", (r) => r.current.average_sales_cycle),
    money("cost", "analytics.col.cost", (r) => r.current.cost),
    money("cpl", "analytics.col.cpl", (r) => r.current.cpl),
    money("cpa", "analytics.col.cpa", (r) => r.current.cpa),
    decimal("roas", "analytics.col.roas", (r) => r.current.roas),
    percent("roi", "analytics.col.roi", (r) => r.current.roi),
    money("net_revenue", "profit.netRevenue", (r) => r.current.profit?.net_revenue),
    money("profit", "profit.kpi", (r) => r.current.profit?.profit),
  ];
  if (report.other_currencies.length > 0) columns.push(otherMoney("other_revenue", (r) => r.current.other_revenue));
  if (report.range.previous) {
    const before = (key: MessageKey) => t("analytics.col.previous", { column: t(key) });
    columns.push(
      count("previous_sessions", "analytics.figure.sessions", (r) => r.previous?.sessions, before("analytics.figure.sessions")),
      count("previous_leads", "analytics.figure.leads", (r) => r.previous?.leads, before("analytics.figure.leads")),
      count("previous_won", "analytics.figure.won", (r) => r.previous?.won, before("analytics.figure.won")),
      money("previous_revenue", "analytics.figure.revenue", (r) => r.previous?.revenue, before("analytics.figure.revenue")),
    );
  }
  return columns;
}

/** Campaign performance: per campaign / source / medium / content / term, with offline conversions. */
export default function Campaigns() {
  const { t, locale } = useI18n();
  const { query } = useReportFilters();
  const [groupBy, setGroupBy] = useState<CampaignGrouping>("campaign");
  const report = useQuery({
    queryKey: ["analytics", "campaigns", query, groupBy],
    queryFn: () => unwrap(api.GET("/api/analytics/campaigns", { params: { query: { ...query, group_by: groupBy } } })),
    placeholderData: keepPreviousData,
  });
  return (
    <div className="grid gap-4">
      <ReportFilterBar />
      <div className="grid max-w-xs gap-1.5">
        <Label htmlFor="campaign-group-by">{t("analytics.campaigns.groupBy")}</Label>
        <NativeSelect id="campaign-group-by" value={groupBy} onChange={(e) => setGroupBy(e.target.value as CampaignGrouping)} data-testid="group-by">
          {GROUPINGS.map((g) => (
            <option key={g} value={g}>
              {t(`analytics.campaigns.by.${g}` as MessageKey)}
            </option>
          ))}
        </NativeSelect>
      </div>
      <QueryStates query={report}>{(data) => <CampaignContent report={data} locale={locale} />}</QueryStates>
    </div>
  );
}

function CampaignContent({ report, locale }: { report: CampaignReport; locale: Locale }) {
  const { t } = useI18n();
  const columns = useMemo(() => campaignColumns(t, locale, report), [t, locale, report]);
  const currency = report.range.currency;
  const chart = report.rows.slice(0, CHART_ROWS).map((row) => ({
    name: rowLabel(t, row, report.dimensions),
    revenue: Number(row.current.revenue),
    leads: row.current.leads,
  }));
  const note = costNote(t, report.cost_note);
  const totals = report.totals;
  return (
    <>
      <Card>
        <CardHeader>
          <CardTitle>{t("analytics.campaigns.title")}</CardTitle>
          <CardDescription data-testid="campaign-totals">
            {t("analytics.campaigns.totals", {
              sessions: formatNumber(totals.sessions, locale),
              leads: formatNumber(totals.leads, locale),
              won: formatNumber(totals.won, locale),
              revenue: formatMoney(Number(totals.revenue), locale, currency),
            })}
          </CardDescription>
        </CardHeader>
        <CardContent>
          {chart.length === 0 ? (
            <p className="text-sm text-muted-foreground">{t("analytics.empty")}</p>
          ) : (
            <div className="h-72" role="img" aria-label={t("analytics.campaigns.chart")}>
              <ResponsiveContainer width="100%" height="100%">
                <BarChart data={chart} margin={{ left: 8, right: 8 }}>
                  <CartesianGrid strokeDasharray="3 3" vertical={false} />
                  <XAxis dataKey="name" tick={{ fontSize: 12 }} interval={0} />
                  <YAxis yAxisId="revenue" tickFormatter={(v: number) => formatNumber(v, locale, { notation: "compact" })} />
                  <YAxis yAxisId="leads" orientation="right" allowDecimals={false} />
                  <Tooltip formatter={(value, name) => (name === t("analytics.figure.revenue") ? formatMoney(Number(value), locale, currency) : formatNumber(Number(value), locale))} />
                  <Legend />
                  <Bar yAxisId="revenue" dataKey="revenue" name={t("analytics.figure.revenue")} fill="hsl(var(--primary))" />
                  <Bar yAxisId="leads" dataKey="leads" name={t("analytics.figure.leads")} fill="hsl(var(--muted-foreground))" />
                </BarChart>
              </ResponsiveContainer>
            </div>
          )}
        </CardContent>
      </Card>
      {note ? <p className="text-sm text-muted-foreground" data-testid="cost-note">{note}</p> : null}
      {report.other_currencies.length > 0 ? (
        <p className="text-sm text-muted-foreground">{t("analytics.otherCurrencies", { currencies: report.other_currencies.join(", ") })}</p>
      ) : null}
      <SortableTable
        columns={columns}
        rows={report.rows}
        rowKey={(row) => report.dimensions.map((d) => row[d as Dimension] ?? "∅").join("|")}
        csvFilename={`campaigns-${report.group_by}-${report.range.current.date_from}-${report.range.current.date_to}`}
        caption={t(`analytics.campaigns.by.${report.group_by}` as MessageKey)}
        testId="campaign-table"
      />
    </>
  );
}
