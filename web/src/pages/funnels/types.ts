/** Shapes of the funnels API, derived from `paths`. */
import type { paths } from "@/api/schema";

type Json<T> = T extends { content: { "application/json": infer J } } ? J : never;
type ReqBody<T> = T extends { requestBody?: infer B } ? Json<NonNullable<B>> : never;

export type FunnelsPage = Json<paths["/api/funnels"]["get"]["responses"][200]>;
export type Funnel = FunnelsPage["items"][number];
export type FunnelDetail = Json<paths["/api/funnels/{funnel_id}"]["get"]["responses"][200]>;
export type Step = FunnelDetail["steps"][number];
export type StepType = Step["step_type"];
export type FunnelCreate = ReqBody<paths["/api/funnels"]["post"]>;
export type StepCreate = ReqBody<paths["/api/funnels/{funnel_id}/steps"]["post"]>;
export type StepUpdate = ReqBody<paths["/api/funnels/{funnel_id}/steps/{step_id}"]["put"]>;
export type CheckoutConfig = Json<paths["/api/checkout/{funnel_id}/{step_id}"]["get"]["responses"][200]>;
export type CheckoutConfigIn = ReqBody<paths["/api/checkout/{funnel_id}/{step_id}"]["put"]>;
export type PixelsPage = Json<paths["/api/tracking/pixels"]["get"]["responses"][200]>;
export type Pixel = PixelsPage["items"][number];
export type PixelCreate = ReqBody<paths["/api/tracking/pixels"]["post"]>;

export const FUNNELS_WRITE = "funnels:write";
export const FUNNELS_SCRIPTS = "funnels:scripts";
export const STEP_TYPES: StepType[] = ["capture", "vsl", "checkout", "upsell", "downsell", "thankyou"];
export const OFFER_STEPS: StepType[] = ["checkout", "upsell", "downsell"];
export const PIXEL_TYPES: Pixel["pixel_type"][] = ["facebook", "google", "tiktok", "custom"];

/** The ids in their new order after moving the one at `from` to `to` (both clamped). */
export function moveItem<T>(items: readonly T[], from: number, to: number): T[] {
  const next = [...items];
  if (from < 0 || from >= next.length) return next;
  const target = Math.max(0, Math.min(to, next.length - 1));
  const [moved] = next.splice(from, 1);
  next.splice(target, 0, moved as T);
  return next;
}
