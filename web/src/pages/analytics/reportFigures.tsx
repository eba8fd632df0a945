/**
 * The campaign, channel and landing-page reports' payload types (from the generated
 * `paths`) and the figure columns they share: counts, money, rates and durations, each with
 * its unformatted value (what the table sorts by and the CSV holds) and how it is shown.
 */
import type { paths } from "@/api/schema";
import type { SortableColumn } from "@/components/ui/sortable-table";
import type { Locale, MessageKey, TFunction } from "@/i18n";
import { formatMoney, formatNumber, formatPercent } from "@/lib/format";

type Ok<P extends keyof paths> = paths[P] extends { get: { responses: { 200: { content: { "application/json": infer J } } } } } ? J : never;

export type CampaignReport = Ok<"/api/analytics/campaigns">;
export type CampaignRow = CampaignReport["rows"][number];
export type Figures = CampaignRow["current"];
export type CampaignGrouping = CampaignReport["group_by"];
export type ChannelReport = Ok<"/api/analytics/channels">;
export type ChannelRow = ChannelReport["rows"][number];
export type OfflineReport = Ok<"/api/analytics/offline-conversions">;
export type OfflineRow = OfflineReport["by_source"][number];
export type OfflineFigures = OfflineRow["current"];
export type LandingPageReport = Ok<"/api/analytics/landing-pages">;
export type LandingPageRow = LandingPageReport["rows"][number];
export type FunnelFigures = LandingPageRow["current"];

const NONE = "—";

/** A decimal amount from the API (a JSON string) as a number; null stays null. */
export function amount(value: string | number | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** A ratio rounded for the table and CSV (4 decimals), null when there is none. */
export function rounded(value: number | null | undefined, digits = 4): number | null {
  return value === null || value === undefined || !Number.isFinite(value) ? null : Number(value.toFixed(digits));
}

/** Seconds in the largest sensible unit (minutes, hours, days), in the locale's words. */
export function formatDuration(seconds: number | null | undefined, locale: Locale): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return NONE;
  const [value, unit] = seconds >= 86_400 ? [seconds / 86_400, "day"] : seconds >= 3600 ? [seconds / 3600, "hour"] : [seconds / 60, "minute"];
  return new Intl.NumberFormat(locale, { style: "unit", unit, unitDisplay: "short", maximumFractionDigits: 1 }).format(value);
}

/** The helpers that build one report's columns in the current language and currency. */
export function figureColumns(t: TFunction, locale: Locale, currency: string) {
  const count = <T,>(id: string, labelKey: MessageKey, value: (row: T) => number | null | undefined, header?: string): SortableColumn<T> => ({
    id,
    header: header ?? t(labelKey),
    numeric: true,
    value: (row) => value(row) ?? null,
    render: (row) => {
      const v = value(row);
      return v === null || v === undefined ? NONE : formatNumber(v, locale);
    },
  });
  const money = <T,>(id: string, labelKey: MessageKey, value: (row: T) => string | number | null | undefined, header?: string): SortableColumn<T> => ({
    id,
    header: header ?? t(labelKey),
    numeric: true,
    value: (row) => amount(value(row)),
    render: (row) => {
      const v = amount(value(row));
      return v === null ? NONE : formatMoney(v, locale, currency);
    },
  });
  const percent = <T,>(id: string, labelKey: MessageKey, value: (row: T) => number | null | undefined, header?: string): SortableColumn<T> => ({
    id,
    header: header ?? t(labelKey),
    numeric: true,
    value: (row) => rounded(value(row)),
    render: (row) => {
      const v = value(row);
      return v === null || v === undefined ? NONE : formatPercent(v, locale);
    },
  });
  const decimal = <T,>(id: string, labelKey: MessageKey, value: (row: T) => number | null | undefined): SortableColumn<T> => ({
    id,
    header: t(labelKey),
    numeric: true,
    value: (row) => rounded(value(row), 2),
    render: (row) => {
      const v = value(row);
      return v === null || v === undefined ? NONE : formatNumber(v, locale, { maximumFractionDigits: 2 });
    },
  });
  const duration = <T,>(id: string, labelKey: MessageKey, value: (row: T) => number | null | undefined): SortableColumn<T> => ({
    id,
    header: t(labelKey),
    numeric: true,
    value: (row) => rounded(value(row), 0),
    render: (row) => formatDuration(value(row), locale),
  });
  /** Revenue in other currencies, "USD 1,200.00; EUR 30.00" (never added to the revenue). */
  const otherMoney = <T,>(id: string, value: (row: T) => { currency: string; amount: string }[]): SortableColumn<T> => ({
    id,
    header: t("analytics.col.otherRevenue"),
    value: (row) => value(row).map((m) => `${m.currency} ${m.amount}`).join("; ") || null,
    render: (row) => value(row).map((m) => formatMoney(Number(m.amount), locale, m.currency)).join("; ") || NONE,
  });
  return { count, money, percent, decimal, duration, otherMoney };
}

/** Why the cost columns are empty, in words. */
export function costNote(t: TFunction, note: string | null | undefined): string | null {
  return note === "no_spend_data" ? t("analytics.cost.noSpendData") : null;
}
