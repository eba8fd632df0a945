/** The session history's filters, kept in the URL, and the `GET /api/sessions` query they make. */
import type { paths } from "@/api/schema";
import { dayParam, filterSearchParams, localMidnight, textParam } from "@/lib/filterParams";

export type HistoryQuery = NonNullable<paths["/api/sessions"]["get"]["parameters"]["query"]>;
export type Device = NonNullable<HistoryQuery["device"]>;
export const DEVICES: readonly Device[] = ["desktop", "mobile", "tablet"];

export interface HistoryFilters {
  /** Days as date inputs give them (YYYY-MM-DD), in the viewer's time zone; null: the last 7 days. */
  from: string | null;
  to: string | null;
  domainId: string | null;
  landingPageId: string | null;
  channel: string | null;
  source: string | null;
  medium: string | null;
  campaign: string | null;
  device: Device | null;
  converted: "yes" | "no" | null;
  bots: boolean;
}

export function historyFilters(params: URLSearchParams): HistoryFilters {
  const device = textParam(params, "device");
  const converted = textParam(params, "converted");
  return {
    from: dayParam(params, "from"),
    to: dayParam(params, "to"),
    domainId: textParam(params, "domain"),
    landingPageId: textParam(params, "landing"),
    channel: textParam(params, "channel"),
    source: textParam(params, "source"),
    medium: textParam(params, "medium"),
    campaign: textParam(params, "campaign"),
    device: DEVICES.includes(device as Device) ? (device as Device) : null,
    converted: converted === "yes" || converted === "no" ? converted : null,
    bots: params.get("bots") === "1",
  };
}

export function historyParams(f: HistoryFilters): URLSearchParams {
  return filterSearchParams({
    from: f.from,
    to: f.to,
    domain: f.domainId,
    landing: f.landingPageId,
    channel: f.channel,
    source: f.source,
    medium: f.medium,
    campaign: f.campaign,
    device: f.device,
    converted: f.converted,
    bots: f.bots ? "1" : null,
  });
}

/** A YYYY-MM-DD day `days` from `now`'s, in the viewer's time zone. */
export function localDay(now: Date, days = 0): string {
  const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() + days);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** The API query: whole days in the viewer's time zone (`to` inclusive), the last 7 days by default. */
export function historyQuery(f: HistoryFilters, page: number, pageSize: number, now: Date = new Date()): HistoryQuery {
  const from = f.from ?? localDay(now, -6);
  const to = f.to ?? localDay(now);
  const query: HistoryQuery = { started_from: localMidnight(from), started_to: localMidnight(to, 1), page, page_size: pageSize };
  if (f.domainId) query.domain_id = f.domainId;
  if (f.landingPageId) query.landing_page_id = f.landingPageId;
  if (f.channel) query.channel = f.channel as HistoryQuery["channel"];
  if (f.source) query.source = f.source;
  if (f.medium) query.medium = f.medium;
  if (f.campaign) query.campaign = f.campaign;
  if (f.device) query.device = f.device;
  if (f.converted) query.converted = f.converted === "yes";
  if (f.bots) query.include_bots = true;
  return query;
}
