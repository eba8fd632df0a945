/** Test data of the e-mail pages, shaped as the API answers. */
import { makeMe } from "@/test/utils";
import type { Audience, Campaign, CampaignFigures, CampaignReport, Template } from "./types";

export const XSS = "<img src=x onerror=alert(1)>";
export const WRITER = makeMe(["email:read", "email:write", "tracking:read"]);
export const READER = makeMe(["email:read"]);
export const ADMIN = makeMe(["email:read", "email:write", "email:admin"]);

export function campaign(over: Partial<Campaign> = {}): Campaign {
  return {
    campaign_id: "c1",
    name: "Black Friday",
    objective: null,
    subject: "Oferta para {{ first_name }}",
    from_name: "Loja",
    from_address: "news@loja.com.br",
    reply_to: null,
    template_id: null,
    sender_id: null,
    html: "<p>Olá {{ name }}</p>",
    text: "",
    landing_page_id: null,
    utm_source: "newsletter",
    utm_campaign: "Black Friday",
    status: "draft",
    starts_at: null,
    ends_at: null,
    scheduled_at: null,
    generation_status: null,
    generated: 0,
    exclusions: {},
    sent_at: null,
    created_at: "2026-11-20T12:00:00Z",
    audience_ids: ["a1"],
    ...over,
  };
}

export function figures(over: Partial<CampaignFigures> = {}): CampaignFigures {
  return {
    campaign_id: "c1",
    sent: 1000,
    delivered: 980,
    opens: 700,
    human_opens: 500,
    unique_opens: 490,
    clicks: 200,
    unique_clicks: 98,
    hard_bounces: 15,
    soft_bounces: 5,
    complaints: 2,
    unsubscribes: 7,
    refused: 1,
    leads: 12,
    won_leads: 3,
    revenue: [{ currency: "BRL", amount: "1500.50" }],
    ...over,
  };
}

export function report(over: Partial<CampaignReport> = {}): CampaignReport {
  const { campaign_id: _id, ...totals } = figures();
  return {
    campaign_id: "c1",
    status: "sent",
    generated: 1000,
    exclusions: { suppressed: 4, bounced: 0, complained: 0, unconfirmed: 2, unsubscribed: 9 },
    ...totals,
    click_to_open: 0.2,
    days: [
      { day: "2026-11-27", sent: 1000, delivered: 980, opens: 600, human_opens: 420, unique_opens: 400, clicks: 150, unique_clicks: 80, hard_bounces: 15, soft_bounces: 5, complaints: 1, unsubscribes: 5, refused: 1 },
      { day: "2026-11-28", sent: 0, delivered: 0, opens: 100, human_opens: 80, unique_opens: 90, clicks: 50, unique_clicks: 18, hard_bounces: 0, soft_bounces: 0, complaints: 1, unsubscribes: 2, refused: 0 },
    ],
    links: [
      { link_id: 1, url: "https://loja.com.br/oferta", clicks: 150, unique_clicks: 70 },
      { link_id: 2, url: "https://loja.com.br/blog", clicks: 50, unique_clicks: 28 },
    ],
    ...over,
  };
}

export function template(over: Partial<Template> = {}): Template {
  return {
    template_id: "t1",
    name: "Boas-vindas",
    subject: "Oi {{ first_name }}",
    html: "<p>Olá {{ name }}</p>",
    text: "Olá {{ name }}",
    created_at: "2026-11-01T12:00:00Z",
    updated_at: "2026-11-02T12:00:00Z",
    ...over,
  };
}

export function audience(over: Partial<Audience> = {}): Audience {
  return { audience_id: "a1", name: "Clientes", kind: "static", filter: {}, created_at: "2026-11-01T12:00:00Z", contacts: 1200, ...over };
}

export const PREVIEW = { subject: "Oi Maria", html: "<p>Olá Maria Silva</p>", text: "Olá Maria Silva", recipient: "maria.silva@exemplo.com.br", fields: ["first_name", "name"], unknown_fields: [] };
