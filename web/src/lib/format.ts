/** Locale-aware formatting helpers (Intl). Every function takes the locale explicitly. */
import type { Locale } from "@/i18n";

export function formatNumber(value: number, locale: Locale, options?: Intl.NumberFormatOptions): string {
  return new Intl.NumberFormat(locale, options).format(value);
}

/** Money, BRL by default: pt-BR → "R$ 1.234,56", en → "R$1,234.56". */
export function formatMoney(value: number, locale: Locale, currency = "BRL"): string {
  return new Intl.NumberFormat(locale, { style: "currency", currency }).format(value);
}

/** Money from integer cents (the backend stores amounts as cents). */
export function formatCents(cents: number, locale: Locale, currency = "BRL"): string {
  return formatMoney(cents / 100, locale, currency);
}

export function formatPercent(ratio: number, locale: Locale, maximumFractionDigits = 1): string {
  return new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits }).format(ratio);
}

function toDate(value: string | number | Date): Date {
  return value instanceof Date ? value : new Date(value);
}

/** Date only: pt-BR "31/01/2025", en "Jan 31, 2025". */
export function formatDate(value: string | number | Date, locale: Locale, timeZone?: string): string {
  const opts: Intl.DateTimeFormatOptions =
    locale === "pt-BR"
      ? { day: "2-digit", month: "2-digit", year: "numeric", timeZone }
      : { day: "numeric", month: "short", year: "numeric", timeZone };
  return new Intl.DateTimeFormat(locale, opts).format(toDate(value));
}

/** Date and time: pt-BR "31/01/2025, 14:05", en "Jan 31, 2025, 2:05 PM". */
export function formatDateTime(value: string | number | Date, locale: Locale, timeZone?: string): string {
  const opts: Intl.DateTimeFormatOptions =
    locale === "pt-BR"
      ? { day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit", timeZone }
      : { day: "numeric", month: "short", year: "numeric", hour: "numeric", minute: "2-digit", timeZone };
  return new Intl.DateTimeFormat(locale, opts).format(toDate(value));
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

/** Relative time: pt-BR "há 5 minutos", en "5 minutes ago". */
export function formatRelative(value: string | number | Date, locale: Locale, now: Date = new Date()): string {
  const diffSeconds = Math.round((toDate(value).getTime() - now.getTime()) / 1000);
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  const abs = Math.abs(diffSeconds);
  for (const [unit, seconds] of UNITS) {
    if (abs >= seconds || unit === "second") {
      return rtf.format(Math.round(diffSeconds / seconds), unit);
    }
  }
  return rtf.format(0, "second");
}
