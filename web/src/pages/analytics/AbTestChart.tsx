import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useI18n } from "@/i18n";
import { formatDate, formatMoney, formatPercent } from "@/lib/format";
import { cumulativeSeries, variantName, type AbMetric, type AbTestReport } from "./abTests";

const COLORS = ["#64748b", "#2563eb", "#16a34a", "#ea580c", "#9333ea", "#db2777"];

/** Each variant's cumulative rate (or revenue per visitor) day by day. */
export function AbTestChart({ report, metric }: { report: AbTestReport; metric: AbMetric }) {
  const { t, locale } = useI18n();
  const points = cumulativeSeries(report, metric);
  if (points.length === 0) return <p className="text-sm text-muted-foreground">{t("ab.chart.empty")}</p>;
  const format = (value: number) =>
    metric === "revenue" ? formatMoney(value, locale, report.period.currency) : formatPercent(value, locale, 2);
  return (
    <figure aria-label={t(metric === "revenue" ? "ab.chart.revenue" : "ab.chart.rate")} className="h-72 w-full">
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={points} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" className="stroke-muted" />
          <XAxis dataKey="date" tickFormatter={(d: string) => formatDate(`${d}T12:00:00Z`, locale)} fontSize={12} />
          <YAxis tickFormatter={(v: number) => format(v)} fontSize={12} width={80} />
          <Tooltip
            labelFormatter={(d) => formatDate(`${String(d)}T12:00:00Z`, locale)}
            formatter={(v) => (typeof v === "number" ? format(v) : "—")}
          />
          <Legend />
          {report.variants.map((variant, i) => (
            <Line
              key={variant.page_id}
              type="monotone"
              dataKey={variant.page_id}
              name={variant.is_control ? `${variantName(variant)} (${t("ab.control")})` : variantName(variant)}
              stroke={COLORS[i % COLORS.length]}
              strokeWidth={variant.is_control ? 2 : 2.5}
              strokeDasharray={variant.is_control ? "5 4" : undefined}
              dot={false}
              connectNulls
              isAnimationActive={false}
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
}
