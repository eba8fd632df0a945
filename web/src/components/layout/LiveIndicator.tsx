import { useI18n } from "@/i18n";
import { useLiveStatus } from "@/live/LiveProvider";
import { cn } from "@/lib/utils";

export function LiveIndicator() {
  const { t } = useI18n();
  const status = useLiveStatus();
  const label = status === "online" ? t("live.online") : status === "connecting" ? t("live.connecting") : t("live.offline");
  const hint = status === "online" ? t("live.onlineHint") : t("live.offlineHint");
  return (
    <span
      role="status"
      title={hint}
      data-live-status={status}
      className="inline-flex items-center gap-1.5 rounded-full border px-2.5 py-1 text-xs font-medium text-muted-foreground"
    >
      <span
        aria-hidden
        className={cn(
          "h-2 w-2 rounded-full",
          status === "online" ? "bg-success" : status === "connecting" ? "animate-pulse bg-warning" : "bg-muted-foreground",
        )}
      />
      <span className="hidden sm:inline">{label}</span>
      <span className="sr-only sm:hidden">{label}</span>
    </span>
  );
}
