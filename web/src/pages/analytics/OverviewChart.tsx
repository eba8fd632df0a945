import { useState } from "react";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { useI18n } from "@/i18n";
import { formatDate } from "@/lib/format";
import { cn } from "@/lib/utils";
import { amount, showCount, showMoney } from "./numbers";
import type { SeriesPoint } from "./types";

export const METRICS = ["sessions", "leads", "won", "revenue"] as const;
export type Metric = (typeof METRICS)[number];

interface ChartRow {
  date: string;
  previousDate: string | null;
  current: number;
  previous: number | null;
}

/** Day i of the period next to day i of the compared one (the compared period may be a day shorter or longer). */
export function chartRows(series: SeriesPoint[], previous: SeriesPoint[] | null, metric: Metric): ChartRow[] {
  return series.map((point, i) => {
    const before = previous?.[i];
    return {
      date: point.date,
      previousDate: before?.date ?? null,
      current: amount(point[metric]),
      previous: previous ? amount(before?.[metric] ?? 0) : null,
    };
  });
}

/** The period by day, one metric at a time; the compared period dashed. */
export function OverviewChart({ series, previous, currency }: { series: SeriesPoint[]; previous: SeriesPoint[] | null; currency: string }) {
  const { t, locale } = useI18n();
  const [metric, setMetric] = useState<Metric>("sessions");
  const rows = chartRows(series, previous, metric);
  const show = (v: number) => (metric === "revenue" ? showMoney(v, locale, currency) : showCount(v, locale));
  // Days as the organization counts them: YYYY-MM-DD shown without a time zone shift.
  const day = (iso: string) => formatDate(`${iso}T12:00:00Z`, locale, "UTC");
  const empty = rows.every((r) => r.current === 0) && rows.every((r) => !r.previous);
  return (
    <Card>
      <CardHeader className="flex-row flex-wrap items-center justify-between gap-2 space-y-0">
        <CardTitle className="text-base">{t("analytics.chart.title")}</CardTitle>
        <div role="radiogroup" aria-label={t("analytics.chart.metric")} className="flex flex-wrap gap-1 rounded-md bg-muted p-1">
          {METRICS.map((m) => (
            <button
              key={m}
              type="button"
              role="radio"
              aria-checked={metric === m}
              onClick={() => setMetric(m)}
              data-testid={`metric-${m}`}
              className={cn(
                "rounded px-2.5 py-1 text-xs font-medium focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring",
                metric === m ? "bg-background text-foreground shadow-sm" : "text-muted-foreground hover:text-foreground",
              )}
            >
              {t(`analytics.metric.${m}`)}
            </button>
          ))}
        </div>
      </CardHeader>
      <CardContent>
        {empty ? (
          <p className="py-10 text-center text-sm text-muted-foreground" data-testid="chart-empty">
            {t("analytics.chart.empty")}
          </p>
        ) : (
          <div className="h-64 w-full" data-testid="overview-chart">
            <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 640, height: 256 }}>
              <LineChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
                <CartesianGrid strokeDasharray="3 3" className="stroke-border" />
                <XAxis dataKey="date" tickFormatter={day} tick={{ fontSize: 12 }} minTickGap={24} />
                <YAxis tickFormatter={(v: number) => show(v)} tick={{ fontSize: 12 }} width={metric === "revenue" ? 88 : 48} allowDecimals={metric === "revenue"} />
                <Tooltip
                  formatter={(value, name) => [show(Number(value)), name]}
                  labelFormatter={(label, payload) => {
                    const before = (payload?.[0]?.payload as ChartRow | undefined)?.previousDate;
                    return before ? `${day(String(label))} / ${day(before)}` : day(String(label));
                  }}
                />
                <Legend />
                <Line type="monotone" dataKey="current" name={t("analytics.chart.current")} stroke="hsl(var(--primary))" strokeWidth={2} dot={false} isAnimationActive={false} />
                {previous ? (
                  <Line
                    type="monotone"
                    dataKey="previous"
                    name={t("analytics.chart.previous")}
                    stroke="hsl(var(--muted-foreground))"
                    strokeWidth={2}
                    strokeDasharray="5 4"
                    dot={false}
                    isAnimationActive={false}
                  />
                ) : null}
              </LineChart>
            </ResponsiveContainer>
          </div>
        )}
      </CardContent>
    </Card>
  );
}
