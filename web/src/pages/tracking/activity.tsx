/** Whether each domain's snippet sends events, and how each landing page converts (30 days). */
import { useQuery } from "@tanstack/react-query";
import { CheckCircle2, CircleAlert } from "lucide-react";
import { api, unwrap } from "@/api/client";
import { useI18n } from "@/i18n";
import { formatNumber, formatPercent, formatRelative } from "@/lib/format";
import { useNow } from "./shared";

export const ACTIVITY_DAYS = 30;

export function useTrackingActivity() {
  return useQuery({
    queryKey: ["tracking", "activity", ACTIVITY_DAYS],
    queryFn: () => unwrap(api.GET("/api/tracking/activity", { params: { query: { days: ACTIVITY_DAYS } } })),
    refetchInterval: 60_000,
  });
}

/** "Installed — last event 3 minutes ago · 12 sessions today", or what to do when nothing came. */
export function DomainStatus({ domainId }: { domainId: string }) {
  const { t, locale } = useI18n();
  const now = useNow(30_000);
  const activity = useTrackingActivity();
  if (!activity.data) return null;
  const row = activity.data.domains.find((d) => d.domain_id === domainId);
  if (!row?.last_event_at) {
    return (
      <p className="flex items-start gap-2 rounded-md border border-amber-500/40 bg-amber-500/10 p-2 text-sm" data-testid="domain-status" data-state="waiting">
        <CircleAlert className="mt-0.5 h-4 w-4 shrink-0 text-amber-600" aria-hidden />
        {t("tracking.domains.noEvent")}
      </p>
    );
  }
  return (
    <p className="flex items-start gap-2 text-sm" data-testid="domain-status" data-state="installed">
      <CheckCircle2 className="mt-0.5 h-4 w-4 shrink-0 text-emerald-600" aria-hidden />
      {t("tracking.domains.installed", {
        when: formatRelative(row.last_event_at, locale, now),
        count: formatNumber(row.sessions_today, locale),
      })}
    </p>
  );
}

export type LandingStats = { sessions: number; converted: number; rate: string };

/** A landing page's sessions, leads and conversion rate over the window, as shown. */
export function useLandingStats(): (pageId: string) => LandingStats {
  const { locale } = useI18n();
  const activity = useTrackingActivity();
  return (pageId) => {
    const row = activity.data?.landing_pages.find((p) => p.landing_page_id === pageId);
    if (!row) return { sessions: 0, converted: 0, rate: "—" };
    return { sessions: row.sessions, converted: row.converted, rate: row.conversion_rate === null ? "—" : formatPercent(row.conversion_rate, locale) };
  };
}
