import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useI18n } from "@/i18n";
import { formatNumber } from "@/lib/format";
import type { StepFigures } from "./types";

/** Sent, opened and clicked per e-mail: where the sequence loses people. */
export function StepChart({ steps }: { steps: StepFigures[] }) {
  const { t, locale } = useI18n();
  if (steps.every((s) => s.sent === 0)) {
    return <p className="text-sm text-muted-foreground">{t("sequences.report.none")}</p>;
  }
  const data = steps.map((s) => ({
    name: t("sequences.step.title", { position: s.position }),
    sent: s.sent,
    opened: s.unique_opens,
    clicked: s.unique_clicks,
  }));
  return (
    <div className="h-56" data-testid="step-chart">
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ left: 0, right: 8 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="name" tick={{ fontSize: 12 }} interval={0} />
          <YAxis allowDecimals={false} tickFormatter={(v: number) => formatNumber(v, locale, { notation: "compact" })} width={40} />
          <Tooltip formatter={(v) => formatNumber(Number(v), locale)} />
          <Legend />
          <Bar dataKey="sent" name={t("sequences.figures.sent")} fill="hsl(var(--muted-foreground))" />
          <Bar dataKey="opened" name={t("sequences.figures.opened")} fill="hsl(var(--primary))" />
          <Bar dataKey="clicked" name={t("sequences.figures.clicked")} fill="hsl(var(--success))" />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
