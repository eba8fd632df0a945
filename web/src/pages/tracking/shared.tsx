import { useEffect, useState } from "react";
import { Badge } from "@/components/ui/badge";
import { useI18n } from "@/i18n";

/** The current time, refreshed every `intervalMs` (relative times stay current). */
export function useNow(intervalMs = 15_000): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const id = setInterval(() => setNow(new Date()), intervalMs);
    return () => clearInterval(id);
  }, [intervalMs]);
  return now;
}

function channelVariant(channel: string): "default" | "success" | "secondary" | "outline" {
  const c = channel.toLowerCase();
  if (c.startsWith("paid") || c.includes("display") || c.includes("cross-network")) return "default";
  if (c.startsWith("organic") || c === "referral" || c === "email") return "success";
  if (c === "direct") return "secondary";
  return "outline";
}

/** A GA4 default channel group ("Paid Search", "Organic Social", "Direct", …) as a badge. */
export function ChannelBadge({ channel }: { channel: string | null | undefined }) {
  const { t } = useI18n();
  if (!channel) return <Badge variant="outline">{t("tracking.channel.unknown")}</Badge>;
  return (
    <Badge variant={channelVariant(channel)} data-testid="channel-badge" className="whitespace-nowrap">
      {channel}
    </Badge>
  );
}

/** Text that may be long and unbroken (URLs, ids): wraps anywhere, always rendered as text. */
export function BreakText({ children, className }: { children: string | null | undefined; className?: string }) {
  return <span className={`break-all ${className ?? ""}`}>{children ?? ""}</span>;
}

export function PageTitle({ title, subtitle }: { title: string; subtitle?: string }) {
  return (
    <div>
      <h2 className="text-lg font-semibold">{title}</h2>
      {subtitle ? <p className="text-sm text-muted-foreground">{subtitle}</p> : null}
    </div>
  );
}

/** Client-side pages of a list the API returns whole (a session's page views and events). */
export function useClientPage<T>(items: T[], pageSize: number): { page: number; setPage: (p: number) => void; slice: T[] } {
  const [page, setPageState] = useState(1);
  const pages = Math.max(1, Math.ceil(items.length / pageSize));
  const current = Math.min(page, pages);
  return {
    page: current,
    setPage: (p: number) => setPageState(Math.max(1, Math.min(p, pages))),
    slice: items.slice((current - 1) * pageSize, current * pageSize),
  };
}
