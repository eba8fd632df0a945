import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { useI18n } from "@/i18n";
import { formatDate } from "@/lib/format";
import { amount, showCount, showMoney } from "@/pages/analytics/numbers";
import type { RecoveryDay } from "./types";

/** Abandoned/unpaid and recovered per day (bars) with the recovered revenue (line). */
export function RecoveryChart({ days, currency }: { days: RecoveryDay[]; currency: string }) {
  const { t, locale } = useI18n();
  const rows = days.map((d) => ({ day: d.day, detected: d.detected, recovered: d.recovered, revenue: amount(d.recovered_revenue) }));
  const day = (iso: string) => formatDate(`${iso}T12:00:00Z`, locale, "UTC");
  return (
    <Card>
      <CardHeader>
        <CardTitle className="text-base">{t("recovery.chart.title")}</CardTitle>
      </CardHeader>
      <CardContent>
        <div className="h-64 w-full" data-testid="recovery-chart">
          <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 640, height: 256 }}>
            <ComposedChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" className="stroke-border" />
              <XAxis dataKey="day" tickFormatter={day} tick={{ fontSize: 12 }} minTickGap={24} />
              <YAxis yAxisId="count" allowDecimals={false} tickFormatter={(v: number) => showCount(v, locale)} tick={{ fontSize: 12 }} width={40} />
              <YAxis yAxisId="money" orientation="right" tickFormatter={(v: number) => showMoney(v, locale, currency)} tick={{ fontSize: 12 }} width={88} />
              <Tooltip
                labelFormatter={(label) => day(String(label))}
                formatter={(value, name) => [name === t("recovery.chart.revenue") ? showMoney(Number(value), locale, currency) : showCount(Number(value), locale), name]}
              />
              <Legend />
              <Bar yAxisId="count" dataKey="detected" name={t("recovery.chart.detected")} fill="hsl(var(--muted-foreground))" radius={[3, 3, 0, 0]} />
              <Bar yAxisId="count" dataKey="recovered" name={t("recovery.chart.recovered")} fill="hsl(var(--primary))" radius={[3, 3, 0, 0]} />
              <Line yAxisId="money" type="monotone" dataKey="revenue" name={t("recovery.chart.revenue")} stroke="#16a34a" strokeWidth={2} dot={false} />
            </ComposedChart>
          </ResponsiveContainer>
        </div>
      </CardContent>
    </Card>
  );
}
