/** The e-mail pages' shared reads (one cache key each, so a change refreshes every page). */
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import { usePermissions } from "@/auth/session";
import { AUDIENCES_KEY, CAMPAIGNS_KEY, EMAIL_ADMIN, SENDERS_KEY, TEMPLATES_KEY, type Campaign } from "./types";

export function useCampaigns() {
  return useQuery({ queryKey: CAMPAIGNS_KEY, queryFn: () => unwrap(api.GET("/api/email/campaigns")) });
}

export function useCampaignFigures() {
  return useQuery({ queryKey: [...CAMPAIGNS_KEY, "figures"], queryFn: () => unwrap(api.GET("/api/email/campaign-figures")) });
}

/** Campaigns being generated or sent change by themselves: polled every `busyMs` until they settle. */
export function useCampaign(campaignId: string | undefined, busyMs = 2000) {
  return useQuery({
    queryKey: [...CAMPAIGNS_KEY, campaignId],
    queryFn: () => unwrap(api.GET("/api/email/campaigns/{campaign_id}", { params: { path: { campaign_id: campaignId! } } })),
    enabled: Boolean(campaignId),
    refetchInterval: (q) => (isBusy(q.state.data) ? busyMs : false),
  });
}

export function isBusy(c: Pick<Campaign, "status" | "generation_status"> | undefined): boolean {
  return Boolean(c && (c.generation_status === "queued" || c.generation_status === "running" || c.status === "sending"));
}

export function useCampaignReport(campaignId: string | undefined, pollMs: number | false = false) {
  return useQuery({
    queryKey: [...CAMPAIGNS_KEY, campaignId, "report"],
    queryFn: () => unwrap(api.GET("/api/email/campaigns/{campaign_id}/report", { params: { path: { campaign_id: campaignId! } } })),
    enabled: Boolean(campaignId),
    refetchInterval: pollMs,
  });
}

export function useTemplates() {
  return useQuery({ queryKey: TEMPLATES_KEY, queryFn: () => unwrap(api.GET("/api/email/templates")) });
}

export function useAudiences() {
  return useQuery({ queryKey: AUDIENCES_KEY, queryFn: () => unwrap(api.GET("/api/email/audiences")) });
}

/** Senders are an admin's setting: others get an empty list without asking (the API would refuse). */
export function useSenders() {
  const can = usePermissions();
  const admin = can(EMAIL_ADMIN);
  const query = useQuery({ queryKey: SENDERS_KEY, queryFn: () => unwrap(api.GET("/api/email/senders")), enabled: admin });
  return { ...query, admin, senders: query.data ?? [] };
}
