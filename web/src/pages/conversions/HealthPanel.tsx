import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, unwrap } from "@/api/client";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { QueryStates } from "@/components/ui/query-states";
import { useI18n, type MessageKey } from "@/i18n";
import { formatDateTime, formatNumber, formatPercent, formatRelative } from "@/lib/format";
import { platformName } from "./shared";
import type { BreakerState, HealthState, Platform, PlatformHealth } from "./types";
import { CONVERSIONS_KEY } from "./useConversionActions";

const BREAKER_VARIANT: Record<BreakerState, "success" | "default" | "destructive"> = { closed: "success", half_open: "default", open: "destructive" };
const STATE_VARIANT: Record<HealthState, "success" | "default" | "destructive" | "secondary"> = {
  not_configured: "secondary",
  healthy: "success",
  degraded: "default",
  failing: "destructive",
};
/** Where a platform without a working credential is (re)connected. */
const CREDENTIALS_PATH = "/settings/credentials";

/** Why the card is not healthy, in words (never the raw code). */
function HealthReason({ health }: { health: PlatformHealth }) {
  const { t, locale } = useI18n();
  if (!health.reason) return null;
  const text =
    health.reason === "error_rate"
      ? t("conversions.health.reason.error_rate", { failed: formatNumber(health.failed_24h, locale), total: formatNumber(health.attempts_24h, locale) })
      : t(`conversions.health.reason.${health.reason}` as MessageKey);
  const action = health.reason === "no_credential" ? "conversions.health.connect" : health.reason === "credential_rejected" ? "conversions.health.reconnect" : null;
  return (
    <p className={health.state === "failing" ? "text-xs text-destructive" : "text-xs text-muted-foreground"} data-testid="health-reason">
      {text}{" "}
      {action ? (
        <Link to={CREDENTIALS_PATH} className="font-medium text-primary underline-offset-2 hover:underline" data-testid="health-action">
          {t(action)}
        </Link>
      ) : null}
    </p>
  );
}

/** An error rate above this is shown in red. */
const ALARMING_ERROR_RATE = 0.2;

/** One platform: its state (not configured, healthy, degraded, failing) and why, the breaker, last success, error rate over 24 hours, queue length. */
export function HealthCard({ health, onShowQueue }: { health: PlatformHealth; onShowQueue?: (platform: Platform) => void }) {
  const { t, locale } = useI18n();
  const rate = health.error_rate_24h;
  return (
    <Card data-testid="health-card" data-platform={health.platform}>
      <CardHeader className="flex-row items-center justify-between gap-2 space-y-0 pb-3">
        <CardTitle className="text-base">{platformName(health.platform)}</CardTitle>
        <Badge variant={STATE_VARIANT[health.state]} data-testid="health-state" data-state={health.state}>
          {t(`conversions.health.state.${health.state}` as MessageKey)}
        </Badge>
      </CardHeader>
      <CardContent className="grid gap-3">
        <HealthReason health={health} />
        <dl className="grid grid-cols-2 gap-3 text-sm">
          {health.state !== "not_configured" ? (
            <div className="col-span-2">
              <dt className="text-xs text-muted-foreground">{t("conversions.health.breaker")}</dt>
              <dd>
                <Badge variant={BREAKER_VARIANT[health.breaker_state]} data-testid="breaker-state">
                  {t(`conversions.health.breaker.${health.breaker_state}` as MessageKey)}
                </Badge>
              </dd>
            </div>
          ) : null}
          <div>
            <dt className="text-xs text-muted-foreground">{t("conversions.health.lastSuccess")}</dt>
            <dd data-testid="last-success">
              {health.last_success_at ? (
                <time dateTime={health.last_success_at} title={formatDateTime(health.last_success_at, locale)}>
                  {formatRelative(health.last_success_at, locale)}
                </time>
              ) : (
                t("common.never")
              )}
            </dd>
          </div>
          <div>
            <dt className="text-xs text-muted-foreground">{t("conversions.health.errorRate")}</dt>
            <dd data-testid="error-rate" className={rate !== null && rate > ALARMING_ERROR_RATE ? "font-semibold text-destructive" : undefined}>
              {rate === null ? t("conversions.health.noAttempts") : formatPercent(rate, locale)}
              {health.attempts_24h > 0 ? (
                <span className="block text-xs font-normal text-muted-foreground">
                  {t("conversions.health.failedOf", { failed: formatNumber(health.failed_24h, locale), total: formatNumber(health.attempts_24h, locale) })}
                </span>
              ) : null}
            </dd>
          </div>
          <div className="col-span-2">
            <dt className="text-xs text-muted-foreground">{t("conversions.health.queue")}</dt>
            <dd className="flex items-center justify-between gap-2">
              <span data-testid="queue-length" className="tabular-nums">
                {formatNumber(health.queue_length, locale)}
              </span>
              {onShowQueue && health.queue_length > 0 && isPlatform(health.platform) ? (
                <Button variant="link" size="sm" className="h-auto p-0" onClick={() => onShowQueue(health.platform as Platform)}>
                  {t("conversions.health.showQueue")}
                </Button>
              ) : null}
            </dd>
          </div>
          {health.breaker_state === "open" && health.breaker_open_until ? (
            <p className="col-span-2 text-xs text-destructive">{t("conversions.health.pausedUntil", { when: formatDateTime(health.breaker_open_until, locale) })}</p>
          ) : null}
        </dl>
      </CardContent>
    </Card>
  );
}

function isPlatform(p: string): p is Platform {
  return p === "google" || p === "meta" || p === "linkedin" || p === "tiktok";
}

/** The health of every platform with a connector (`GET /api/conversions/health`), refreshed every 30 s. */
export function HealthPanel({ onShowQueue }: { onShowQueue?: (platform: Platform) => void }) {
  const { t } = useI18n();
  const health = useQuery({
    queryKey: [...CONVERSIONS_KEY, "health"],
    queryFn: () => unwrap(api.GET("/api/conversions/health")),
    refetchInterval: 30_000,
  });
  return (
    <section aria-labelledby="conversions-health" data-testid="health-panel" className="grid gap-2">
      <h2 id="conversions-health" className="text-sm font-medium text-muted-foreground">
        {t("conversions.health.title")}
      </h2>
      <QueryStates query={health} isEmpty={(d) => d.length === 0} empty={<p className="text-sm text-muted-foreground">{t("conversions.health.none")}</p>}>
        {(platforms) => (
          <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
            {platforms.map((h) => (
              <HealthCard key={h.platform} health={h} onShowQueue={onShowQueue} />
            ))}
          </div>
        )}
      </QueryStates>
    </section>
  );
}
