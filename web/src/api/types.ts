/** Shapes of API payloads, derived from `paths` (never from component schema names). */
import type { paths } from "./schema";

type Json<T> = T extends { content: { "application/json": infer J } } ? J : never;
type ReqBody<T> = T extends { requestBody?: infer B } ? Json<NonNullable<B>> : never;

export type TokenPairOut = Json<paths["/api/auth/login"]["post"]["responses"][200]>;
export type Me = Json<paths["/api/auth/me"]["get"]["responses"][200]>;
export type MeUpdate = ReqBody<paths["/api/auth/me"]["patch"]>;
export type Role = Me["role"];
export type OrganizationWithRole = Me["organizations"][number];

export type MembersPage = Json<paths["/api/members"]["get"]["responses"][200]>;
export type Member = MembersPage["items"][number];
export type MemberInvite = ReqBody<paths["/api/members"]["post"]>;
export type InvitationCreated = Json<paths["/api/members"]["post"]["responses"][201]>;
export type InvitationsPage = Json<paths["/api/members/invitations"]["get"]["responses"][200]>;
export type Invitation = InvitationsPage["items"][number];
export type MyInvitation = Json<paths["/api/auth/invitations"]["get"]["responses"][200]>[number];

export type ApiKeysPage = Json<paths["/api/api-keys"]["get"]["responses"][200]>;
export type ApiKey = ApiKeysPage["items"][number];
export type ApiKeyScope = Json<paths["/api/api-keys/scopes"]["get"]["responses"][200]>[number];
export type ApiKeyCreated = Json<paths["/api/api-keys"]["post"]["responses"][201]>;

export type CredentialsPage = Json<paths["/api/credentials"]["get"]["responses"][200]>;
export type Credential = CredentialsPage["items"][number];
export type CredentialService = Json<paths["/api/credentials/services"]["get"]["responses"][200]>[number];
export type CredentialCreate = ReqBody<paths["/api/credentials"]["post"]>;
export type CredentialUpdate = ReqBody<paths["/api/credentials/{credential_id}"]["put"]>;

export const ROLES = ["admin", "manager", "analyst", "viewer"] as const satisfies readonly Role[];
