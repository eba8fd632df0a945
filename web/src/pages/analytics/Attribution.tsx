import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { ArrowDown, ArrowUp, Download } from "lucide-react";
import { Fragment, useMemo, useState } from "react";
import { useSearchParams } from "react-router";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { api, unwrap } from "@/api/client";
import type { paths } from "@/api/schema";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { NativeSelect } from "@/components/ui/native-select";
import { QueryStates } from "@/components/ui/query-states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useI18n, type MessageKey, type TFunction } from "@/i18n";
import type { Locale } from "@/i18n";
import { downloadCsv, type CsvColumn } from "@/lib/csv";
import { formatMoney, formatNumber } from "@/lib/format";
import { AttributionSettings } from "./AttributionSettings";
import { useReportFilters } from "./filters";
import { ReportFilterBar } from "./ReportFilterBar";

type Json<T> = T extends { content: { "application/json": infer J } } ? J : never;
export type Comparison = Json<paths["/api/analytics/attribution/compare"]["get"]["responses"][200]>;
type CompareQuery = NonNullable<paths["/api/analytics/attribution/compare"]["get"]["parameters"]["query"]>;
export type ModelName = Comparison["models"][number]["name"];
type Level = "channel" | "campaign";
type ConversionKind = "lead" | "won";
type Metric = "conversions" | "revenue";

export const MODELS: ModelName[] = ["first_touch", "last_touch", "last_non_direct", "linear", "time_decay", "position_based", "markov", "shapley"];
const COLORS = ["#2563eb", "#dc2626", "#ea580c", "#16a34a", "#9333ea", "#0891b2", "#ca8a04", "#db2777"];
const CHART_KEYS = 10;

function pick<T extends string>(value: string | null, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

/** A key as shown: the API's placeholders translated, everything else as collected (text). */
export function keyLabel(key: string, t: TFunction): string {
  if (key === "(untracked)") return t("analytics.attribution.untracked");
  if (key === "(none)") return t("analytics.attribution.none");
  return key;
}

type Row = Comparison["rows"][number];

function value(row: Row, model: ModelName, metric: Metric): number {
  const credit = row.credits[model];
  if (!credit) return 0;
  return metric === "conversions" ? credit.conversions : Number(credit.revenue);
}

function shift(row: Row, model: ModelName, metric: Metric): number {
  return value(row, model, metric) - value(row, "last_touch", metric);
}

type Sort = { column: "key" | ModelName; descending: boolean };

/** Rows in the API's order (most credited by last click) until a column is chosen. */
function sortRows(rows: Row[], sort: Sort | null, metric: Metric): Row[] {
  if (!sort) return rows;
  const sign = sort.descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    if (sort.column === "key") return sign * a.key.localeCompare(b.key);
    return sign * (value(a, sort.column, metric) - value(b, sort.column, metric)) || a.key.localeCompare(b.key);
  });
}

function format(amount: number, metric: Metric, locale: Locale, currency: string): string {
  return metric === "revenue" ? formatMoney(amount, locale, currency) : formatNumber(amount, locale, { maximumFractionDigits: 2 });
}

function signed(amount: number, metric: Metric, locale: Locale, currency: string): string {
  const rounded = Math.round(amount * 100) / 100;
  if (rounded === 0) return "±0";
  return `${rounded > 0 ? "+" : "−"}${format(Math.abs(rounded), metric, locale, currency)}`;
}

/** The table's rows as CSV cells, exactly as shown (same order, same metric, same labels). */
export function comparisonColumns(metric: Metric, t: TFunction): CsvColumn<Row>[] {
  const unit = t(metric === "conversions" ? "analytics.attribution.metric.conversions" : "analytics.attribution.metric.revenue");
  const columns: CsvColumn<Row>[] = [{ header: t("analytics.attribution.key"), value: (row) => keyLabel(row.key, t) }];
  for (const model of MODELS) {
    const name = t(`analytics.model.${model}` as MessageKey);
    columns.push({ header: `${name} (${unit})`, value: (row) => Math.round(value(row, model, metric) * 100) / 100 });
    if (model !== "last_touch") {
      columns.push({ header: `${name} ${t("analytics.attribution.shift")}`, value: (row) => Math.round(shift(row, model, metric) * 100) / 100 });
    }
  }
  return columns;
}

export function ComparisonTable({ data, metric }: { data: Comparison; metric: Metric }) {
  const { t, locale } = useI18n();
  const [sort, setSort] = useState<Sort | null>(null);
  const rows = useMemo(() => sortRows(data.rows, sort, metric), [data.rows, sort, metric]);
  const currency = data.range.currency;
  const header = (column: Sort["column"], label: string) => {
    const active = sort?.column === column;
    return (
      <TH className={column === "key" ? undefined : "text-right"} aria-sort={active ? (sort.descending ? "descending" : "ascending") : "none"}>
        <button
          type="button"
          className="inline-flex items-center gap-1 hover:underline"
          title={t("analytics.attribution.sortBy", { column: label })}
          onClick={() => setSort({ column, descending: active ? !sort.descending : column !== "key" })}
        >
          {label}
          {active ? sort.descending ? <ArrowDown className="h-3 w-3" aria-hidden /> : <ArrowUp className="h-3 w-3" aria-hidden /> : null}
        </button>
      </TH>
    );
  };
  return (
    <div className="grid gap-2">
      <div className="flex justify-end">
        <Button variant="outline" size="sm" onClick={() => downloadCsv(`attribution-${data.level}-${data.range.current.date_from}-${data.range.current.date_to}.csv`, comparisonColumns(metric, t), rows)}>
          <Download aria-hidden />
          {t("analytics.attribution.export")}
        </Button>
      </div>
      <div className="overflow-x-auto">
        <Table>
          <THead>
            <TR>
              {header("key", t(data.level === "campaign" ? "analytics.attribution.level.campaign" : "analytics.attribution.level.channel"))}
              {MODELS.map((model) => (
                <Fragment key={model}>{header(model, t(`analytics.model.${model}` as MessageKey))}</Fragment>
              ))}
            </TR>
          </THead>
          <TBody>
            {rows.map((row) => (
              <TR key={row.key} data-testid="attribution-row">
                <TD className="max-w-[16rem] break-words font-medium">{keyLabel(row.key, t)}</TD>
                {MODELS.map((model) => (
                  <TD key={model} className="whitespace-nowrap text-right" data-model={model}>
                    <div>{format(value(row, model, metric), metric, locale, currency)}</div>
                    {model === "last_touch" ? null : (
                      <div className="text-xs text-muted-foreground" title={t("analytics.attribution.shift")}>
                        {signed(shift(row, model, metric), metric, locale, currency)}
                      </div>
                    )}
                  </TD>
                ))}
              </TR>
            ))}
          </TBody>
        </Table>
      </div>
    </div>
  );
}

function ComparisonChart({ data, metric }: { data: Comparison; metric: Metric }) {
  const { t } = useI18n();
  const points = data.rows.slice(0, CHART_KEYS).map((row) => ({
    key: keyLabel(row.key, t),
    ...Object.fromEntries(MODELS.map((model) => [model, Math.round(value(row, model, metric) * 100) / 100])),
  }));
  return (
    <Card>
      <CardHeader>
        <CardTitle className="text-base">{t("analytics.attribution.chart", { count: points.length })}</CardTitle>
      </CardHeader>
      <CardContent className="h-80">
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={points}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="key" />
            <YAxis />
            <Tooltip />
            <Legend />
            {MODELS.map((model, i) => (
              <Bar key={model} dataKey={model} name={t(`analytics.model.${model}` as MessageKey)} fill={COLORS[i]} />
            ))}
          </BarChart>
        </ResponsiveContainer>
      </CardContent>
    </Card>
  );
}

/** The attribution models side by side for the same conversions: chart, table, CSV, definitions. */
export default function Attribution() {
  const { t, locale } = useI18n();
  const [params, setParams] = useSearchParams();
  const level = pick<Level>(params.get("level"), ["channel", "campaign"], "channel");
  const conversion = pick<ConversionKind>(params.get("conversion"), ["lead", "won"], "lead");
  const { query: filters } = useReportFilters();
  const metric = pick<Metric>(params.get("metric"), ["conversions", "revenue"], "conversions");
  const set = (name: string, next: string) => {
    const copy = new URLSearchParams(params);
    copy.set(name, next);
    setParams(copy, { replace: true });
  };
  const query: CompareQuery = { ...filters, level, conversion };
  const comparison = useQuery({
    queryKey: ["analytics", "attribution", "compare", query],
    queryFn: () => unwrap(api.GET("/api/analytics/attribution/compare", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  return (
    <div className="mx-auto grid max-w-7xl grid-cols-1 gap-4">
      <div>
        <h2 className="text-xl font-semibold tracking-tight">{t("analytics.attribution.title")}</h2>
        <p className="text-sm text-muted-foreground">{t("analytics.attribution.description")}</p>
      </div>
      <ReportFilterBar />
      <div className="flex flex-wrap items-end gap-3">
        <div className="grid gap-1" role="group" aria-label={t("analytics.attribution.level")}>
          <span className="text-sm font-medium">{t("analytics.attribution.level")}</span>
          <div className="flex gap-1">
            {(["channel", "campaign"] as const).map((option) => (
              <Button key={option} size="sm" variant={option === level ? "default" : "outline"} aria-pressed={option === level} onClick={() => set("level", option)}>
                {t(`analytics.attribution.level.${option}`)}
              </Button>
            ))}
          </div>
        </div>
        <label className="grid gap-1 text-sm font-medium">
          {t("analytics.attribution.conversion")}
          <NativeSelect value={conversion} onChange={(e) => set("conversion", e.target.value)}>
            <option value="lead">{t("analytics.attribution.conversion.lead")}</option>
            <option value="won">{t("analytics.attribution.conversion.won")}</option>
          </NativeSelect>
        </label>
        <label className="grid gap-1 text-sm font-medium">
          {t("analytics.attribution.metric")}
          <NativeSelect value={metric} onChange={(e) => set("metric", e.target.value)}>
            <option value="conversions">{t("analytics.attribution.metric.conversions")}</option>
            <option value="revenue">{t("analytics.attribution.metric.revenue")}</option>
          </NativeSelect>
        </label>
      </div>
      <QueryStates query={comparison} isEmpty={(data) => data.rows.length === 0} empty={t("analytics.attribution.empty")}>
        {(data) => (
          <>
            <p className="text-sm text-muted-foreground" data-testid="attribution-summary">
              {t("analytics.attribution.summary", {
                conversions: formatNumber(data.journeys.converting, locale),
                untracked: formatNumber(data.journeys.untracked, locale),
                touches: formatNumber(data.journeys.touches, locale),
                nonConverting: formatNumber(data.journeys.non_converting, locale),
                lookback: data.lookback_days,
                halfLife: formatNumber(data.half_life_days, locale),
              })}
            </p>
            {data.other_currencies.length ? (
              <p className="text-sm text-muted-foreground">{t("analytics.attribution.otherCurrencies", { currencies: data.other_currencies.join(", ") })}</p>
            ) : null}
            <ComparisonChart data={data} metric={metric} />
            <ComparisonTable data={data} metric={metric} />
            <details className="rounded-md border p-3 text-sm">
              <summary className="cursor-pointer font-medium">{t("analytics.attribution.definitions")}</summary>
              <dl className="mt-2 grid gap-2">
                {MODELS.map((model) => (
                  <div key={model}>
                    <dt className="font-medium">{t(`analytics.model.${model}` as MessageKey)}</dt>
                    <dd className="text-muted-foreground">{t(`analytics.definition.${model}` as MessageKey)}</dd>
                  </div>
                ))}
              </dl>
            </details>
          </>
        )}
      </QueryStates>
      <AttributionSettings />
    </div>
  );
}
