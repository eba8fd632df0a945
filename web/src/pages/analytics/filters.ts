/**
 * The report filters every analytics page shares, kept in the URL search params: read from
 * and written to them, and turned into the query of the `/api/analytics/...` endpoints
 * (`ReportFilters` in src/rastro/analytics/schemas.py).
 */
import { useCallback, useMemo } from "react";
import { useSearchParams } from "react-router";
import type { paths } from "@/api/schema";
import { dayParam, filterSearchParams, textParam } from "@/lib/filterParams";

/** The query every report endpoint takes (the Overview's, identical for all of them). */
export type ReportQuery = NonNullable<paths["/api/analytics/overview"]["get"]["parameters"]["query"]>;
export type Preset = NonNullable<ReportQuery["preset"]>;
export type Compare = NonNullable<ReportQuery["compare"]>;
export type Channel = NonNullable<ReportQuery["channel"]>;
export type Device = NonNullable<ReportQuery["device"]>;

export const PRESETS = [
  "today",
  "yesterday",
  "last_7_days",
  "last_30_days",
  "last_90_days",
  "this_month",
  "last_month",
  "last_12_months",
] as const satisfies readonly Preset[];
/** The server's default when neither a preset nor dates are given. */
export const DEFAULT_PRESET: Preset = "last_30_days";
export const COMPARES = ["none", "previous", "year"] as const satisfies readonly Compare[];
export const DEVICES = ["desktop", "mobile", "tablet"] as const satisfies readonly Device[];
/** GA4 default channel groups, in the order of `rastro.tracking.channels.CHANNELS`. */
export const CHANNELS = [
  "Direct",
  "Cross-network",
  "Paid Shopping",
  "Paid Search",
  "Paid Social",
  "Paid Video",
  "Display",
  "Paid Other",
  "Organic Shopping",
  "Organic Social",
  "Organic Video",
  "Organic Search",
  "Referral",
  "Email",
  "Affiliates",
  "Audio",
  "SMS",
  "Mobile Push Notifications",
  "Unassigned",
] as const satisfies readonly Channel[];

/** The free-text dimensions (matched exactly by the server). */
export const TEXT_FILTERS = ["source", "medium", "campaign", "content", "term"] as const;
export type TextFilter = (typeof TEXT_FILTERS)[number];

export interface ReportFilters {
  /** A preset, or null for a custom range (`dateFrom`/`dateTo`, organization days, YYYY-MM-DD). */
  preset: Preset | null;
  dateFrom: string | null;
  dateTo: string | null;
  compare: Compare;
  domainId: string | null;
  landingPageId: string | null;
  channel: Channel | null;
  source: string | null;
  medium: string | null;
  campaign: string | null;
  content: string | null;
  term: string | null;
  device: Device | null;
}

export const DEFAULT_FILTERS: ReportFilters = {
  preset: DEFAULT_PRESET,
  dateFrom: null,
  dateTo: null,
  compare: "none",
  domainId: null,
  landingPageId: null,
  channel: null,
  source: null,
  medium: null,
  campaign: null,
  content: null,
  term: null,
  device: null,
};

function oneOf<T extends string>(values: readonly T[], value: string | null): T | null {
  return value !== null && (values as readonly string[]).includes(value) ? (value as T) : null;
}

/**
 * Filters from a page's search params. Unknown presets, channels and devices and malformed
 * dates are dropped; dates make the range custom; nothing at all is the default preset.
 */
export function filtersFromParams(params: URLSearchParams): ReportFilters {
  const dateFrom = dayParam(params, "date_from");
  const dateTo = dayParam(params, "date_to");
  const custom = dateFrom !== null || dateTo !== null;
  const filters: ReportFilters = {
    preset: custom ? null : (oneOf(PRESETS, textParam(params, "preset")) ?? DEFAULT_PRESET),
    dateFrom,
    dateTo,
    compare: oneOf(COMPARES, textParam(params, "compare")) ?? "none",
    domainId: textParam(params, "domain_id"),
    landingPageId: textParam(params, "landing_page_id"),
    channel: oneOf(CHANNELS, textParam(params, "channel")),
    source: null,
    medium: null,
    campaign: null,
    content: null,
    term: null,
    device: oneOf(DEVICES, textParam(params, "device")),
  };
  for (const name of TEXT_FILTERS) filters[name] = textParam(params, name);
  return filters;
}

/** The search params of a set of filters: only what differs from the defaults. */
export function filtersToParams(filters: ReportFilters): URLSearchParams {
  const custom = filters.dateFrom !== null || filters.dateTo !== null;
  return filterSearchParams({
    preset: !custom && filters.preset && filters.preset !== DEFAULT_PRESET ? filters.preset : null,
    date_from: custom ? filters.dateFrom : null,
    date_to: custom ? filters.dateTo : null,
    compare: filters.compare === "none" ? null : filters.compare,
    domain_id: filters.domainId,
    landing_page_id: filters.landingPageId,
    channel: filters.channel,
    source: filters.source,
    medium: filters.medium,
    campaign: filters.campaign,
    content: filters.content,
    term: filters.term,
    device: filters.device,
  });
}

/** The API query of a set of filters (the same names as the URL, plus the explicit preset). */
export function reportQuery(filters: ReportFilters): ReportQuery {
  const query: ReportQuery = {};
  const custom = filters.dateFrom !== null || filters.dateTo !== null;
  if (custom) {
    if (filters.dateFrom) query.date_from = filters.dateFrom;
    if (filters.dateTo) query.date_to = filters.dateTo;
  } else {
    query.preset = filters.preset ?? DEFAULT_PRESET;
  }
  if (filters.compare !== "none") query.compare = filters.compare;
  if (filters.domainId) query.domain_id = filters.domainId;
  if (filters.landingPageId) query.landing_page_id = filters.landingPageId;
  if (filters.channel) query.channel = filters.channel;
  for (const name of TEXT_FILTERS) {
    const value = filters[name];
    if (value) query[name] = value;
  }
  if (filters.device) query.device = filters.device;
  return query;
}

/** How many filters narrow the data (the date range and the comparison do not count). */
export function activeFilterCount(filters: ReportFilters): number {
  return [filters.domainId, filters.landingPageId, filters.channel, filters.device, ...TEXT_FILTERS.map((n) => filters[n])].filter(Boolean).length;
}

export interface ReportFiltersState {
  filters: ReportFilters;
  /** The query for the report endpoints (stable while the URL does not change). */
  query: ReportQuery;
  /** Replace the filters (the URL changes; a history entry is added). */
  setFilters: (next: ReportFilters) => void;
  /** Change one filter. */
  setFilter: <K extends keyof ReportFilters>(key: K, value: ReportFilters[K]) => void;
  /** Back to the default range with nothing narrowing it. */
  reset: () => void;
}

/**
 * The report filters of the current URL, and setters that write them back to it, so a
 * report can be bookmarked and shared, and every report page reads the same filters.
 */
export function useReportFilters(): ReportFiltersState {
  const [params, setParams] = useSearchParams();
  const key = params.toString();
  // `key` is the params' identity: a new URLSearchParams with the same text is the same filters.
  const filters = useMemo(() => filtersFromParams(new URLSearchParams(key)), [key]);
  const query = useMemo(() => reportQuery(filters), [filters]);
  const setFilters = useCallback((next: ReportFilters) => setParams(filtersToParams(next)), [setParams]);
  const setFilter = useCallback(
    <K extends keyof ReportFilters>(name: K, value: ReportFilters[K]) => {
      setParams((current) => {
        const next = { ...filtersFromParams(current), [name]: value };
        if ((name === "dateFrom" || name === "dateTo") && value !== null) next.preset = null;
        if (name === "preset" && value !== null) {
          next.dateFrom = null;
          next.dateTo = null;
        }
        if (name === "domainId") next.landingPageId = null; // a landing page belongs to one domain
        return filtersToParams(next);
      });
    },
    [setParams],
  );
  const reset = useCallback(() => setParams(new URLSearchParams()), [setParams]);
  return { filters, query, setFilters, setFilter, reset };
}
