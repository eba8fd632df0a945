/** Shapes of the e-mail API, derived from `paths` (never from component schema names). */
import type { paths } from "@/api/schema";
import type { Locale, MessageKey } from "@/i18n";
import { formatMoney } from "@/lib/format";

type Json<T> = T extends { content: { "application/json": infer J } } ? J : never;
type ReqBody<T> = T extends { requestBody?: infer B } ? Json<NonNullable<B>> : never;

export type Campaign = Json<paths["/api/email/campaigns/{campaign_id}"]["get"]["responses"][200]>;
export type CampaignCreate = ReqBody<paths["/api/email/campaigns"]["post"]>;
export type CampaignUpdate = ReqBody<paths["/api/email/campaigns/{campaign_id}"]["patch"]>;
export type CampaignStatus = Campaign["status"];
export type CampaignFigures = Json<paths["/api/email/campaign-figures"]["get"]["responses"][200]>[number];
export type CampaignReport = Json<paths["/api/email/campaigns/{campaign_id}/report"]["get"]["responses"][200]>;
export type DailyFigures = CampaignReport["days"][number];
export type LinkFigures = CampaignReport["links"][number];
export type RevenueFigure = CampaignReport["revenue"][number];

export type Template = Json<paths["/api/email/templates/{template_id}"]["get"]["responses"][200]>;
export type TemplateIn = ReqBody<paths["/api/email/templates"]["post"]>;
export type PreviewIn = ReqBody<paths["/api/email/preview"]["post"]>;
export type Preview = Json<paths["/api/email/preview"]["post"]["responses"][200]>;

export type Sender = Json<paths["/api/email/senders"]["get"]["responses"][200]>[number];
export type SenderCreate = ReqBody<paths["/api/email/senders"]["post"]>;

export type Audience = Json<paths["/api/email/audiences"]["get"]["responses"][200]>[number];
export type AudienceCreate = ReqBody<paths["/api/email/audiences"]["post"]>;

export type SuppressionsPage = Json<paths["/api/email/suppressions"]["get"]["responses"][200]>;
export type Suppression = SuppressionsPage["items"][number];
export type SuppressionIn = ReqBody<paths["/api/email/suppressions"]["post"]>;
export type UnsubscribesPage = Json<paths["/api/email/unsubscribes"]["get"]["responses"][200]>;
export type Unsubscribe = UnsubscribesPage["items"][number];

/** Permission strings of the e-mail module (GET /api/auth/me → permissions). */
export const EMAIL_READ = "email:read";
export const EMAIL_WRITE = "email:write";
export const EMAIL_ADMIN = "email:admin";

export const EMAIL_KEY = ["email"] as const;
export const CAMPAIGNS_KEY = ["email", "campaigns"] as const;
export const TEMPLATES_KEY = ["email", "templates"] as const;
export const AUDIENCES_KEY = ["email", "audiences"] as const;
export const SENDERS_KEY = ["email", "senders"] as const;

export const CAMPAIGN_STATUSES: readonly CampaignStatus[] = ["draft", "scheduled", "sending", "sent", "paused", "cancelled"];

type BadgeVariant = "default" | "secondary" | "success" | "destructive" | "outline";
export const STATUS_VARIANT: Record<CampaignStatus, BadgeVariant> = {
  draft: "secondary",
  scheduled: "outline",
  sending: "default",
  sent: "success",
  paused: "outline",
  cancelled: "destructive",
};

export function statusKey(status: CampaignStatus): MessageKey {
  return `email.status.${status}` as MessageKey;
}

/** Campaign statuses whose content may still change (before its messages exist). */
export function isEditable(c: Pick<Campaign, "status" | "generation_status">): boolean {
  return (c.status === "draft" || c.status === "scheduled") && c.generation_status === null;
}

/** Exclusion reasons of message generation, in the server's order. */
export const EXCLUSION_REASONS = ["suppressed", "bounced", "complained", "unconfirmed", "unsubscribed"] as const;

/** The merge fields every recipient has; `attributes.<key>` reads the contact's attributes. */
export const MERGE_FIELDS = ["name", "first_name", "email", "attributes.key", "unsubscribe_url"] as const;

/** Revenue per currency as one line ("R$ 1.500,00 · US$ 20,00"); a deal without a currency counts in the organization's. */
export function formatRevenue(revenue: readonly RevenueFigure[], locale: Locale, currency: string): string {
  if (revenue.length === 0) return formatMoney(0, locale, currency);
  return revenue.map((r) => formatMoney(Number(r.amount), locale, r.currency ?? currency)).join(" · ");
}

/** Revenue for a CSV cell: a number when one currency, else "BRL 10.00; USD 5.00". */
export function revenueCell(revenue: readonly RevenueFigure[], currency: string): number | string {
  const currencies = new Set(revenue.map((r) => r.currency ?? currency));
  if (currencies.size <= 1) return revenue.reduce((sum, r) => sum + Number(r.amount), 0);
  return revenue.map((r) => `${r.currency ?? currency} ${r.amount}`).join("; ");
}

/** The share `part / whole`, or null when there is no whole. */
export function ratio(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}
