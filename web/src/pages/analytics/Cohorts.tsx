import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { api, unwrap } from "@/api/client";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { SortableTable, type SortableColumn } from "@/components/ui/sortable-table";
import { ErrorState, LoadingState } from "@/components/ui/states";
import { useI18n, type Locale, type TFunction } from "@/i18n";
import { formatDate } from "@/lib/format";
import { channelLabel } from "./channels";
import { ChoiceGroup } from "./ChoiceGroup";
import { useReportFilters } from "./filters";
import { ReportFilterBar } from "./ReportFilterBar";
import { amount, DASH, showCount, showMoney } from "./numbers";
import type { CohortRow, Cohorts as CohortsData } from "./types";

type Period = CohortsData["period"];
type By = CohortsData["by"];
type Measure = "revenue_per_lead" | "revenue_per_customer";
const PERIODS: readonly Period[] = ["month", "week"];
const BYS: readonly By[] = ["none", "channel", "campaign"];
const MEASURES: readonly Measure[] = ["revenue_per_lead", "revenue_per_customer"];
/** Ages shown as columns and chart points (months or weeks after the cohort's start). */
export const MAX_AGE = 12;
/** Cohorts drawn in the LTV chart (the most recent). */
const CHART_COHORTS = 8;

/** A cohort's name: its first day, and its channel or campaign when grouped by one. */
export function cohortLabel(row: CohortRow, by: By, t: TFunction, locale: Locale): string {
  const day = formatDate(`${row.start}T12:00:00Z`, locale, "UTC");
  if (by === "none") return day;
  const key = by === "channel" ? channelLabel(t, row.key) : (row.key ?? t("analytics.campaign.none"));
  return `${day} · ${key}`;
}

/** The value at an age of a cohort's LTV curve (null past today). */
export function ltvAt(row: CohortRow, age: number, measure: Measure): number | null {
  const point = row.ltv.find((p) => p.age === age);
  return point ? point[measure] : null;
}

function heat(value: number | null, max: number): string | undefined {
  if (value === null || max <= 0) return undefined;
  return `hsl(var(--primary) / ${(0.08 + 0.6 * (value / max)).toFixed(2)})`;
}

function cohortColumns(rows: CohortRow[], period: Period, by: By, measure: Measure, currency: string, t: TFunction, locale: Locale): SortableColumn<CohortRow>[] {
  const ages = Math.min(MAX_AGE, Math.max(0, ...rows.map((r) => r.ltv.length - 1)));
  const max = Math.max(0, ...rows.flatMap((r) => r.ltv.map((p) => p[measure] ?? 0)));
  const money = (v: number | null) => (v === null ? DASH : showMoney(v, locale, currency));
  const base: SortableColumn<CohortRow>[] = [
    { id: "cohort", header: t("analytics.cohorts.col.cohort"), value: (r) => cohortLabel(r, by, t, locale) },
    { id: "leads", header: t("analytics.col.leads"), numeric: true, value: (r) => r.leads, render: (r) => showCount(r.leads, locale) },
    { id: "customers", header: t("analytics.cohorts.col.customers"), numeric: true, value: (r) => r.customers, render: (r) => showCount(r.customers, locale) },
    { id: "repeat", header: t("analytics.cohorts.col.repeat"), numeric: true, value: (r) => r.repeat_customers, render: (r) => showCount(r.repeat_customers, locale) },
    { id: "revenue", header: t("analytics.col.revenue", { currency }), numeric: true, value: (r) => amount(r.revenue), render: (r) => showMoney(r.revenue, locale, currency) },
  ];
  const byAge: SortableColumn<CohortRow>[] = Array.from({ length: ages + 1 }, (_, age) => ({
    id: `age-${age}`,
    header: t(`analytics.cohorts.col.age.${period}`, { age }),
    numeric: true,
    value: (r) => {
      const v = ltvAt(r, age, measure);
      return v === null ? null : Math.round(v * 100) / 100;
    },
    render: (r) => {
      const v = ltvAt(r, age, measure);
      return (
        <span className="block rounded px-1" style={{ backgroundColor: heat(v, max) }} data-testid="heat-cell">
          {money(v)}
        </span>
      );
    },
  }));
  return [...base, ...byAge];
}

/**
 * Cohorts: leads by the month (or week) of their first touch, optionally by its channel or
 * campaign, with customers, repeat customers and won revenue accumulated over the following
 * months (a heat-map table and LTV curves). CAC and payback wait for ad spend.
 */
export default function Cohorts() {
  const { t, locale } = useI18n();
  const { query } = useReportFilters();
  const [period, setPeriod] = useState<Period>("month");
  const [by, setBy] = useState<By>("none");
  const [measure, setMeasure] = useState<Measure>("revenue_per_lead");
  const cohorts = useQuery({
    queryKey: ["analytics", "cohorts", query, period, by],
    queryFn: (): Promise<CohortsData> => unwrap(api.GET("/api/analytics/cohorts", { params: { query: { ...query, period, by } } })),
    placeholderData: keepPreviousData,
  });
  const data = cohorts.data;
  const currency = data?.range.currency ?? "BRL";
  const rows = useMemo(() => data?.cohorts ?? [], [data]);
  const columns = useMemo(() => cohortColumns(rows, period, by, measure, currency, t, locale), [rows, period, by, measure, currency, t, locale]);
  const chart = useMemo(() => {
    const drawn = rows.slice(-CHART_COHORTS);
    const ages = Math.min(MAX_AGE, Math.max(0, ...drawn.map((r) => r.ltv.length - 1)));
    return {
      lines: drawn.map((r, i) => ({ key: `c${i}`, name: cohortLabel(r, by, t, locale) })),
      points: Array.from({ length: ages + 1 }, (_, age) => Object.fromEntries([["age", age], ...drawn.map((r, i) => [`c${i}`, ltvAt(r, age, measure)])])),
    };
  }, [rows, by, measure, t, locale]);

  if (cohorts.isPending) return <LoadingState />;
  if (cohorts.isError) return <ErrorState error={cohorts.error} onRetry={() => void cohorts.refetch()} />;
  const range = cohorts.data.range;
  return (
    <div className="grid grid-cols-1 gap-6" aria-busy={cohorts.isFetching}>
      <ReportFilterBar />
      <div className="flex flex-wrap items-center gap-4">
        <ChoiceGroup label={t("analytics.cohorts.period")} value={period} options={PERIODS.map((p) => ({ value: p, label: t(`analytics.cohorts.period.${p}`) }))} onChange={setPeriod} testId="cohort-period" />
        <ChoiceGroup label={t("analytics.cohorts.by")} value={by} options={BYS.map((b) => ({ value: b, label: t(`analytics.cohorts.by.${b}`) }))} onChange={setBy} testId="cohort-by" />
        <ChoiceGroup label={t("analytics.cohorts.measure")} value={measure} options={MEASURES.map((m) => ({ value: m, label: t(`analytics.cohorts.measure.${m}`) }))} onChange={setMeasure} testId="cohort-measure" />
      </div>
      <p className="text-sm text-muted-foreground">{t(`analytics.cohorts.explain.${period}`)}</p>
      {cohorts.data.cac_note ? (
        <p className="text-xs text-muted-foreground" data-testid="cohort-cac-note">
          {t("analytics.cohorts.noSpend")}
        </p>
      ) : null}
      <Card>
        <CardHeader>
          <CardTitle className="text-base">{t("analytics.cohorts.chart", { currency })}</CardTitle>
        </CardHeader>
        <CardContent>
          {rows.length === 0 ? (
            <p className="py-10 text-center text-sm text-muted-foreground" data-testid="cohort-empty">
              {t("analytics.cohorts.empty")}
            </p>
          ) : (
            <div className="h-72 w-full" data-testid="cohort-chart">
              <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 640, height: 288 }}>
                <LineChart data={chart.points} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
                  <CartesianGrid strokeDasharray="3 3" className="stroke-border" />
                  <XAxis dataKey="age" tickFormatter={(age: number) => t(`analytics.cohorts.col.age.${period}`, { age })} tick={{ fontSize: 12 }} />
                  <YAxis tickFormatter={(v: number) => showMoney(v, locale, currency)} tick={{ fontSize: 12 }} width={88} />
                  <Tooltip formatter={(value, name) => [showMoney(Number(value), locale, currency), name]} labelFormatter={(age) => t(`analytics.cohorts.col.age.${period}`, { age: Number(age) })} />
                  <Legend />
                  {chart.lines.map((line, i) => (
                    <Line key={line.key} type="monotone" dataKey={line.key} name={line.name} stroke={`hsl(${(i * 47) % 360} 65% 45%)`} strokeWidth={2} dot={false} connectNulls={false} isAnimationActive={false} />
                  ))}
                </LineChart>
              </ResponsiveContainer>
            </div>
          )}
        </CardContent>
      </Card>
      <SortableTable caption={t("analytics.cohorts.table")} columns={columns} rows={rows} rowKey={(r) => `${r.start}-${r.key ?? ""}`} csvFilename={`cohorts-${period}-${by}-${range.current.date_from}_${range.current.date_to}`} testId="table-cohorts" />
    </div>
  );
}
