/** Shapes of the tracking API, derived from `paths` (never from component schema names). */
import type { paths } from "@/api/schema";

type Json<T> = T extends { content: { "application/json": infer J } } ? J : never;
type ReqBody<T> = T extends { requestBody?: infer B } ? Json<NonNullable<B>> : never;

export type DomainsPage = Json<paths["/api/domains"]["get"]["responses"][200]>;
export type Domain = DomainsPage["items"][number];
export type DomainCreate = ReqBody<paths["/api/domains"]["post"]>;
export type DomainUpdate = ReqBody<paths["/api/domains/{domain_id}"]["patch"]>;

export type LandingPagesPage = Json<paths["/api/landing-pages"]["get"]["responses"][200]>;
export type LandingPage = LandingPagesPage["items"][number];
export type LandingPageCreate = ReqBody<paths["/api/landing-pages"]["post"]>;
export type LandingPageUpdate = ReqBody<paths["/api/landing-pages/{page_id}"]["patch"]>;

export type AbTest = Json<paths["/api/ab-tests/{ab_test_id}"]["get"]["responses"][200]>;
export type AbTestCreate = ReqBody<paths["/api/ab-tests"]["post"]>;

export type LiveSessionsPage = Json<paths["/api/sessions/live"]["get"]["responses"][200]>;
export type SessionSummary = LiveSessionsPage["items"][number];
export type SessionTimeline = Json<paths["/api/sessions/{session_id}"]["get"]["responses"][200]>;
export type Touchpoint = SessionTimeline["touches"][number];
export type PageView = SessionTimeline["page_views"][number];
export type TrackedEvent = SessionTimeline["events"][number];
export type VisitorJourney = Json<paths["/api/journeys/{visitor_id}"]["get"]["responses"][200]>;

/** Permission strings of the tracking module (GET /api/auth/me → permissions). */
export const TRACKING_READ = "tracking:read";
export const TRACKING_WRITE = "tracking:write";
