/** Shapes of the analytics API's answers, derived from the generated `paths`. */
import type { paths } from "@/api/schema";

type Json<T> = T extends { content: { "application/json": infer J } } ? J : never;

export type Overview = Json<paths["/api/analytics/overview"]["get"]["responses"][200]>;
export type Totals = Overview["totals"];
export type SeriesPoint = Overview["series"][number];
export type BreakdownRow = Overview["by_channel"][number];
export type ReturningVisitors = Json<paths["/api/analytics/visitors/returning"]["get"]["responses"][200]>;
export type VisitorSegment = ReturningVisitors["segments"][number];
export type Behavior = Json<paths["/api/analytics/behavior"]["get"]["responses"][200]>;
export type PathRow = Behavior["top_paths"][number];
export type EventTypeRow = Behavior["events_by_type"][number];
export type Journeys = Json<paths["/api/analytics/journeys"]["get"]["responses"][200]>;
export type JourneyPath = Journeys["paths"][number];
export type Cohorts = Json<paths["/api/analytics/cohorts"]["get"]["responses"][200]>;
export type CohortRow = Cohorts["cohorts"][number];
