import { ArrowDownRight, ArrowUpRight, Minus } from "lucide-react";
import { Card } from "@/components/ui/card";
import { useI18n, type Locale, type MessageKey, type TFunction } from "@/i18n";
import { cn } from "@/lib/utils";
import { amount, DASH, relativeChange, showCount, showMoney, showPercent, showSignedPercent, showSignedPoints } from "./numbers";
import type { Overview, Totals } from "./types";

interface Change {
  text: string;
  direction: "up" | "down" | "flat";
}

export interface Kpi {
  id: string;
  label: MessageKey;
  value: string;
  /** Further lines under the value (revenue in other currencies). */
  extra?: string[];
  hint?: string;
  change?: Change | null;
  previous?: string;
}

function direction(delta: number): Change["direction"] {
  return delta > 0 ? "up" : delta < 0 ? "down" : "flat";
}

function countChange(current: number, previous: number, t: TFunction, locale: Locale): Change {
  const change = relativeChange(current, previous);
  if (change === null) return { text: t("analytics.kpi.noChange"), direction: "flat" };
  return { text: t("analytics.kpi.change", { change: showSignedPercent(change, locale) }), direction: direction(change) };
}

function rateChange(current: number | null, previous: number | null, t: TFunction, locale: Locale): Change {
  if (current === null || previous === null) return { text: t("analytics.kpi.noChange"), direction: "flat" };
  const points = Math.round((current - previous) * 1000) / 10;
  return { text: t("analytics.kpi.changePoints", { change: showSignedPoints(points, locale) }), direction: direction(points) };
}

/** Won revenue in one currency (0 when none was won in it). */
export function revenueIn(totals: Totals, currency: string): number {
  return amount(totals.revenue.find((m) => m.currency === currency)?.amount);
}

/** The Overview's key figures, each with its change against the compared period when there is one. */
export function overviewKpis(data: Overview, t: TFunction, locale: Locale): Kpi[] {
  const { totals, previous } = data;
  const currency = data.range.currency;
  const counts: [string, MessageKey, keyof Totals][] = [
    ["visitors", "analytics.kpi.visitors", "visitors"],
    ["sessions", "analytics.kpi.sessions", "sessions"],
    ["leads", "analytics.kpi.leads", "leads"],
    ["qualified", "analytics.kpi.qualified", "qualified"],
    ["won", "analytics.kpi.won", "won"],
  ];
  const kpis: Kpi[] = counts.map(([id, label, field]) => {
    const value = amount(totals[field] as number);
    const before = previous ? amount(previous[field] as number) : null;
    return {
      id,
      label,
      value: showCount(value, locale),
      change: before === null ? null : countChange(value, before, t, locale),
      previous: before === null ? undefined : showCount(before, locale),
    };
  });
  const revenue = revenueIn(totals, currency);
  const revenueBefore = previous ? revenueIn(previous, currency) : null;
  kpis.push({
    id: "revenue",
    label: "analytics.kpi.revenue",
    value: showMoney(revenue, locale, currency),
    extra: totals.revenue.filter((m) => m.currency !== currency).map((m) => showMoney(m.amount, locale, m.currency)),
    change: revenueBefore === null ? null : countChange(revenue, revenueBefore, t, locale),
    previous: revenueBefore === null ? undefined : showMoney(revenueBefore, locale, currency),
  });
  const rates: [string, MessageKey, MessageKey, "conversion_rate" | "qualification_rate" | "win_rate"][] = [
    ["conversion_rate", "analytics.kpi.conversionRate", "analytics.kpi.conversionRateHint", "conversion_rate"],
    ["qualification_rate", "analytics.kpi.qualificationRate", "analytics.kpi.qualificationRateHint", "qualification_rate"],
    ["win_rate", "analytics.kpi.winRate", "analytics.kpi.winRateHint", "win_rate"],
  ];
  for (const [id, label, hint, field] of rates) {
    kpis.push({
      id,
      label,
      value: showPercent(totals[field], locale),
      hint: t(hint),
      change: previous ? rateChange(totals[field], previous[field], t, locale) : null,
      previous: previous ? showPercent(previous[field], locale) : undefined,
    });
  }
  const noSpend = data.cost_note === "no_spend_data" || totals.cost === null;
  kpis.push(
    {
      id: "cost",
      label: "analytics.kpi.cost",
      value: noSpend ? DASH : showMoney(totals.cost, locale, currency),
      hint: noSpend ? t("analytics.kpi.noSpend") : undefined,
      change: !noSpend && previous?.cost != null ? countChange(amount(totals.cost), amount(previous.cost), t, locale) : null,
    },
    {
      id: "roas",
      label: "analytics.kpi.roas",
      value: noSpend || totals.roas === null ? DASH : `${showCount(Math.round(totals.roas * 100) / 100, locale)}×`,
      hint: noSpend ? t("analytics.kpi.noSpend") : undefined,
      change: null,
    },
  );
  const profit = totals.profit;
  if (profit) {
    const m = (v: string) => showMoney(v, locale, currency);
    const before = previous?.profit;
    kpis.push(
      {
        id: "net-revenue",
        label: "profit.netRevenue",
        value: m(profit.net_revenue),
        change: before ? countChange(amount(profit.net_revenue), amount(before.net_revenue), t, locale) : null,
      },
      {
        id: "profit",
        label: "profit.kpi",
        value: m(profit.profit),
        // The formula with this period's terms: a profit is only trusted when it can be checked.
        hint: t("profit.breakdown", {
          revenue: m(profit.revenue),
          refunds: m(profit.refunds),
          chargebacks: m(profit.chargebacks),
          fees: m(profit.fees),
          taxes: m(profit.taxes),
          costs: m(profit.product_costs),
          commissions: m(profit.commissions),
          spend: m(profit.ad_spend),
        }),
        change: before ? countChange(amount(profit.profit), amount(before.profit), t, locale) : null,
      },
    );
  }
  return kpis;
}

const ICONS = { up: ArrowUpRight, down: ArrowDownRight, flat: Minus };

/** The key figures as a grid of cards (two columns on a phone). */
export function KpiGrid({ kpis }: { kpis: Kpi[] }) {
  const { t } = useI18n();
  return (
    <section aria-label={t("analytics.overview.kpis")}>
      <ul className="grid grid-cols-2 gap-3 md:grid-cols-3 xl:grid-cols-4">
        {kpis.map((kpi) => {
          const Icon = kpi.change ? ICONS[kpi.change.direction] : null;
          return (
            <li key={kpi.id}>
              <Card className="flex h-full flex-col gap-1 p-4" data-testid={`kpi-${kpi.id}`}>
                <h3 className="text-xs font-medium uppercase tracking-wide text-muted-foreground">{t(kpi.label)}</h3>
                <p className="text-2xl font-semibold tabular-nums" data-testid="kpi-value">
                  {kpi.value}
                </p>
                {kpi.extra?.map((line) => (
                  <p key={line} className="text-sm tabular-nums text-muted-foreground">
                    {line}
                  </p>
                ))}
                {kpi.change && Icon ? (
                  <p
                    className={cn(
                      "flex items-center gap-1 text-xs",
                      kpi.change.direction === "up" && "text-emerald-700 dark:text-emerald-400",
                      kpi.change.direction === "down" && "text-destructive",
                      kpi.change.direction === "flat" && "text-muted-foreground",
                    )}
                    title={kpi.previous ? t("analytics.kpi.previousValue", { value: kpi.previous }) : undefined}
                    data-testid="kpi-change"
                  >
                    <Icon className="h-3.5 w-3.5 shrink-0" aria-hidden />
                    {kpi.change.text}
                  </p>
                ) : null}
                {kpi.hint ? <p className="text-xs text-muted-foreground">{kpi.hint}</p> : null}
              </Card>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
