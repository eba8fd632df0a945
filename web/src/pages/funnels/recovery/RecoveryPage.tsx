import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ArrowLeft, MessageCircle } from "lucide-react";
import { Link, useSearchParams } from "react-router";
import { api, unwrap } from "@/api/client";
import { useCurrentUser } from "@/auth/session";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { NativeSelect } from "@/components/ui/native-select";
import { QueryStates } from "@/components/ui/query-states";
import { SortableTable, type SortableColumn } from "@/components/ui/sortable-table";
import { EmptyState } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast";
import { useI18n, type MessageKey } from "@/i18n";
import { errorMessage } from "@/lib/errors";
import { formatDateTime } from "@/lib/format";
import { amount, showCount, showMoney, showPercent } from "@/pages/analytics/numbers";
import { RecoveryChart } from "./RecoveryChart";
import { RecoverySettingsForm } from "./RecoverySettingsForm";
import { defaultPeriod, RECOVERY_WRITE, type CampaignRow, type RecoveryCase, type RecoveryReport } from "./types";

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function usePeriod() {
  const [params, setParams] = useSearchParams();
  const fallback = defaultPeriod();
  const from = params.get("date_from") ?? "";
  const to = params.get("date_to") ?? "";
  const set = (name: string, value: string) =>
    setParams((current) => {
      const next = new URLSearchParams(current);
      if (value) next.set(name, value);
      else next.delete(name);
      return next;
    });
  return {
    funnelId: params.get("funnel_id") || null,
    dateFrom: DAY.test(from) ? from : fallback.from,
    dateTo: DAY.test(to) ? to : fallback.to,
    set,
  };
}

function Kpi({ label, value, hint, testId }: { label: string; value: string; hint?: string; testId: string }) {
  return (
    <Card>
      <CardContent className="grid gap-1 p-4" data-testid={testId}>
        <span className="text-xs text-muted-foreground">{label}</span>
        <span className="text-xl font-semibold tabular-nums">{value}</span>
        {hint ? <span className="text-xs text-muted-foreground">{hint}</span> : null}
      </CardContent>
    </Card>
  );
}

function Figures({ report }: { report: RecoveryReport }) {
  const { t, locale } = useI18n();
  const totals = report.totals;
  return (
    <div className="grid grid-cols-2 gap-3 lg:grid-cols-5">
      <Kpi
        testId="kpi-detected"
        label={t("recovery.kpi.detected")}
        value={showCount(totals.abandoned + totals.unpaid, locale)}
        hint={t("recovery.kpi.detectedHint", { abandoned: showCount(totals.abandoned, locale), unpaid: showCount(totals.unpaid, locale) })}
      />
      <Kpi testId="kpi-actions" label={t("recovery.kpi.actions")} value={showCount(totals.actions_sent, locale)} />
      <Kpi testId="kpi-recovered" label={t("recovery.kpi.recovered")} value={showCount(totals.recovered, locale)} />
      <Kpi testId="kpi-revenue" label={t("recovery.kpi.revenue")} value={showMoney(totals.recovered_revenue, locale, report.currency)} />
      <Kpi testId="kpi-rate" label={t("recovery.kpi.rate")} value={showPercent(totals.recovery_rate, locale)} />
    </div>
  );
}

function CampaignTable({ rows, currency }: { rows: CampaignRow[]; currency: string }) {
  const { t, locale } = useI18n();
  const columns: SortableColumn<CampaignRow>[] = [
    { id: "source", header: t("recovery.col.source"), value: (r) => r.utm_source ?? t("recovery.noCampaign") },
    { id: "campaign", header: t("recovery.col.campaign"), value: (r) => r.utm_campaign ?? t("recovery.noCampaign") },
    { id: "detected", header: t("recovery.col.detected"), value: (r) => r.abandoned + r.unpaid, numeric: true },
    { id: "actions", header: t("recovery.col.actions"), value: (r) => r.actions_sent, numeric: true },
    { id: "recovered", header: t("recovery.col.recovered"), value: (r) => r.recovered, numeric: true },
    { id: "revenue", header: t("recovery.col.revenue"), value: (r) => amount(r.recovered_revenue), render: (r) => showMoney(r.recovered_revenue, locale, currency), numeric: true },
    { id: "rate", header: t("recovery.col.rate"), value: (r) => r.recovery_rate, render: (r) => showPercent(r.recovery_rate, locale), numeric: true },
  ];
  return (
    <SortableTable
      caption={t("recovery.campaigns.title")}
      columns={columns}
      rows={rows}
      rowKey={(r) => `${r.utm_source ?? ""}|${r.utm_campaign ?? ""}`}
      csvFilename="recovery-by-campaign.csv"
      testId="recovery-campaigns"
    />
  );
}

function CaseTable({ rows, canWrite }: { rows: RecoveryCase[]; canWrite: boolean }) {
  const { t, locale } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const mark = useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/api/recovery/cases/{case_id}/whatsapp", { params: { path: { case_id: id } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ["recovery"] }),
    onError: (e) => toast(errorMessage(e, t), "error"),
  });
  const whatsappSent = (c: RecoveryCase) => c.actions.some((a) => a.channel === "whatsapp" && a.status === "sent");
  const columns: SortableColumn<RecoveryCase>[] = [
    { id: "buyer", header: t("recovery.col.buyer"), value: (c) => c.first_name ?? "" },
    { id: "kind", header: t("recovery.col.kind"), value: (c) => t(`recovery.kind.${c.kind}` as MessageKey) },
    { id: "product", header: t("recovery.col.product"), value: (c) => c.product_name ?? "" },
    { id: "amount", header: t("recovery.col.amount"), value: (c) => amount(c.amount), render: (c) => showMoney(c.amount, locale, c.currency), numeric: true },
    { id: "campaign", header: t("recovery.col.campaign"), value: (c) => c.utm_campaign ?? t("recovery.noCampaign") },
    { id: "detected", header: t("recovery.col.detectedAt"), value: (c) => c.detected_at, render: (c) => formatDateTime(c.detected_at, locale) },
    {
      id: "status",
      header: t("recovery.col.status"),
      value: (c) => (c.recovered_at ? t("recovery.status.recovered") : t("recovery.status.open")),
      render: (c) => <Badge variant={c.recovered_at ? "success" : "secondary"}>{c.recovered_at ? t("recovery.status.recovered") : t("recovery.status.open")}</Badge>,
    },
    {
      id: "whatsapp",
      header: t("recovery.col.whatsapp"),
      value: (c) => (whatsappSent(c) ? t("recovery.whatsapp.sent") : c.whatsapp_url ? "" : t("recovery.whatsapp.noPhone")),
      render: (c) =>
        !c.whatsapp_url ? (
          <span className="text-xs text-muted-foreground">{t("recovery.whatsapp.noPhone")}</span>
        ) : (
          <Button asChild variant={whatsappSent(c) ? "ghost" : "outline"} size="sm">
            <a
              href={c.whatsapp_url}
              target="_blank"
              rel="noopener noreferrer"
              data-testid="whatsapp-link"
              onClick={() => {
                if (canWrite && !whatsappSent(c)) mark.mutate(c.id);
              }}
            >
              <MessageCircle aria-hidden />
              {whatsappSent(c) ? t("recovery.whatsapp.sent") : t("recovery.whatsapp.open")}
            </a>
          </Button>
        ),
    },
  ];
  return <SortableTable caption={t("recovery.cases.title")} columns={columns} rows={rows} rowKey={(c) => c.id} csvFilename="recovery-buyers.csv" testId="recovery-cases" />;
}

/** The recovery report of a funnel (or all) and period, the buyers to recover, and the funnel's settings. */
export default function RecoveryPage() {
  const { t } = useI18n();
  const me = useCurrentUser();
  const canWrite = me.permissions.includes(RECOVERY_WRITE);
  const { funnelId, dateFrom, dateTo, set } = usePeriod();
  const funnels = useQuery({
    queryKey: ["funnels", "list"],
    queryFn: () => unwrap(api.GET("/api/funnels", { params: { query: { page: 1, page_size: 200 } } })),
  });
  const report = useQuery({
    queryKey: ["recovery", "report", funnelId, dateFrom, dateTo],
    queryFn: () => unwrap(api.GET("/api/recovery/report", { params: { query: { date_from: dateFrom, date_to: dateTo, funnel_id: funnelId } } })),
  });
  const cases = useQuery({
    queryKey: ["recovery", "cases", funnelId],
    queryFn: () => unwrap(api.GET("/api/recovery/cases", { params: { query: { funnel_id: funnelId, page: 1, page_size: 100 } } })),
  });
  const nothing = (r: RecoveryReport) => r.totals.abandoned + r.totals.unpaid === 0 && (cases.data?.total ?? 0) === 0;
  return (
    <div className="space-y-4">
      <div>
        <Link to="/funnels" className="inline-flex items-center gap-1 text-sm text-muted-foreground hover:text-foreground">
          <ArrowLeft className="h-4 w-4" aria-hidden />
          {t("recovery.back")}
        </Link>
        <h1 className="text-2xl font-semibold">{t("recovery.title")}</h1>
        <p className="max-w-3xl text-sm text-muted-foreground">{t("recovery.intro")}</p>
      </div>
      <div className="grid gap-3 sm:grid-cols-3">
        <div className="grid gap-1.5">
          <Label htmlFor="recovery-funnel">{t("recovery.filters.funnel")}</Label>
          <NativeSelect id="recovery-funnel" value={funnelId ?? ""} onChange={(e) => set("funnel_id", e.target.value)} data-testid="recovery-funnel">
            <option value="">{t("recovery.filters.allFunnels")}</option>
            {(funnels.data?.items ?? []).map((f) => (
              <option key={f.id} value={f.id}>
                {f.name}
              </option>
            ))}
          </NativeSelect>
        </div>
        <div className="grid gap-1.5">
          <Label htmlFor="recovery-from">{t("recovery.filters.from")}</Label>
          <Input id="recovery-from" type="date" value={dateFrom} max={dateTo} onChange={(e) => set("date_from", e.target.value)} />
        </div>
        <div className="grid gap-1.5">
          <Label htmlFor="recovery-to">{t("recovery.filters.to")}</Label>
          <Input id="recovery-to" type="date" value={dateTo} min={dateFrom} onChange={(e) => set("date_to", e.target.value)} />
        </div>
      </div>
      <QueryStates query={report} isEmpty={nothing} empty={t("recovery.empty")}>
        {(data) => (
          <div className="space-y-4">
            <Figures report={data} />
            {data.by_day.length > 0 ? <RecoveryChart days={data.by_day} currency={data.currency} /> : null}
            <CampaignTable rows={data.by_campaign} currency={data.currency} />
            {cases.data ? <CaseTable rows={cases.data.items} canWrite={canWrite} /> : null}
          </div>
        )}
      </QueryStates>
      {funnelId ? <RecoverySettingsForm funnelId={funnelId} canWrite={canWrite} /> : <EmptyState message={t("recovery.emptyNoFunnel")} />}
    </div>
  );
}
