/** Shapes of the A/B test results API and the pure helpers of its pages. */
import type { paths } from "@/api/schema";
import type { Locale, MessageKey, TFunction } from "@/i18n";
import { formatNumber, formatPercent } from "@/lib/format";

type Json<T> = T extends { content: { "application/json": infer J } } ? J : never;

export type AbTestReport = Json<paths["/api/analytics/ab-tests/{ab_test_id}"]["get"]["responses"][200]>;
export type AbTestSummary = Json<paths["/api/analytics/ab-tests"]["get"]["responses"][200]>[number];
export type AbVariant = AbTestReport["variants"][number];
export type AbVerdict = AbTestReport["leads"]["verdict"];
export type AbRateComparison = AbTestReport["leads"]["comparisons"][number];
export type AbRevenueComparison = AbTestReport["revenue"]["comparisons"][number];

/** The badge colour of each verdict code. */
export const VERDICT_VARIANT: Record<AbVerdict["code"], "default" | "secondary" | "success" | "destructive" | "outline"> = {
  collecting_data: "secondary",
  no_difference_yet: "outline",
  variant_wins: "success",
  control_wins: "default",
  srm_warning: "destructive",
};

export const METRICS = ["leads", "won", "revenue"] as const;
export type AbMetric = (typeof METRICS)[number];

/** The variant's name as the marketer set it: its label ("B"), else the page's name. */
export function variantName(variant: Pick<AbVariant, "page_variant" | "page_name">): string {
  return variant.page_variant ? `${variant.page_variant} · ${variant.page_name}` : variant.page_name;
}

/** p-values as a reader wants them: "< 0.001" when tiny, else three decimals. */
export function formatPValue(p: number | null | undefined, locale: Locale): string {
  if (p == null) return "—";
  if (p < 0.001) return `< ${formatNumber(0.001, locale)}`;
  return formatNumber(p, locale, { minimumFractionDigits: 3, maximumFractionDigits: 3 });
}

/** A difference of rates in percentage points, signed. */
export function formatPoints(difference: number | null | undefined, locale: Locale, t: TFunction): string {
  if (difference == null) return "—";
  const value = formatNumber(difference * 100, locale, { maximumFractionDigits: 2, signDisplay: "exceptZero" });
  return t("ab.pp", { value });
}

export function formatRatio(ratio: number | null | undefined, locale: Locale, signed = false): string {
  if (ratio == null) return "—";
  return new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1, signDisplay: signed ? "exceptZero" : "auto" }).format(ratio);
}

/** The verdict in words: a headline from the code and a sentence from its reason. */
export function verdictText(
  verdict: AbVerdict,
  report: Pick<AbTestReport, "rule" | "variants" | "sample_ratio">,
  winner: string | null | undefined,
  t: TFunction,
  locale: Locale,
): { headline: string; detail: string } {
  const winnerVariant = report.variants.find((v) => v.page_id === winner);
  const headline = t(`ab.verdict.${verdict.code}` as MessageKey, { variant: winnerVariant ? variantName(winnerVariant) : "" });
  const detail = t(`ab.reason.${verdict.reason}` as MessageKey, {
    minVisitors: formatNumber(report.rule.min_visitors, locale),
    minConversions: formatNumber(report.rule.min_conversions, locale),
    planned: verdict.planned_visitors == null ? "—" : formatNumber(verdict.planned_visitors, locale),
    mde: formatPercent(report.rule.minimum_detectable_effect, locale, 0),
    alpha: formatNumber(verdict.alpha, locale, { maximumFractionDigits: 4 }),
  });
  return { headline, detail };
}

export type ChartPoint = { date: string } & Record<string, number | null | string>;

/**
 * One point per day with each variant's cumulative figure: converted visitors (leads or won
 * deals) per visitor entered so far, or revenue per visitor so far. Null before a variant's
 * first visitor (never NaN).
 */
export function cumulativeSeries(report: Pick<AbTestReport, "series" | "variants">, metric: AbMetric): ChartPoint[] {
  const days = [...new Set(report.series.map((p) => p.date))].sort();
  const totals = new Map(report.variants.map((v) => [v.page_id, { visitors: 0, value: 0 }]));
  return days.map((date) => {
    const point: ChartPoint = { date };
    for (const entry of report.series.filter((p) => p.date === date)) {
      const total = totals.get(entry.page_id);
      if (!total) continue;
      total.visitors += entry.visitors;
      total.value += metric === "leads" ? entry.leads : metric === "won" ? entry.won : Number(entry.revenue);
    }
    for (const [pageId, total] of totals) point[pageId] = total.visitors ? total.value / total.visitors : null;
    return point;
  });
}
