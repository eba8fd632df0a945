/** The conversion list's filters: kept in the URL, turned into the `GET /api/conversions` query. */
import { dayParam, filterSearchParams, localMidnight, textParam } from "@/lib/filterParams";
import { PLATFORMS, SYNC_STATUSES, type ConversionQuery, type Platform, type SyncStatus } from "./types";

export interface ConversionFilters {
  status: SyncStatus | null;
  platform: Platform | null;
  campaign: string | null;
  /** Dates as the date inputs give them (YYYY-MM-DD), in the viewer's time zone. */
  from: string | null;
  to: string | null;
  /** Set by the lead page's link; shown as a removable filter, not edited. */
  leadId: string | null;
}

export const NO_FILTERS: ConversionFilters = { status: null, platform: null, campaign: null, from: null, to: null, leadId: null };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function oneOf<T extends string>(values: readonly T[], v: string | null): T | null {
  return v !== null && (values as readonly string[]).includes(v) ? (v as T) : null;
}

/** Filters from the page's search params; unknown statuses and platforms, malformed dates and ids are dropped. */
export function filtersFromParams(params: URLSearchParams): ConversionFilters {
  const leadId = textParam(params, "lead_id");
  return {
    status: oneOf(SYNC_STATUSES, textParam(params, "status")),
    platform: oneOf(PLATFORMS, textParam(params, "platform")),
    campaign: textParam(params, "campaign"),
    from: dayParam(params, "from"),
    to: dayParam(params, "to"),
    leadId: leadId && UUID.test(leadId) ? leadId : null,
  };
}

/** The search params of a set of filters (page reset), for `setSearchParams`. */
export function filtersToParams(filters: ConversionFilters): URLSearchParams {
  return filterSearchParams({
    status: filters.status,
    platform: filters.platform,
    campaign: filters.campaign,
    from: filters.from,
    to: filters.to,
    lead_id: filters.leadId,
  });
}

/**
 * The API query: the date range covers whole days of the conversion date in the viewer's
 * time zone (`to` is inclusive here, exclusive for the API, hence the next midnight).
 */
export function conversionQuery(filters: ConversionFilters, page: number, pageSize: number): ConversionQuery {
  const query: ConversionQuery = { page, page_size: pageSize };
  if (filters.status) query.status = filters.status;
  if (filters.platform) query.platform = filters.platform;
  if (filters.campaign) query.campaign = filters.campaign;
  if (filters.from) query.date_from = localMidnight(filters.from);
  if (filters.to) query.date_to = localMidnight(filters.to, 1);
  if (filters.leadId) query.lead_id = filters.leadId;
  return query;
}

export function activeFilterCount(filters: ConversionFilters): number {
  return Object.values(filters).filter(Boolean).length;
}
