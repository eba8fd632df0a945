/** Shapes of the recovery API, derived from `paths`. */
import type { paths } from "@/api/schema";

type Json<T> = T extends { content: { "application/json": infer J } } ? J : never;
type ReqBody<T> = T extends { requestBody?: infer B } ? Json<NonNullable<B>> : never;

export type RecoveryReport = Json<paths["/api/recovery/report"]["get"]["responses"][200]>;
export type CampaignRow = RecoveryReport["by_campaign"][number];
export type RecoveryDay = RecoveryReport["by_day"][number];
export type CasePage = Json<paths["/api/recovery/cases"]["get"]["responses"][200]>;
export type RecoveryCase = CasePage["items"][number];
export type RecoverySettings = Json<paths["/api/funnels/{funnel_id}/recovery/settings"]["get"]["responses"][200]>;
export type RecoverySettingsIn = ReqBody<paths["/api/funnels/{funnel_id}/recovery/settings"]["put"]>;

export const RECOVERY_WRITE = "recovery:write";

/** YYYY-MM-DD of a local date. */
export function isoDay(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The default period: the last 30 days, today included. */
export function defaultPeriod(today: Date = new Date()): { from: string; to: string } {
  const start = new Date(today);
  start.setDate(start.getDate() - 29);
  return { from: isoDay(start), to: isoDay(today) };
}
