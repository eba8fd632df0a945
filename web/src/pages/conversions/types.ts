/** Shapes of the conversions API, derived from `paths` (never from component schema names). */
import type { paths } from "@/api/schema";

type Json<T> = T extends { content: { "application/json": infer J } } ? J : never;
type ReqBody<T> = T extends { requestBody?: infer B } ? Json<NonNullable<B>> : never;

export type ConversionsPage = Json<paths["/api/conversions"]["get"]["responses"][200]>;
export type Conversion = ConversionsPage["items"][number];
export type PlatformSync = NonNullable<Conversion["platforms"]>[number];
export type ConversionQuery = NonNullable<paths["/api/conversions"]["get"]["parameters"]["query"]>;
export type ConversionDetail = Json<paths["/api/conversions/{conversion_id}"]["get"]["responses"][200]>;
export type SyncLogEntry = ConversionDetail["sync_log"][number];
export type PlatformHealth = Json<paths["/api/conversions/health"]["get"]["responses"][200]>[number];
export type BreakerState = PlatformHealth["breaker_state"];
export type HealthState = PlatformHealth["state"];
export type ConversionSettingsOut = Json<paths["/api/conversions/settings"]["get"]["responses"][200]>;
export type ConversionSettingsIn = ReqBody<paths["/api/conversions/settings"]["put"]>;
export type PlatformAction = NonNullable<ConversionSettingsIn["actions"]>[string][string];
export type ActionSource = NonNullable<PlatformAction["action_source"]>;
export type Platform = NonNullable<ConversionQuery["platform"]>;
export type SyncStatus = NonNullable<ConversionQuery["status"]>;

/** Permission strings of the conversions module (GET /api/auth/me → permissions). */
export const CONVERSIONS_READ = "conversions:read";
export const CONVERSIONS_WRITE = "conversions:write";
export const CONVERSIONS_ADMIN = "conversions:admin";

/** Seed 000's ad platforms (attribution windows and conversion mappings apply to them). */
export const AD_PLATFORMS = ["google", "meta", "linkedin", "tiktok"] as const satisfies readonly Platform[];
export type AdPlatform = (typeof AD_PLATFORMS)[number];
/** Every destination a conversion can have a delivery state on (UTMify: order postback). */
export const PLATFORMS = [...AD_PLATFORMS, "utmify"] as const satisfies readonly Platform[];
export const SYNC_STATUSES = ["pending", "sent", "failed", "expired", "not_applicable"] as const satisfies readonly SyncStatus[];
export const ACTION_SOURCES = [
  "system_generated",
  "website",
  "email",
  "app",
  "phone_call",
  "chat",
  "physical_store",
  "business_messaging",
  "other",
] as const satisfies readonly ActionSource[];

/** Seed 000's attribution windows after the click, in days (the server's defaults). */
export const DEFAULT_WINDOWS: Record<AdPlatform, number> = { google: 90, meta: 28, linkedin: 90, tiktok: 28 };

/** Which mapping fields each platform reads (Google/LinkedIn: an action id; Meta/TikTok: an event name). */
export const ACTION_FIELDS: Record<AdPlatform, readonly ("event_name" | "action_id" | "action_source")[]> = {
  google: ["action_id"],
  meta: ["event_name", "action_source"],
  linkedin: ["action_id"],
  tiktok: ["event_name"],
};
