import { useId, useState, type SyntheticEvent } from "react";
import { createPortal } from "react-dom";
import { Badge } from "@/components/ui/badge";
import { hasKey, useI18n, type Locale, type MessageKey, type TFunction } from "@/i18n";
import { formatDate, formatDateTime, formatNumber } from "@/lib/format";
import { cn } from "@/lib/utils";
import type { PlatformSync } from "./types";

const PLATFORM_NAMES: Record<string, string> = { google: "Google", google_ads: "Google Ads", meta: "Meta", linkedin: "LinkedIn", tiktok: "TikTok", utmify: "UTMify" };

/** A platform's brand name ("meta" → "Meta"); unknown platforms as they come. */
export function platformName(platform: string): string {
  return PLATFORM_NAMES[platform] ?? platform;
}

/**
 * Why a delivery is where it is, in the viewer's language, from its code and figures; a
 * platform's own message is quoted as it came; a row without a code shows its sentence.
 */
export function reasonText(t: TFunction, locale: Locale, sync: Pick<PlatformSync, "reason" | "reason_code" | "reason_params">): string | null {
  const code = sync.reason_code;
  const key = `conversions.reason.${code}`;
  if (!code || !hasKey(key)) return sync.reason;
  const p = (sync.reason_params ?? {}) as Record<string, unknown>;
  const day = (v: unknown) => (typeof v === "string" && v ? formatDate(v.length === 10 ? `${v}T12:00:00` : v, locale) : "");
  const vars: Record<string, string | number> = {
    platform: platformName(String(p.platform ?? "")),
    days: typeof p.days === "number" ? formatNumber(p.days, locale) : String(p.days ?? ""),
    window: typeof p.window === "number" ? formatNumber(p.window, locale) : String(p.window ?? ""),
    clicked: day(p.clicked),
    since: day(p.since),
    until: typeof p.until === "string" ? formatDateTime(p.until, locale) : "",
    attempts: typeof p.attempts === "number" ? formatNumber(p.attempts, locale) : String(p.attempts ?? ""),
    message: String(p.message ?? ""),
  };
  return t(key, vars);
}

export const syncStatusKey = (status: string): MessageKey => `conversions.status.${status}` as MessageKey;

const STATUS_COLORS: Record<string, string> = {
  sent: "bg-success/15 text-success",
  failed: "bg-destructive/15 text-destructive",
  pending: "bg-sky-500/15 text-sky-700 dark:text-sky-300",
  expired: "bg-amber-500/15 text-amber-700 dark:text-amber-300",
  not_applicable: "bg-muted text-muted-foreground",
};

/** A label from the dictionary, or the raw value when the key is unknown (a newer server). */
function labelOf(t: (key: MessageKey) => string, key: MessageKey, raw: string): string {
  const label = t(key);
  return label === key ? raw : label;
}

/**
 * One platform's delivery state as a chip ("Meta · Failed"). The reason, attempts and next
 * attempt are its description (read with the chip) and a tooltip on hover and keyboard focus.
 * The tooltip is portalled with fixed coordinates, so a scrolling table does not clip it;
 * it is hidden from assistive technology, which reads the description instead.
 */
export function PlatformStatusChip({ sync }: { sync: PlatformSync }) {
  const { t, locale } = useI18n();
  const tipId = useId();
  const [anchor, setAnchor] = useState<DOMRect | null>(null);
  const status = labelOf(t, syncStatusKey(sync.status), sync.status);
  const lines = [
    reasonText(t, locale, sync),
    sync.attempts > 0 ? t("conversions.chip.attempts", { count: formatNumber(sync.attempts, locale) }) : null,
    sync.status === "pending" && sync.next_attempt_at ? t("conversions.chip.next", { when: formatDateTime(sync.next_attempt_at, locale) }) : null,
    sync.sent_at ? t("conversions.chip.sentAt", { when: formatDateTime(sync.sent_at, locale) }) : null,
  ].filter((line): line is string => Boolean(line));
  const show = (e: SyntheticEvent<HTMLElement>) => setAnchor(e.currentTarget.getBoundingClientRect());
  const hide = () => setAnchor(null);
  return (
    <>
      <span
        tabIndex={lines.length ? 0 : undefined}
        aria-describedby={lines.length ? tipId : undefined}
        data-testid="platform-chip"
        data-platform={sync.platform}
        data-status={sync.status}
        onMouseEnter={lines.length ? show : undefined}
        onMouseLeave={hide}
        onFocus={lines.length ? show : undefined}
        onBlur={hide}
        onKeyDown={(e) => {
          if (e.key === "Escape") hide();
        }}
        className={cn(
          "inline-flex cursor-default items-center gap-1 whitespace-nowrap rounded-full px-2.5 py-0.5 text-xs font-semibold focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring",
          STATUS_COLORS[sync.status] ?? "bg-secondary text-secondary-foreground",
        )}
      >
        <span>{platformName(sync.platform)}</span>
        <span aria-hidden>·</span>
        <span>{status}</span>
      </span>
      {lines.length ? (
        <span id={tipId} hidden>
          {lines.join(" · ")}
        </span>
      ) : null}
      {anchor
        ? createPortal(
            <span
              aria-hidden
              data-testid="platform-chip-tip"
              style={{ position: "fixed", top: anchor.bottom + 4, left: Math.max(8, Math.min(anchor.left, window.innerWidth - 296)) }}
              className="pointer-events-none z-50 w-72 rounded-md border bg-popover p-2 text-xs text-popover-foreground shadow-md"
            >
              {lines.map((line, i) => (
                <span key={i} className="block break-words">
                  {line}
                </span>
              ))}
            </span>,
            document.body,
          )
        : null}
    </>
  );
}

/** The chips of every platform a conversion has a delivery state on. */
export function PlatformChips({ platforms }: { platforms: PlatformSync[] }) {
  const { t } = useI18n();
  if (platforms.length === 0) return <span className="text-xs text-muted-foreground">{t("conversions.noPlatforms")}</span>;
  return (
    <div className="flex flex-wrap gap-1.5">
      {platforms.map((p) => (
        <PlatformStatusChip key={p.platform} sync={p} />
      ))}
    </div>
  );
}

/** An attempt of the sync log: success / retrying / failed. */
export function AttemptChip({ status }: { status: string }) {
  const { t } = useI18n();
  const variant = status === "success" ? "success" : status === "failed" ? "destructive" : "default";
  return (
    <Badge variant={variant} data-testid="attempt-chip">
      {labelOf(t, `conversions.attempt.${status}` as MessageKey, status)}
    </Badge>
  );
}
