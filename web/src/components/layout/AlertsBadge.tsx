import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Bell } from "lucide-react";
import { Link } from "react-router";
import { api, unwrap } from "@/api/client";
import { usePermissions } from "@/auth/session";
import { useI18n } from "@/i18n";
import { useLiveEvent } from "@/live/LiveProvider";
import { cn } from "@/lib/utils";

const SUMMARY_KEY = ["analytics", "alerts", "summary"] as const;

function Badge() {
  const { t } = useI18n();
  const qc = useQueryClient();
  const summary = useQuery({
    queryKey: SUMMARY_KEY,
    queryFn: () => unwrap(api.GET("/api/analytics/alerts/summary")),
    refetchInterval: 5 * 60_000,
  });
  // The hourly evaluation announces new firings: refresh the count and the alerts page.
  useLiveEvent("alert_opened", () => void qc.invalidateQueries({ queryKey: ["analytics", "alerts"] }));
  const open = summary.data?.open ?? 0;
  const label = open ? t("alerts.badge", { count: open }) : t("alerts.badgeLabel");
  return (
    <Link
      to="/analytics/alerts"
      title={label}
      aria-label={label}
      data-testid="alerts-badge"
      className={cn(
        "relative inline-flex h-9 w-9 items-center justify-center rounded-md text-muted-foreground hover:bg-accent hover:text-accent-foreground focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring",
        open > 0 && "text-destructive",
      )}
    >
      <Bell className="h-4 w-4" aria-hidden />
      {open > 0 ? (
        <span className="absolute -right-0.5 -top-0.5 min-w-4 rounded-full bg-destructive px-1 text-center text-[10px] font-semibold leading-4 text-destructive-foreground" data-testid="alerts-count">
          {open > 99 ? "99+" : open}
        </span>
      ) : null}
    </Link>
  );
}

/** The header's bell: open alerts of the organization (for those who read analytics). */
export function AlertsBadge() {
  const can = usePermissions();
  return can("analytics:read") ? <Badge /> : null;
}
