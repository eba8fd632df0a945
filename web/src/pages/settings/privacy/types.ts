/** Shapes of the privacy API, derived from `paths`. */
import type { paths } from "@/api/schema";

type Json<T> = T extends { content: { "application/json": infer J } } ? J : never;
type ReqBody<T> = T extends { requestBody?: infer B } ? Json<NonNullable<B>> : never;

export type AuditPage = Json<paths["/api/privacy/audit"]["get"]["responses"][200]>;
export type AuditEntry = AuditPage["items"][number];
export type AuditQuery = NonNullable<paths["/api/privacy/audit"]["get"]["parameters"]["query"]>;
export type AuditAction = NonNullable<AuditQuery["action"]>;
export type RequestsPage = Json<paths["/api/privacy/requests"]["get"]["responses"][200]>;
export type SubjectRequest = RequestsPage["items"][number];
export type SubjectRequestCreate = ReqBody<paths["/api/privacy/requests"]["post"]>;
export type RequestKind = SubjectRequestCreate["kind"];
export type RequestStatus = SubjectRequest["status"];

export const AUDIT_ACTIONS: readonly AuditAction[] = ["read", "list", "export", "admin", "delete"];
