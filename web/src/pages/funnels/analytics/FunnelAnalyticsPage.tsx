import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { ArrowLeft } from "lucide-react";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { Bar, BarChart, CartesianGrid, LabelList, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { api, unwrap } from "@/api/client";
import type { paths } from "@/api/schema";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { NativeSelect } from "@/components/ui/native-select";
import { SortableTable, type SortableColumn } from "@/components/ui/sortable-table";
import { EmptyState, ErrorState, LoadingState } from "@/components/ui/states";
import { useI18n, type Locale, type TFunction } from "@/i18n";
import { KpiGrid, type Kpi } from "@/pages/analytics/OverviewKpis";
import { PRESETS, useReportFilters, type Preset } from "@/pages/analytics/filters";
import { DASH, percentValue, showCount, showMoney, showPercent } from "@/pages/analytics/numbers";
import type { StepType } from "../types";

type Json<T> = T extends { content: { "application/json": infer J } } ? J : never;
export type FunnelReport = Json<paths["/api/analytics/funnels/{funnel_id}"]["get"]["responses"][200]>;
type Query = NonNullable<paths["/api/analytics/funnels/{funnel_id}"]["get"]["parameters"]["query"]>;
export type Dimension = NonNullable<Query["dimension"]>;
type StepRow = FunnelReport["steps"][number];
type OfferRow = FunnelReport["offers"][number];
type BreakdownRow = FunnelReport["breakdown"][number];

const CUSTOM = "custom";
const DIMENSIONS: Dimension[] = ["source", "campaign"];

const count = <T,>(id: string, header: string, get: (r: T) => number, locale: Locale): SortableColumn<T> => ({
  id,
  header,
  numeric: true,
  value: get,
  render: (r) => showCount(get(r), locale),
});
const rate = <T,>(id: string, header: string, get: (r: T) => number | null | undefined, locale: Locale): SortableColumn<T> => ({
  id,
  header,
  numeric: true,
  value: (r) => percentValue(get(r)),
  render: (r) => showPercent(get(r), locale),
});
const money = <T,>(id: string, header: string, get: (r: T) => string, locale: Locale, currency: string): SortableColumn<T> => ({
  id,
  header,
  numeric: true,
  value: (r) => Number(get(r)),
  render: (r) => showMoney(get(r), locale, currency),
});

/** The KPIs of the checkout: PIX generated, paid, rates, revenue, average order and the order bump. */
export function reportKpis(report: FunnelReport, locale: Locale): Kpi[] {
  const c = report.checkout;
  return [
    { id: "visitors", label: "funnelAnalytics.kpi.visitors", value: showCount(report.visitors, locale) },
    { id: "checkout_rate", label: "funnelAnalytics.kpi.checkoutRate", value: showPercent(c.checkout_rate, locale) },
    { id: "pix", label: "funnelAnalytics.kpi.pix", value: showCount(c.pix_generated, locale) },
    { id: "paid", label: "funnelAnalytics.kpi.paid", value: showCount(c.paid, locale) },
    { id: "paid_rate", label: "funnelAnalytics.kpi.paidRate", value: showPercent(c.paid_rate, locale) },
    { id: "revenue", label: "funnelAnalytics.kpi.revenue", value: showMoney(c.revenue, locale, report.currency) },
    { id: "average_order", label: "funnelAnalytics.kpi.averageOrder", value: c.average_order === null ? DASH : showMoney(c.average_order, locale, report.currency) },
    { id: "reversed", label: "funnelAnalytics.kpi.reversed", value: showCount(c.reversed, locale) },
    // The order bump's figures only when the checkout offered one to a paid order.
    ...(c.bump_offered > 0
      ? ([
          { id: "bump_rate", label: "funnelAnalytics.kpi.bumpRate", value: showPercent(c.bump_take_rate, locale) },
          { id: "bump_revenue", label: "funnelAnalytics.kpi.bumpRevenue", value: showMoney(c.bump_revenue, locale, report.currency) },
        ] satisfies Kpi[])
      : []),
  ];
}

function stepColumns(t: TFunction, locale: Locale): SortableColumn<StepRow>[] {
  return [
    { id: "order", header: "#", numeric: true, value: (s) => s.order_index + 1 },
    { id: "step", header: t("funnelAnalytics.col.step"), value: (s) => s.name },
    { id: "type", header: t("funnelAnalytics.col.type"), value: (s) => t(`funnels.stepType.${s.step_type as StepType}`) },
    count("visitors", t("funnelAnalytics.col.visitors"), (s) => s.visitors, locale),
    rate("from_previous", t("funnelAnalytics.col.fromPrevious"), (s) => s.rate_from_previous, locale),
    rate("from_first", t("funnelAnalytics.col.fromFirst"), (s) => s.rate_from_first, locale),
  ];
}

function offerColumns(t: TFunction, locale: Locale, currency: string): SortableColumn<OfferRow>[] {
  return [
    { id: "step", header: t("funnelAnalytics.col.step"), value: (o) => o.name },
    { id: "type", header: t("funnelAnalytics.col.type"), value: (o) => t(`funnels.stepType.${o.step_type}`) },
    count("visitors", t("funnelAnalytics.col.visitors"), (o) => o.visitors, locale),
    count("pix", t("funnelAnalytics.col.pix"), (o) => o.pix_generated, locale),
    count("paid", t("funnelAnalytics.col.paid"), (o) => o.paid, locale),
    money("revenue", t("funnelAnalytics.col.revenue"), (o) => o.revenue, locale, currency),
    rate("take_rate", t("funnelAnalytics.col.takeRate"), (o) => o.take_rate, locale),
  ];
}

function breakdownColumns(t: TFunction, locale: Locale, currency: string, dimension: Dimension): SortableColumn<BreakdownRow>[] {
  return [
    { id: "value", header: t(`funnelAnalytics.dimension.${dimension}`), value: (r) => r.value ?? t("funnelMonitor.none") },
    count("visitors", t("funnelAnalytics.col.visitors"), (r) => r.visitors, locale),
    count("checkout_visitors", t("funnelAnalytics.col.checkoutVisitors"), (r) => r.checkout_visitors, locale),
    count("pix", t("funnelAnalytics.col.pix"), (r) => r.pix_generated, locale),
    count("paid", t("funnelAnalytics.col.paid"), (r) => r.paid, locale),
    rate("paid_rate", t("funnelAnalytics.col.paidRate"), (r) => r.paid_rate, locale),
    money("revenue", t("funnelAnalytics.col.revenue"), (r) => r.revenue, locale, currency),
    rate("conversion_rate", t("funnelAnalytics.col.conversionRate"), (r) => r.conversion_rate, locale),
  ];
}

/** Visitors per step as horizontal bars, largest at the top like a funnel. */
function StepChart({ steps }: { steps: StepRow[] }) {
  const { t, locale } = useI18n();
  const rows = steps.map((s) => ({ name: s.name, visitors: s.visitors }));
  const most = Math.max(1, ...rows.map((r) => r.visitors));
  return (
    <div className="h-64 w-full" data-testid="funnel-chart" role="img" aria-label={t("funnelAnalytics.chart")}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={rows} layout="vertical" margin={{ left: 8, right: 48 }}>
          <CartesianGrid horizontal={false} strokeDasharray="3 3" />
          <XAxis type="number" allowDecimals={false} domain={[0, most]} tickCount={Math.min(5, most + 1)} tickFormatter={(v: number) => showCount(v, locale)} />
          <YAxis type="category" dataKey="name" width={110} tick={{ fontSize: 12 }} />
          <Tooltip formatter={(v) => [showCount(Number(v), locale), t("funnelAnalytics.chart.visitors")]} />
          <Bar dataKey="visitors" fill="hsl(var(--primary))" radius={[0, 4, 4, 0]} isAnimationActive={false}>
            <LabelList dataKey="visitors" position="right" formatter={(v: unknown) => showCount(Number(v), locale)} />
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

function Report({ report }: { report: FunnelReport }) {
  const { t, locale } = useI18n();
  if (report.visitors === 0 && report.checkout.pix_generated === 0) return <EmptyState message={t("funnelAnalytics.empty")} />;
  return (
    <div className="space-y-4">
      <KpiGrid kpis={reportKpis(report, locale)} />
      <Card>
        <CardHeader>
          <CardTitle className="text-base">{t("funnelAnalytics.chart")}</CardTitle>
        </CardHeader>
        <CardContent>
          <StepChart steps={report.steps} />
        </CardContent>
      </Card>
      <SortableTable caption={t("funnelAnalytics.steps")} columns={stepColumns(t, locale)} rows={report.steps} rowKey={(s) => s.step_id} csvFilename="funnel-steps.csv" testId="funnel-steps" />
      {report.offers.length > 0 ? (
        <SortableTable caption={t("funnelAnalytics.offers")} columns={offerColumns(t, locale, report.currency)} rows={report.offers} rowKey={(o) => o.step_id} csvFilename="funnel-offers.csv" testId="funnel-offers" />
      ) : null}
      <SortableTable
        caption={t("funnelAnalytics.breakdown")}
        columns={breakdownColumns(t, locale, report.currency, report.dimension)}
        rows={report.breakdown}
        rowKey={(r) => r.value ?? ""}
        csvFilename={`funnel-by-${report.dimension}.csv`}
        testId="funnel-breakdown"
      />
    </div>
  );
}

/** A funnel's figures for a period (`/funnels/:funnelId/analytics`). */
export default function FunnelAnalyticsPage() {
  const { funnelId = "" } = useParams();
  const { t } = useI18n();
  const { filters, query: reportQuery, setFilter, setFilters } = useReportFilters();
  const [dimension, setDimension] = useState<Dimension>("source");
  const query: Query = { dimension };
  if (reportQuery.preset) query.preset = reportQuery.preset;
  if (reportQuery.date_from) query.date_from = reportQuery.date_from;
  if (reportQuery.date_to) query.date_to = reportQuery.date_to;
  const report = useQuery({
    queryKey: ["analytics", "funnels", funnelId, query],
    queryFn: () => unwrap(api.GET("/api/analytics/funnels/{funnel_id}", { params: { path: { funnel_id: funnelId }, query } })),
    placeholderData: keepPreviousData,
  });
  const custom = filters.preset === null;
  const choosePeriod = (value: string) => {
    if (value === CUSTOM) {
      const today = new Date();
      const from = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 29);
      const iso = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
      setFilters({ ...filters, preset: null, dateFrom: iso(from), dateTo: iso(today) });
    } else {
      setFilter("preset", value as Preset);
    }
  };
  return (
    <div className="space-y-4">
      <Link to={`/funnels/${funnelId}`} className="inline-flex items-center gap-1 text-sm text-muted-foreground hover:underline">
        <ArrowLeft className="h-4 w-4" aria-hidden />
        {t("funnelMonitor.back")}
      </Link>
      <div>
        <h1 className="truncate text-2xl font-semibold">
          {t("funnelAnalytics.title")}
          {report.data ? `: ${report.data.name}` : ""}
        </h1>
        <p className="max-w-2xl text-sm text-muted-foreground">{t("funnelAnalytics.intro")}</p>
      </div>
      <form role="search" aria-label={t("funnelAnalytics.period")} className="grid grid-cols-1 gap-3 rounded-lg border p-3 sm:grid-cols-2 lg:grid-cols-4" onSubmit={(e) => e.preventDefault()}>
        <div className="grid gap-1.5">
          <Label htmlFor="funnel-period">{t("funnelAnalytics.period")}</Label>
          <NativeSelect id="funnel-period" value={filters.preset ?? CUSTOM} onChange={(e) => choosePeriod(e.target.value)} data-testid="funnel-period">
            {PRESETS.map((p) => (
              <option key={p} value={p}>
                {t(`analytics.preset.${p}`)}
              </option>
            ))}
            <option value={CUSTOM}>{t("funnelAnalytics.custom")}</option>
          </NativeSelect>
        </div>
        {custom ? (
          <>
            <div className="grid gap-1.5">
              <Label htmlFor="funnel-from">{t("funnelAnalytics.from")}</Label>
              <Input id="funnel-from" type="date" value={filters.dateFrom ?? ""} onChange={(e) => setFilter("dateFrom", e.target.value || null)} />
            </div>
            <div className="grid gap-1.5">
              <Label htmlFor="funnel-to">{t("funnelAnalytics.to")}</Label>
              <Input id="funnel-to" type="date" value={filters.dateTo ?? ""} onChange={(e) => setFilter("dateTo", e.target.value || null)} />
            </div>
          </>
        ) : null}
        <div className="grid gap-1.5">
          <Label htmlFor="funnel-dimension">{t("funnelAnalytics.dimension")}</Label>
          <NativeSelect id="funnel-dimension" value={dimension} onChange={(e) => setDimension(e.target.value as Dimension)} data-testid="funnel-dimension">
            {DIMENSIONS.map((d) => (
              <option key={d} value={d}>
                {t(`funnelAnalytics.dimension.${d}`)}
              </option>
            ))}
          </NativeSelect>
        </div>
      </form>
      {report.data ? <Report report={report.data} /> : report.isError ? <ErrorState error={report.error} onRetry={() => void report.refetch()} /> : <LoadingState />}
    </div>
  );
}
