/** Shapes of the e-mail contacts API, derived from `paths`. */
import type { paths } from "@/api/schema";

type Json<T> = T extends { content: { "application/json": infer J } } ? J : never;
type ReqBody<T> = T extends { requestBody?: infer B } ? Json<NonNullable<B>> : never;

export type ContactsPage = Json<paths["/api/email/contacts"]["get"]["responses"][200]>;
export type EmailContact = ContactsPage["items"][number];
export type ContactStatus = EmailContact["status"];
export type ImportUpload = Json<paths["/api/email/contacts/imports"]["post"]["responses"][201]>;
export type ContactImport = ImportUpload["contact_import"];
export type ImportStart = ReqBody<paths["/api/email/contacts/imports/{import_id}/start"]["post"]>;
export type ImportMapping = ImportStart["mapping"];
export type SubscriptionForm = Json<paths["/api/email/forms"]["get"]["responses"][200]>[number];
export type FormIn = ReqBody<paths["/api/email/forms"]["post"]>;
export type Audience = Json<paths["/api/email/audiences"]["get"]["responses"][200]>[number];

export const CONTACT_STATUSES: ContactStatus[] = ["active", "unconfirmed", "suppressed", "bounced", "complained", "unsubscribed"];
export const CONTACTS_KEY = ["email", "contacts"] as const;
export const IMPORTS_KEY = ["email", "contact-imports"] as const;
export const FORMS_KEY = ["email", "forms"] as const;
export const AUDIENCES_KEY = ["email", "audiences"] as const;
