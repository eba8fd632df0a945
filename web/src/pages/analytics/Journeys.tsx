import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { ResponsiveContainer, Sankey, Tooltip } from "recharts";
import { api, unwrap } from "@/api/client";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Label } from "@/components/ui/label";
import { NativeSelect } from "@/components/ui/native-select";
import { SortableTable, type SortableColumn } from "@/components/ui/sortable-table";
import { ErrorState, LoadingState } from "@/components/ui/states";
import { useI18n, type Locale, type TFunction } from "@/i18n";
import { channelLabel } from "./channels";
import { ChoiceGroup } from "./ChoiceGroup";
import { useReportFilters } from "./filters";
import { KpiGrid, type Kpi } from "./OverviewKpis";
import { ReportFilterBar } from "./ReportFilterBar";
import { amount, DASH, percentValue, showCount, showDuration, showMoney, showPercent } from "./numbers";
import type { JourneyPath, Journeys as JourneysData } from "./types";

type Conversion = JourneysData["conversion"];
const CONVERSIONS: readonly Conversion[] = ["lead", "won"];
export const LOOKBACKS = [7, 30, 60, 90, 180, 365] as const;

/** A path as the page shows it: translated channels joined by " > ". */
export function pathLabel(t: TFunction, channels: string[]): string {
  return channels.map((c) => channelLabel(t, c)).join(" > ");
}

/** The flow chart's data for Recharts' Sankey: channel nodes per step, then the conversion. */
export function sankeyData(flow: JourneysData["flow"], t: TFunction) {
  return {
    nodes: flow.nodes.map((n) => ({ name: n.step === null ? t(`analytics.journeys.conversion.${n.name as Conversion}`) : `${n.step}. ${channelLabel(t, n.name)}` })),
    links: flow.links.map((l) => ({ source: l.source, target: l.target, value: l.value })),
  };
}

function pathColumns(t: TFunction, locale: Locale, currency: string): SortableColumn<JourneyPath>[] {
  const units = { days: t("analytics.unit.days"), hours: t("analytics.unit.hours") };
  return [
    { id: "path", header: t("analytics.journeys.col.path"), value: (r) => pathLabel(t, r.channels) },
    { id: "conversions", header: t("analytics.journeys.col.conversions"), numeric: true, value: (r) => r.conversions, render: (r) => showCount(r.conversions, locale) },
    { id: "share", header: t("analytics.journeys.col.share"), numeric: true, value: (r) => percentValue(r.share), render: (r) => showPercent(r.share, locale) },
    { id: "revenue", header: t("analytics.col.revenue", { currency }), numeric: true, value: (r) => amount(r.revenue), render: (r) => showMoney(r.revenue, locale, currency) },
    {
      id: "average_touches",
      header: t("analytics.journeys.col.touches"),
      numeric: true,
      value: (r) => Math.round(r.average_touches * 10) / 10,
      render: (r) => r.average_touches.toLocaleString(locale, { maximumFractionDigits: 1 }),
    },
    {
      id: "average_time_to_convert",
      header: t("analytics.journeys.col.timeDays"),
      numeric: true,
      value: (r) => Math.round((r.average_time_to_convert / 86400) * 10) / 10,
      render: (r) => showDuration(r.average_time_to_convert, locale, units),
    },
  ];
}

/**
 * Journeys: the most common paths of channels before a lead or a sale (repeats collapsed),
 * with conversions, revenue, touches and time to convert, and a flow chart of the first steps.
 */
export default function Journeys() {
  const { t, locale } = useI18n();
  const { query } = useReportFilters();
  const [conversion, setConversion] = useState<Conversion>("lead");
  const [lookback, setLookback] = useState<number>(90);
  const journeys = useQuery({
    queryKey: ["analytics", "journeys", query, conversion, lookback],
    queryFn: (): Promise<JourneysData> =>
      unwrap(api.GET("/api/analytics/journeys", { params: { query: { ...query, conversion, lookback_days: lookback, limit: 20 } } })),
    placeholderData: keepPreviousData,
  });
  const currency = journeys.data?.range.currency ?? "BRL";
  const columns = useMemo(() => pathColumns(t, locale, currency), [t, locale, currency]);

  if (journeys.isPending) return <LoadingState />;
  if (journeys.isError) return <ErrorState error={journeys.error} onRetry={() => void journeys.refetch()} />;
  const data = journeys.data;
  const units = { days: t("analytics.unit.days"), hours: t("analytics.unit.hours") };
  const kpis: Kpi[] = [
    { id: "conversions", label: `analytics.journeys.kpi.${conversion}`, value: showCount(data.conversions, locale) },
    { id: "with_touches", label: "analytics.journeys.kpi.withTouches", value: showCount(data.with_touches, locale) },
    {
      id: "average_touches",
      label: "analytics.journeys.kpi.touches",
      value: data.average_touches === null ? DASH : data.average_touches.toLocaleString(locale, { maximumFractionDigits: 1 }),
    },
    { id: "average_time", label: "analytics.journeys.kpi.time", value: showDuration(data.average_time_to_convert, locale, units) },
  ];
  const chart = sankeyData(data.flow, t);
  return (
    <div className="grid grid-cols-1 gap-6" aria-busy={journeys.isFetching}>
      <ReportFilterBar />
      <div className="flex flex-wrap items-end gap-4">
        <ChoiceGroup
          label={t("analytics.journeys.conversion")}
          value={conversion}
          options={CONVERSIONS.map((c) => ({ value: c, label: t(`analytics.journeys.before.${c}`) }))}
          onChange={setConversion}
          testId="journey-conversion"
        />
        <div className="grid gap-1.5">
          <Label htmlFor="journey-lookback">{t("analytics.journeys.lookback")}</Label>
          <NativeSelect id="journey-lookback" value={String(lookback)} onChange={(e) => setLookback(Number(e.target.value))} data-testid="journey-lookback">
            {LOOKBACKS.map((days) => (
              <option key={days} value={days}>
                {t("analytics.journeys.lookbackDays", { days })}
              </option>
            ))}
          </NativeSelect>
        </div>
      </div>
      <KpiGrid kpis={kpis} />
      {data.without_touches > 0 ? <p className="text-xs text-muted-foreground">{t("analytics.journeys.withoutTouches", { count: data.without_touches })}</p> : null}
      <Card>
        <CardHeader>
          <CardTitle className="text-base">{t("analytics.journeys.flow", { steps: data.flow.max_steps })}</CardTitle>
        </CardHeader>
        <CardContent>
          {chart.links.length === 0 ? (
            <p className="py-10 text-center text-sm text-muted-foreground" data-testid="flow-empty">
              {t("analytics.journeys.empty")}
            </p>
          ) : (
            <div className="h-80 w-full" data-testid="journey-flow">
              <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 720, height: 320 }}>
                <Sankey data={chart} nodePadding={24} margin={{ top: 8, right: 120, bottom: 8, left: 8 }} link={{ stroke: "hsl(var(--primary))", strokeOpacity: 0.25 }}>
                  <Tooltip formatter={(value) => showCount(Number(value), locale)} />
                </Sankey>
              </ResponsiveContainer>
            </div>
          )}
          {data.flow.truncated_paths > 0 ? <p className="mt-2 text-xs text-muted-foreground">{t("analytics.journeys.truncated", { count: data.flow.truncated_paths, steps: data.flow.max_steps })}</p> : null}
        </CardContent>
      </Card>
      <SortableTable
        caption={t("analytics.journeys.table")}
        columns={columns}
        rows={data.paths}
        rowKey={(r) => r.label}
        csvFilename={`journeys-${conversion}-${data.range.current.date_from}_${data.range.current.date_to}`}
        testId="table-journeys"
      />
    </div>
  );
}
