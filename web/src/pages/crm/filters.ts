/** The lead list's filters: kept in the URL, turned into the `GET /api/leads` query. */
import { dayParam, filterSearchParams, localMidnight, textParam } from "@/lib/filterParams";
import { SCORES, STAGES, type LeadQuery, type Score, type Stage } from "./types";

export interface LeadFilters {
  stage: Stage[];
  score: Score[];
  ownerId: string | null;
  source: string | null;
  campaign: string | null;
  channel: string | null;
  /** Dates as the date inputs give them (YYYY-MM-DD), in the viewer's time zone. */
  from: string | null;
  to: string | null;
  q: string | null;
}

export const NO_FILTERS: LeadFilters = { stage: [], score: [], ownerId: null, source: null, campaign: null, channel: null, from: null, to: null, q: null };


/** Filters from the page's search params; unknown stages, scores and malformed dates are dropped. */
export function filtersFromParams(params: URLSearchParams): LeadFilters {
  return {
    stage: params.getAll("stage").filter((s): s is Stage => (STAGES as readonly string[]).includes(s)),
    score: params.getAll("score").filter((s): s is Score => (SCORES as readonly string[]).includes(s)),
    ownerId: textParam(params, "owner"),
    source: textParam(params, "source"),
    campaign: textParam(params, "campaign"),
    channel: textParam(params, "channel"),
    from: dayParam(params, "from"),
    to: dayParam(params, "to"),
    q: textParam(params, "q"),
  };
}

/** The search params of a set of filters (page reset), for `setSearchParams`. */
export function filtersToParams(filters: LeadFilters): URLSearchParams {
  return filterSearchParams({
    stage: filters.stage,
    score: filters.score,
    owner: filters.ownerId,
    source: filters.source,
    campaign: filters.campaign,
    channel: filters.channel,
    from: filters.from,
    to: filters.to,
    q: filters.q,
  });
}

/**
 * The API query: the date range covers whole days in the viewer's time zone (`to` is
 * inclusive here, exclusive for the API, hence the next midnight); the search needs two
 * characters, so a one-character box is not sent.
 */
export function leadQuery(filters: LeadFilters, page: number, pageSize: number): LeadQuery {
  const query: LeadQuery = { page, page_size: pageSize };
  if (filters.stage.length) query.stage = filters.stage;
  if (filters.score.length) query.score = filters.score;
  if (filters.ownerId) query.owner_id = filters.ownerId;
  if (filters.source) query.source = filters.source;
  if (filters.campaign) query.campaign = filters.campaign;
  if (filters.channel) query.channel = filters.channel;
  if (filters.from) query.created_from = localMidnight(filters.from);
  if (filters.to) query.created_to = localMidnight(filters.to, 1);
  if (filters.q && filters.q.length >= 2) query.q = filters.q;
  return query;
}

export function activeFilterCount(filters: LeadFilters): number {
  return (
    filters.stage.length +
    filters.score.length +
    [filters.ownerId, filters.source, filters.campaign, filters.channel, filters.from, filters.to, filters.q].filter(Boolean).length
  );
}
