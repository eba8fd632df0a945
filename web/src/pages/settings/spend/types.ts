/**
 * Ad spend's payload types (from the generated `paths`), the platforms whose spend is
 * imported and the vault services whose credentials read each one's reports.
 */
import type { paths } from "@/api/schema";
import type { MessageKey } from "@/i18n";

export type AdAccount = paths["/api/analytics/spend/accounts"]["get"]["responses"][200]["content"]["application/json"][number];
export type AdAccountCreate = paths["/api/analytics/spend/accounts"]["post"]["requestBody"]["content"]["application/json"];
export type SpendImport = AdAccount["last_run"] & {};
export type CsvPreview = paths["/api/analytics/spend/csv/preview"]["post"]["responses"][200]["content"]["application/json"];
export type SpendPlatform = AdAccountCreate["platform"];

export const SPEND_PLATFORMS = ["meta", "google", "tiktok", "linkedin"] as const satisfies readonly SpendPlatform[];

/** The vault services a platform's credential may be (as the server checks them). */
export const CREDENTIAL_SERVICES: Record<SpendPlatform, string[]> = {
  meta: ["meta_ads", "meta"],
  google: ["google_ads"],
  tiktok: ["tiktok_ads"],
  linkedin: ["linkedin"],
};

export const SPEND_KEY = ["analytics", "spend"] as const;
export const ACCOUNTS_KEY = [...SPEND_KEY, "accounts"] as const;
export const IMPORTS_KEY = [...SPEND_KEY, "imports"] as const;
export const SPEND_ADMIN = "analytics:admin";

/** While a run is queued or running, its lists are polled this often (ms). */
export const POLL_MS = 2000;

export function isActive(run: SpendImport | null | undefined): boolean {
  return run?.status === "queued" || run?.status === "running";
}

export const importStatusKey = (status: string): MessageKey => `spend.status.${status}` as MessageKey;
export const importKindKey = (kind: string): MessageKey => `spend.kind.${kind}` as MessageKey;

/** One logged error of a run in words: "Row 3 · Spend: negative", "2026-01-01–2026-01-31 (attempt 2): …". */
export function describeRunError(error: Record<string, unknown>, t: (key: MessageKey, vars?: Record<string, string | number>) => string): string {
  const message = typeof error.message === "string" ? error.message : JSON.stringify(error);
  const parts: string[] = [];
  if (typeof error.row === "number") parts.push(t("spend.error.row", { row: error.row }));
  if (typeof error.column === "string") parts.push(error.column);
  if (Array.isArray(error.window) && error.window.length === 2) parts.push(`${String(error.window[0])} – ${String(error.window[1])}`);
  if (typeof error.attempt === "number") parts.push(t("spend.error.attempt", { attempt: error.attempt }));
  return parts.length ? `${parts.join(" · ")}: ${message}` : message;
}
