import { useQuery } from "@tanstack/react-query";
import { ArrowLeft, RotateCcw, Send } from "lucide-react";
import { Link, useParams } from "react-router";
import { api, unwrap } from "@/api/client";
import { useCurrentUser } from "@/auth/session";
import { ConfirmDialog } from "@/components/ui/alert-dialog";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Fact } from "@/components/ui/fact";
import { QueryStates } from "@/components/ui/query-states";
import { EmptyState } from "@/components/ui/states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useI18n } from "@/i18n";
import { formatDateTime, formatNumber } from "@/lib/format";
import { Money } from "@/pages/crm/shared";
import { AttemptChip, platformName, PlatformStatusChip, reasonText } from "./shared";
import { UsedClick } from "./UsedClick";
import { CONVERSIONS_KEY, useConversionActions } from "./useConversionActions";
import { CONVERSIONS_WRITE, type Conversion, type Platform, type PlatformSync, type SyncLogEntry } from "./types";

/** JSON as the log stored it, indented; an empty object says so. */
export function JsonBlock({ value, label }: { value: Record<string, unknown>; label: string }) {
  const { t } = useI18n();
  const empty = Object.keys(value).length === 0;
  return (
    <div className="grid min-w-0 content-start gap-1">
      <span className="text-xs font-medium text-muted-foreground">{label}</span>
      {empty ? (
        <span className="text-xs text-muted-foreground">{t("conversions.log.emptyJson")}</span>
      ) : (
        <pre className="max-h-96 overflow-auto rounded-md bg-muted p-3 text-xs leading-relaxed" data-testid="json-block">
          {JSON.stringify(value, null, 2)}
        </pre>
      )}
    </div>
  );
}

/** Every attempt, oldest first: a summary line; the request (hashed data only) and response unfold. */
export function SyncLog({ entries }: { entries: SyncLogEntry[] }) {
  const { t, locale } = useI18n();
  if (entries.length === 0) return <EmptyState message={t("conversions.log.empty")} />;
  return (
    <ol className="grid gap-2">
      {entries.map((e) => (
        <li key={e.sync_id} data-testid="sync-log-entry" data-status={e.sync_status}>
          <details className="group rounded-md border">
            <summary className="flex cursor-pointer flex-wrap items-center gap-x-3 gap-y-1 px-3 py-2 text-sm focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring">
              <time dateTime={e.synced_at} className="whitespace-nowrap text-muted-foreground">
                {formatDateTime(e.synced_at, locale)}
              </time>
              <span className="font-medium">{platformName(e.platform)}</span>
              <span className="text-xs text-muted-foreground">{t("conversions.log.attempt", { n: formatNumber(e.attempt, locale) })}</span>
              <AttemptChip status={e.sync_status} />
              {e.http_status_code !== null ? (
                <span className="font-mono text-xs" data-testid="http-status">
                  HTTP {e.http_status_code}
                </span>
              ) : null}
              {e.error_message ? <span className="min-w-0 basis-full break-words text-xs text-destructive sm:basis-auto">{e.error_message}</span> : null}
            </summary>
            <div className="grid gap-3 border-t p-3 lg:grid-cols-2">
              <JsonBlock label={t("conversions.log.request")} value={e.request_payload} />
              <JsonBlock label={t("conversions.log.response")} value={e.response_data} />
              {e.batch_id ? <p className="break-all text-xs text-muted-foreground lg:col-span-2">{t("conversions.log.batch", { id: e.batch_id })}</p> : null}
            </div>
          </details>
        </li>
      ))}
    </ol>
  );
}

/** One row per platform: its state and, for writers, "retry now" (failed) or "send again" (sent, confirmed). */
export function Deliveries({ conversion, canWrite }: { conversion: Conversion; canWrite: boolean }) {
  const { t, locale } = useI18n();
  const { retry, resend } = useConversionActions();
  const platforms = conversion.platforms ?? [];
  if (platforms.length === 0) return <EmptyState message={t("conversions.noPlatforms")} />;
  const action = (p: PlatformSync) => {
    const platform = p.platform as Platform;
    if (p.status === "failed") {
      return (
        <Button
          variant="outline"
          size="sm"
          disabled={retry.isPending}
          onClick={() => retry.mutate({ conversionId: conversion.conversion_id, platform })}
          data-testid="delivery-retry"
        >
          <RotateCcw aria-hidden />
          {t("conversions.retry.action")}
        </Button>
      );
    }
    if (p.status === "sent") {
      return (
        <ConfirmDialog
          destructive={false}
          trigger={
            <Button variant="outline" size="sm" disabled={resend.isPending} data-testid="delivery-resend">
              <Send aria-hidden />
              {t("conversions.resend.action")}
            </Button>
          }
          title={t("conversions.resend.title", { platform: platformName(p.platform) })}
          description={t("conversions.resend.description", { platform: platformName(p.platform), orderId: conversion.order_id })}
          confirmLabel={t("conversions.resend.confirm")}
          onConfirm={() => resend.mutateAsync({ conversionId: conversion.conversion_id, platform })}
        />
      );
    }
    return null;
  };
  return (
    <Table>
      <THead>
        <TR>
          <TH>{t("conversions.col.platform")}</TH>
          <TH>{t("conversions.col.reason")}</TH>
          <TH>{t("conversions.col.click")}</TH>
          <TH>{t("conversions.col.attempts")}</TH>
          <TH>{t("conversions.col.sentAt")}</TH>
          {canWrite ? <TH className="text-right">{t("common.actions")}</TH> : null}
        </TR>
      </THead>
      <TBody>
        {platforms.map((p) => (
          <TR key={p.platform} data-testid="delivery-row" data-platform={p.platform}>
            <TD>
              <PlatformStatusChip sync={p} />
            </TD>
            <TD className="max-w-[24rem] break-words text-xs">{reasonText(t, locale, p) ?? ""}</TD>
            <TD className="min-w-[10rem]">
              <UsedClick click={p.click} />
            </TD>
            <TD className="tabular-nums">{formatNumber(p.attempts, locale)}</TD>
            <TD className="whitespace-nowrap">{p.sent_at ? <time dateTime={p.sent_at}>{formatDateTime(p.sent_at, locale)}</time> : t("conversions.none")}</TD>
            {canWrite ? <TD className="text-right">{action(p)}</TD> : null}
          </TR>
        ))}
      </TBody>
    </Table>
  );
}

const CLICK_IDS = ["gclid", "gbraid", "wbraid", "fbclid", "fbc", "fbp", "ttclid", "li_fat_id", "msclkid"] as const;

/** A conversion: what was sold, the click it is credited to, its deliveries and the sync log. */
export default function ConversionDetailSection() {
  const { t, locale } = useI18n();
  const { conversionId = "" } = useParams();
  const me = useCurrentUser();
  const detail = useQuery({
    queryKey: [...CONVERSIONS_KEY, "detail", conversionId],
    queryFn: () => unwrap(api.GET("/api/conversions/{conversion_id}", { params: { path: { conversion_id: conversionId } } })),
  });
  const canWrite = me.permissions.includes(CONVERSIONS_WRITE);
  return (
    <div className="grid grid-cols-1 gap-4">
      <div>
        <Button asChild variant="ghost" size="sm">
          <Link to="/conversions">
            <ArrowLeft aria-hidden />
            {t("conversions.back")}
          </Link>
        </Button>
      </div>
      <QueryStates query={detail}>
        {({ conversion: c, sync_log }) => {
          const clicks = CLICK_IDS.filter((k) => c[k]);
          return (
            <>
              <Card data-testid="conversion-header">
                <CardHeader className="pb-3">
                  <CardTitle className="break-words" data-testid="conversion-title">
                    {c.conversion_name} · <Money value={c.conversion_value} currency={c.conversion_currency} />
                  </CardTitle>
                </CardHeader>
                <CardContent>
                  <dl className="grid gap-3 sm:grid-cols-3">
                    <Fact label={t("conversions.col.lead")}>
                      <Link to={`/leads/${c.lead_id}`} className="text-primary hover:underline">
                        {c.lead_name || t("conversions.unnamedLead")}
                      </Link>
                    </Fact>
                    <Fact label={t("conversions.col.date")}>{formatDateTime(c.conversion_date, locale)}</Fact>
                    <Fact label={t("conversions.filters.campaign")}>{c.campaign ?? t("conversions.none")}</Fact>
                    <Fact label={t("conversions.orderId")}>
                      <code className="break-all text-xs">{c.order_id}</code>
                    </Fact>
                    <Fact label={t("conversions.origin")}>{t(c.origin === "won" ? "conversions.origin.won" : "conversions.origin.api")}</Fact>
                    <Fact label={t("conversions.clickedAt")}>{c.clicked_at ? formatDateTime(c.clicked_at, locale) : t("conversions.none")}</Fact>
                    <Fact label={t("conversions.clickIds")}>
                      {clicks.length ? (
                        <span className="grid gap-0.5">
                          {clicks.map((k) => (
                            <code key={k} className="break-all text-xs">
                              {k}={c[k]}
                            </code>
                          ))}
                        </span>
                      ) : (
                        t("conversions.none")
                      )}
                    </Fact>
                  </dl>
                </CardContent>
              </Card>
              <Card data-testid="deliveries-panel">
                <CardHeader className="pb-3">
                  <CardTitle className="text-base">{t("conversions.deliveries")}</CardTitle>
                </CardHeader>
                <CardContent>
                  <Deliveries conversion={c} canWrite={canWrite} />
                </CardContent>
              </Card>
              <Card data-testid="sync-log-panel">
                <CardHeader className="pb-3">
                  <CardTitle className="text-base">{t("conversions.log.title")}</CardTitle>
                  <p className="text-xs text-muted-foreground">{t("conversions.log.hashedNote")}</p>
                </CardHeader>
                <CardContent>
                  <SyncLog entries={sync_log} />
                </CardContent>
              </Card>
            </>
          );
        }}
      </QueryStates>
    </div>
  );
}
