/** Report figures as the pages show them: never NaN, "—" where there is nothing to show. */
import type { Locale } from "@/i18n";
import { formatMoney, formatNumber } from "@/lib/format";

export const DASH = "—";

/** A number from the API (Decimals arrive as strings); anything unreadable is 0. */
export function amount(value: string | number | null | undefined): number {
  const n = typeof value === "number" ? value : Number(value ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/** A ratio as a percentage with one decimal, for tables and CSV (12.5 for 0.125); null stays null. */
export function percentValue(ratio: number | null | undefined): number | null {
  return ratio === null || ratio === undefined || !Number.isFinite(ratio) ? null : Math.round(ratio * 1000) / 10;
}

export function showCount(value: number, locale: Locale): string {
  // Attribution models credit fractions of a lead; whole counts print as they are.
  return formatNumber(amount(value), locale, { maximumFractionDigits: 2 });
}

export function showPercent(ratio: number | null | undefined, locale: Locale): string {
  return ratio === null || ratio === undefined || !Number.isFinite(ratio) ? DASH : formatNumber(ratio, locale, { style: "percent", maximumFractionDigits: 1 });
}

export function showMoney(value: string | number | null | undefined, locale: Locale, currency: string): string {
  return formatMoney(amount(value), locale, currency);
}

/** The relative change from `previous` to `current` (0.25 = +25 %), or null when there was nothing before. */
export function relativeChange(current: number, previous: number): number | null {
  if (!Number.isFinite(current) || !Number.isFinite(previous) || previous === 0) return null;
  return (current - previous) / previous;
}

export function showSignedPercent(change: number, locale: Locale): string {
  return formatNumber(change, locale, { style: "percent", maximumFractionDigits: 1, signDisplay: "exceptZero" });
}

export function showSignedPoints(points: number, locale: Locale): string {
  return formatNumber(points, locale, { maximumFractionDigits: 1, signDisplay: "exceptZero" });
}

/** A duration in seconds as days (from a day up) or hours, one decimal; null → "—". */
export function showDuration(seconds: number | null | undefined, locale: Locale, units: { days: string; hours: string }): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return DASH;
  const days = seconds / 86400;
  const value = days >= 1 ? days : seconds / 3600;
  return `${formatNumber(value, locale, { maximumFractionDigits: 1 })} ${days >= 1 ? units.days : units.hours}`;
}
