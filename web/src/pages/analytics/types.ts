/** Shapes of the analytics API's answers, derived from the generated `paths`. */
import type { paths } from "@/api/schema";

type Json<T> = T extends { content: { "application/json": infer J } } ? J : never;

export type Overview = Json<paths["/api/analytics/overview"]["get"]["responses"][200]>;
export type Totals = Overview["totals"];
export type SeriesPoint = Overview["series"][number];
export type BreakdownRow = Overview["by_channel"][number];
