/** Shapes of the CRM API, derived from `paths` (never from component schema names). */
import type { paths } from "@/api/schema";

type Json<T> = T extends { content: { "application/json": infer J } } ? J : never;
type ReqBody<T> = T extends { requestBody?: infer B } ? Json<NonNullable<B>> : never;

export type LeadsPage = Json<paths["/api/leads"]["get"]["responses"][200]>;
export type LeadSummary = LeadsPage["items"][number];
export type LeadQuery = NonNullable<paths["/api/leads"]["get"]["parameters"]["query"]>;
export type LeadDetail = Json<paths["/api/leads/{lead_id}"]["get"]["responses"][200]>;
export type Lead = LeadDetail["lead"];
export type LeadStage = LeadDetail["stages"][number];
export type Task = LeadDetail["tasks"][number];
export type Note = LeadDetail["notes"][number];
export type Activity = LeadDetail["activities"][number];
export type LeadJourney = Json<paths["/api/leads/{lead_id}/journey"]["get"]["responses"][200]>;
export type JourneySession = LeadJourney["sessions"][number];
export type StageChange = ReqBody<paths["/api/leads/{lead_id}/stages"]["post"]>;
export type StageChangeOut = Json<paths["/api/leads/{lead_id}/stages"]["post"]["responses"][201]>;
export type Stage = StageChange["stage_name"];
export type Score = LeadSummary["lead_score"];
export type Pipeline = Json<paths["/api/pipeline"]["get"]["responses"][200]>;
export type PipelineColumn = Pipeline["stages"][number];
export type PipelineCard = PipelineColumn["cards"][number];
export type TaskCreate = ReqBody<paths["/api/tasks"]["post"]>;
export type NoteCreate = ReqBody<paths["/api/notes"]["post"]>;

export type IntegrationLogPage = Json<paths["/api/integrations-log"]["get"]["responses"][200]>;
export type IntegrationLog = IntegrationLogPage["items"][number];

export type DestinationsPage = Json<paths["/api/crm/destinations"]["get"]["responses"][200]>;
export type Destination = DestinationsPage["items"][number];
export type DestinationCreate = ReqBody<paths["/api/crm/destinations"]["post"]>;
export type DestinationUpdate = ReqBody<paths["/api/crm/destinations/{destination_id}"]["patch"]>;
export type DestinationTestResult = Json<paths["/api/crm/destinations/{destination_id}/test"]["post"]["responses"][200]>;
export type IntegrationName = DestinationCreate["integration_name"];

export type WebhookConfig = Json<paths["/api/crm/webhooks"]["get"]["responses"][200]>;
export type IssuedWebhookToken = Json<paths["/api/crm/webhooks/rotate-token"]["post"]["responses"][200]>;
export type IssuedGenericSecret = Json<paths["/api/crm/webhooks/rotate-generic-secret"]["post"]["responses"][200]>;
export type StageMappings = Json<paths["/api/crm/stage-mappings"]["get"]["responses"][200]>;
export type WebhookDeliveriesPage = Json<paths["/api/crm/webhook-deliveries"]["get"]["responses"][200]>;
export type WebhookDelivery = WebhookDeliveriesPage["items"][number];
export type ResolveDelivery = ReqBody<paths["/api/crm/webhook-deliveries/{delivery_id}/resolve"]["post"]>;

/** Permission strings of the CRM module (GET /api/auth/me → permissions). */
export const CRM_READ = "crm:read";
export const CRM_WRITE = "crm:write";
export const CRM_ADMIN = "crm:admin";

/** The pipeline, in board order. */
export const STAGES = ["new", "qualified", "proposal", "negotiation", "won", "lost"] as const satisfies readonly Stage[];
export const SCORES = ["A", "B", "C", "D"] as const satisfies readonly Score[];

export type ContactsPage = Json<paths["/api/contacts"]["get"]["responses"][200]>;
export type Contact = ContactsPage["items"][number];
export type ContactDetail = Json<paths["/api/contacts/{contact_id}"]["get"]["responses"][200]>;
export type DealsPage = Json<paths["/api/deals"]["get"]["responses"][200]>;
export type Deal = DealsPage["items"][number];
export type DealQuery = NonNullable<paths["/api/deals"]["get"]["parameters"]["query"]>;
export type DealUpdate = ReqBody<paths["/api/deals/{deal_id}"]["patch"]>;
