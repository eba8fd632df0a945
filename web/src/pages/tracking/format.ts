/** Formatting helpers of the tracking pages. */
import { hasKey, type Locale, type TFunction } from "@/i18n";
import { formatNumber, formatPercent } from "@/lib/format";

/**
 * Seconds as a duration: "0:07", "3:05", "61:40" (minutes are not wrapped into hours
 * below 100 minutes), "1:42:05" from 100 minutes on. Null, negative or not finite → null.
 */
export function formatTimeOnPage(seconds: number | null | undefined): string | null {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return null;
  const total = Math.round(seconds);
  const s = total % 60;
  const minutes = Math.floor(total / 60);
  if (minutes < 100) return `${String(minutes).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
}

/** "google / cpc", "google", "— / cpc" or null when both are empty. */
export function sourceMedium(source: string | null | undefined, medium: string | null | undefined): string | null {
  if (!source && !medium) return null;
  if (!medium) return source ?? null;
  return `${source || "—"} / ${medium}`;
}

/** A short, recognisable form of an opaque id: first 10 characters and an ellipsis. */
export function shortId(id: string, length = 10): string {
  return id.length > length + 1 ? `${id.slice(0, length)}…` : id;
}

/** UTM fields and click ids of a touch, in display order (shown when present). */
export const TOUCH_FIELDS = [
  "utm_source",
  "utm_medium",
  "utm_campaign",
  "utm_term",
  "utm_content",
  "utm_id",
  "gclid",
  "gbraid",
  "wbraid",
  "fbclid",
  "ttclid",
  "li_fat_id",
  "msclkid",
  "src",
  "sck",
] as const;

/** A JSON-ish value as one line of text (for event data and URL parameters). */
export function valueText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** An event type as people say it ("page_view" → "Page view"); a custom name as collected. */
export function eventTypeLabel(t: TFunction, type: string): string {
  const key = `tracking.eventType.${type}`;
  return hasKey(key) ? t(key) : type;
}

/** An event's value as people read it: a number without trailing zeros, a scroll depth in %. */
export function eventValueText(type: string, value: string | number | null | undefined, locale: Locale): string {
  if (value === null || value === undefined || value === "") return "";
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n)) return String(value);
  if (type === "scroll") return formatPercent(n / 100, locale, 0);
  return formatNumber(n, locale, { maximumFractionDigits: 2 });
}

/** An event's data as labelled fields: known keys translated, collected ones as they are. */
export function eventDataFields(t: TFunction, data: Record<string, unknown> | null | undefined): [string, string][] {
  return Object.entries(data ?? {}).map(([key, value]) => {
    const label = `tracking.eventField.${key}`;
    return [hasKey(label) ? t(label) : key, valueText(value)];
  });
}
