import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { RefreshCw } from "lucide-react";
import { Link, useLocation } from "react-router";
import { api, unwrap, type paths } from "@/api/client";
import { usePermissions } from "@/auth/session";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { QueryStates } from "@/components/ui/query-states";
import { SortableTable, type SortableColumn } from "@/components/ui/sortable-table";
import { EmptyState } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast";
import { useI18n, type Locale, type MessageKey, type TFunction } from "@/i18n";
import { errorMessage } from "@/lib/errors";
import { formatDateTime, formatMoney, formatNumber, formatPercent } from "@/lib/format";
import { platformName } from "@/pages/conversions/shared";
import { useReportFilters } from "./filters";
import { ReportFilterBar } from "./ReportFilterBar";

type Json<T> = T extends { content: { "application/json": infer J } } ? J : never;
export type TrackingHealth = Json<paths["/api/analytics/health"]["get"]["responses"][200]>;
export type UrlChecks = Json<paths["/api/analytics/health/urls"]["get"]["responses"][200]>;
type SessionsRow = TrackingHealth["sessions"][number];
type SpendRow = TrackingHealth["spend"][number];
type UtmRow = TrackingHealth["utm_campaigns"][number];
type UrlCheck = UrlChecks["checks"][number];
type Money = { currency: string; amount: string };

const NONE = "—";
const money = (locale: Locale, items: readonly Money[]) => (items.length ? items.map((m) => formatMoney(Number(m.amount), locale, m.currency)).join("; ") : NONE);
const home = (items: readonly Money[], currency: string) => items.filter((m) => m.currency === currency).reduce((sum, m) => sum + Number(m.amount), 0);
const fixText = (t: TFunction, code: string) => t(`trackingHealth.fix.${code}` as MessageKey);

function Kpi({ label, value, detail, testId }: { label: string; value: string; detail?: string; testId: string }) {
  return (
    <Card data-testid={testId}>
      <CardContent className="grid gap-1 p-4">
        <span className="text-xs font-medium text-muted-foreground">{label}</span>
        <span className="text-2xl font-semibold tabular-nums">{value}</span>
        {detail ? <span className="text-xs text-muted-foreground">{detail}</span> : null}
      </CardContent>
    </Card>
  );
}

function Section({ title, children, testId }: { title: string; children: React.ReactNode; testId: string }) {
  return (
    <Card data-testid={testId}>
      <CardHeader>
        <CardTitle className="text-base">{title}</CardTitle>
      </CardHeader>
      <CardContent className="grid gap-3 overflow-x-auto">{children}</CardContent>
    </Card>
  );
}

/** The status of an ad's URL as a coloured badge. */
export function UrlStatus({ status }: { status: string }) {
  const { t } = useI18n();
  const variant = status === "ok" ? "success" : status === "error" ? "destructive" : status === "warning" ? "default" : "secondary";
  return <Badge variant={variant}>{t(`trackingHealth.urls.status.${status}` as MessageKey)}</Badge>;
}

function sessionsColumns(t: TFunction, locale: Locale): SortableColumn<SessionsRow>[] {
  return [
    { id: "channel", header: t("trackingHealth.sessions.col.channel"), value: (r) => r.channel },
    { id: "source", header: t("trackingHealth.sessions.col.source"), value: (r) => r.source ?? NONE },
    { id: "sessions", header: t("trackingHealth.sessions.col.sessions"), numeric: true, value: (r) => r.sessions, render: (r) => formatNumber(r.sessions, locale) },
    { id: "lost", header: t("trackingHealth.sessions.col.lost"), numeric: true, value: (r) => r.without_campaign, render: (r) => formatNumber(r.without_campaign, locale) },
    { id: "fix", header: t("trackingHealth.sessions.col.fix"), value: (r) => fixText(t, r.fix), render: (r) => <span className="block min-w-56 whitespace-normal text-xs">{fixText(t, r.fix)}</span> },
  ];
}

function spendColumns(t: TFunction, locale: Locale, currency: string): SortableColumn<SpendRow>[] {
  return [
    { id: "platform", header: t("trackingHealth.spend.col.platform"), value: (r) => platformName(r.platform) },
    { id: "campaign", header: t("trackingHealth.spend.col.campaign"), value: (r) => r.campaign_name ?? r.campaign_id },
    { id: "ad", header: t("trackingHealth.spend.col.ad"), value: (r) => r.ad_name ?? r.ad_id },
    { id: "spend", header: t("trackingHealth.spend.col.spend"), numeric: true, value: (r) => home(r.spend, currency), render: (r) => money(locale, r.spend) },
    { id: "clicks", header: t("trackingHealth.spend.col.clicks"), numeric: true, value: (r) => r.clicks, render: (r) => formatNumber(r.clicks, locale) },
    {
      id: "missing",
      header: t("trackingHealth.spend.col.missing"),
      value: (r) => (r.missing_parameters === null ? t("trackingHealth.spend.notChecked") : r.missing_parameters.join(" ")),
      render: (r) => (r.missing_parameters === null ? <span className="text-muted-foreground">{t("trackingHealth.spend.notChecked")}</span> : <code className="text-xs">{r.missing_parameters.join(" ") || NONE}</code>),
    },
    { id: "fix", header: t("trackingHealth.spend.col.fix"), value: (r) => fixText(t, r.fix), render: (r) => <span className="block min-w-56 whitespace-normal text-xs">{fixText(t, r.fix)}</span> },
  ];
}

function utmColumns(t: TFunction, locale: Locale): SortableColumn<UtmRow>[] {
  return [
    { id: "source", header: t("trackingHealth.utms.col.source"), value: (r) => r.source ?? NONE },
    { id: "medium", header: t("trackingHealth.utms.col.medium"), value: (r) => r.medium ?? NONE },
    { id: "campaign", header: t("trackingHealth.utms.col.campaign"), value: (r) => r.campaign ?? NONE },
    { id: "sessions", header: t("trackingHealth.utms.col.sessions"), numeric: true, value: (r) => r.sessions, render: (r) => formatNumber(r.sessions, locale) },
    { id: "last", header: t("trackingHealth.utms.col.lastSeen"), value: (r) => r.last_seen, render: (r) => formatDateTime(r.last_seen, locale) },
  ];
}

export function urlColumns(t: TFunction, locale: Locale): SortableColumn<UrlCheck>[] {
  return [
    { id: "status", header: t("trackingHealth.urls.col.status"), value: (r) => t(`trackingHealth.urls.status.${r.status}` as MessageKey), render: (r) => <UrlStatus status={r.status} /> },
    { id: "platform", header: t("trackingHealth.urls.col.platform"), value: (r) => platformName(r.platform) },
    { id: "ad", header: t("trackingHealth.urls.col.ad"), value: (r) => r.ad_name ?? r.ad_id },
    { id: "campaign", header: t("trackingHealth.urls.col.campaign"), value: (r) => r.campaign_name ?? r.campaign_id ?? NONE },
    {
      id: "url",
      header: t("trackingHealth.urls.col.url"),
      value: (r) => r.landing_url ?? NONE,
      render: (r) => <span className="block max-w-64 truncate font-mono text-xs" title={[r.landing_url, r.url_suffix].filter(Boolean).join(" + ")}>{r.landing_url ?? NONE}</span>,
    },
    {
      id: "missing",
      header: t("trackingHealth.urls.col.missing"),
      value: (r) => r.missing.join(" "),
      render: (r) => (
        <span className="grid gap-0.5 text-xs">
          <code>{r.missing.join(" ") || NONE}</code>
          {r.auto_tagging === false ? <span className="text-destructive">{t("trackingHealth.urls.autoTaggingOff")}</span> : null}
        </span>
      ),
    },
    { id: "checked", header: t("trackingHealth.urls.col.checked"), value: (r) => r.checked_at, render: (r) => formatDateTime(r.checked_at, locale) },
  ];
}

/** Each ad's URL check, errors first, with a button (admins) that reads the URLs again. */
export function AdUrlChecks() {
  const { t, locale } = useI18n();
  const can = usePermissions();
  const { toast } = useToast();
  const qc = useQueryClient();
  const checks = useQuery({ queryKey: ["analytics", "health", "urls"], queryFn: () => unwrap(api.GET("/api/analytics/health/urls")) });
  const run = useMutation({
    mutationFn: () => unwrap(api.POST("/api/analytics/health/urls/check")),
    onSuccess: (r) => {
      toast(t("trackingHealth.urls.queued", { count: r.queued.length }));
      void qc.invalidateQueries({ queryKey: ["analytics", "health", "urls"] });
    },
    onError: (e) => toast(errorMessage(e, t), "error"),
  });
  return (
    <Card data-testid="url-checks">
      <CardHeader className="flex flex-row flex-wrap items-start justify-between gap-2">
        <div className="grid gap-1">
          <CardTitle className="text-base">{t("trackingHealth.urls.title")}</CardTitle>
          <CardDescription>{t("trackingHealth.urls.description")}</CardDescription>
        </div>
        {can("analytics:admin") ? (
          <Button size="sm" variant="outline" onClick={() => run.mutate()} disabled={run.isPending}>
            <RefreshCw aria-hidden />
            {run.isPending ? t("trackingHealth.urls.checking") : t("trackingHealth.urls.check")}
          </Button>
        ) : null}
      </CardHeader>
      <CardContent className="overflow-x-auto">
        <QueryStates query={checks} isEmpty={(d) => d.checks.length === 0} empty={t("trackingHealth.urls.empty")}>
          {(data) => (
            <div className="grid gap-2">
              <p className="text-sm text-muted-foreground">
                {t("trackingHealth.urls.counts", { error: data.counts.error ?? 0, warning: data.counts.warning ?? 0, ok: data.counts.ok ?? 0 })}
              </p>
              <SortableTable columns={urlColumns(t, locale)} rows={data.checks} rowKey={(r) => `${r.platform}|${r.account_id}|${r.ad_id}`} csvFilename="ad-url-checks" testId="url-table" />
            </div>
          )}
        </QueryStates>
      </CardContent>
    </Card>
  );
}

/** Analytics → "Unattributed & ad URLs" (path /analytics/health): the period's unattributed sales, sessions, spend and UTMs with what to fix, and each ad's URL check. */
export default function TrackingHealth() {
  const { t, locale } = useI18n();
  const { query } = useReportFilters();
  const { search } = useLocation();
  const health = useQuery({
    queryKey: ["analytics", "health", query],
    queryFn: () => unwrap(api.GET("/api/analytics/health", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  return (
    <div className="grid gap-4" data-testid="tracking-health">
      <div>
        <h2 className="text-lg font-semibold">{t("trackingHealth.title")}</h2>
        <p className="text-sm text-muted-foreground">{t("trackingHealth.description")}</p>
      </div>
      <ReportFilterBar />
      <QueryStates query={health}>
        {(data) => {
          const currency = data.range.currency;
          const totals = data.totals;
          const sales = data.sales;
          return (
            <div className="grid gap-4">
              <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4">
                <Kpi
                  testId="kpi-spend"
                  label={t("trackingHealth.kpi.spendLost")}
                  value={formatMoney(Number(totals.spend_without_sessions), locale, currency)}
                  detail={totals.spend_without_sessions_share === null ? undefined : t("trackingHealth.kpi.spendLostOf", { share: formatPercent(totals.spend_without_sessions_share, locale), total: formatMoney(Number(totals.spend), locale, currency) })}
                />
                <Kpi
                  testId="kpi-sessions"
                  label={t("trackingHealth.kpi.paidLost")}
                  value={formatNumber(totals.paid_sessions_without_campaign, locale)}
                  detail={totals.paid_sessions ? formatPercent(totals.paid_sessions_without_campaign / totals.paid_sessions, locale) : undefined}
                />
                <Kpi testId="kpi-sales" label={t("trackingHealth.kpi.salesLost")} value={formatNumber(sales.won_without_session, locale)} detail={sales.share_without_session === null ? undefined : formatPercent(sales.share_without_session, locale)} />
                <Kpi testId="kpi-utms" label={t("trackingHealth.kpi.utms")} value={formatNumber(data.utm_campaigns.length, locale)} />
              </div>
              {totals.other_currency_spend ? <p className="text-xs text-muted-foreground">{t("trackingHealth.otherCurrency")}</p> : null}

              <Section title={t("trackingHealth.spend.title")} testId="health-spend">
                {data.spend.length === 0 ? (
                  <EmptyState message={t("trackingHealth.spend.empty")} />
                ) : (
                  <SortableTable columns={spendColumns(t, locale, currency)} rows={data.spend} rowKey={(r) => `${r.platform}|${r.account_id}|${r.ad_id}`} csvFilename="spend-without-sessions" />
                )}
              </Section>

              <Section title={t("trackingHealth.sessions.title")} testId="health-sessions">
                {data.sessions.length === 0 ? (
                  <EmptyState message={t("trackingHealth.sessions.empty")} />
                ) : (
                  <SortableTable columns={sessionsColumns(t, locale)} rows={data.sessions} rowKey={(r) => `${r.channel}|${r.source ?? ""}`} csvFilename="sessions-without-campaign" />
                )}
              </Section>

              <Section title={t("trackingHealth.utms.title")} testId="health-utms">
                {data.utm_campaigns.length === 0 ? (
                  <EmptyState message={t("trackingHealth.utms.empty")} />
                ) : (
                  <>
                    <p className="text-sm">{fixText(t, "map_or_use_ids")}</p>
                    <SortableTable columns={utmColumns(t, locale)} rows={data.utm_campaigns} rowKey={(r) => `${r.source ?? ""}|${r.medium ?? ""}|${r.campaign ?? ""}`} csvFilename="utm-campaigns-without-campaign" />
                    <Link to={`/analytics/ads/mapping${search}`} className="text-sm text-primary underline">
                      {t("trackingHealth.utms.map")}
                    </Link>
                  </>
                )}
              </Section>

              <Section title={t("trackingHealth.sales.title")} testId="health-sales">
                {sales.leads_without_session === 0 && sales.won_without_session === 0 ? (
                  <EmptyState message={t("trackingHealth.sales.empty")} />
                ) : (
                  <div className="grid gap-2 text-sm">
                    <p>
                      {t("trackingHealth.sales.body", {
                        won: formatNumber(sales.won_without_session, locale),
                        total: formatNumber(sales.won, locale),
                        share: sales.share_without_session === null ? NONE : formatPercent(sales.share_without_session, locale),
                        leads: formatNumber(sales.leads_without_session, locale),
                        allLeads: formatNumber(sales.leads, locale),
                      })}
                    </p>
                    {sales.revenue_without_session.length ? <p>{t("trackingHealth.sales.revenue", { revenue: money(locale, sales.revenue_without_session) })}</p> : null}
                    <p className="text-muted-foreground">{fixText(t, sales.fix)}</p>
                  </div>
                )}
              </Section>
            </div>
          );
        }}
      </QueryStates>
      <AdUrlChecks />
    </div>
  );
}
