import { ArrowLeft, ChevronRight, Radio } from "lucide-react";
import { Fragment, useEffect, useState } from "react";
import { Link, useParams } from "react-router";
import { Badge } from "@/components/ui/badge";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { SortableTable, type SortableColumn } from "@/components/ui/sortable-table";
import { EmptyState, ErrorState, LoadingState } from "@/components/ui/states";
import { hasKey, useI18n, type TFunction } from "@/i18n";
import { formatDateTime, formatRelative } from "@/lib/format";
import { useLiveStatus } from "@/live/LiveProvider";
import { KpiGrid } from "@/pages/analytics/OverviewKpis";
import { showCount, showMoney } from "@/pages/analytics/numbers";
import { onlineByStep, visitorList, type LiveVisitor, type MonitorPayment, type MonitorState } from "./monitorState";
import { useFunnelMonitor } from "./useFunnelMonitor";
import type { StepType } from "../types";

const TICK_MS = 15_000;

/** Re-render every few seconds, so "x minutes ago" stays true. */
function useNow(): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const id = setInterval(() => setNow(new Date()), TICK_MS);
    return () => clearInterval(id);
  }, []);
  return now;
}

function deviceLabel(t: TFunction, device: string | null): string {
  const key = `analytics.device.${device}`;
  return device && hasKey(key) ? t(key) : (device ?? t("funnelMonitor.none"));
}

const STATUS_VARIANT: Record<MonitorPayment["status"], "success" | "secondary" | "destructive" | "default"> = {
  pending: "default",
  paid: "success",
  failed: "destructive",
  cancelled: "secondary",
  expired: "secondary",
  refunded: "destructive",
  chargedback: "destructive",
};

function LiveBadge() {
  const { t } = useI18n();
  const status = useLiveStatus();
  return (
    <Badge variant={status === "online" ? "success" : "secondary"} data-testid="monitor-live" data-status={status}>
      <Radio className="mr-1 h-3 w-3" aria-hidden />
      {t(`funnelMonitor.live.${status}`)}
    </Badge>
  );
}

/** The funnel's steps in order, each with the visitors on it now. */
function StepFlow({ state }: { state: MonitorState }) {
  const { t, locale } = useI18n();
  const counts = onlineByStep(state);
  if (state.steps.length === 0) return <EmptyState message={t("funnelMonitor.flow.empty")} />;
  return (
    <ol className="flex flex-wrap items-stretch gap-2" aria-label={t("funnelMonitor.flow")}>
      {state.steps.map((step, index) => (
        <Fragment key={step.id}>
          {index > 0 ? <ChevronRight className="hidden h-5 w-5 self-center text-muted-foreground sm:block" aria-hidden /> : null}
          <li className="min-w-[8.5rem] flex-1 rounded-lg border p-3 sm:flex-none" data-testid={`monitor-step-${step.slug}`}>
            <p className="truncate text-sm font-medium">{step.name}</p>
            <p className="text-xs text-muted-foreground">{t(`funnels.stepType.${step.step_type as StepType}`)}</p>
            <p className="mt-1 text-3xl font-semibold tabular-nums">
              <span data-testid="monitor-step-count">{showCount(counts[step.id] ?? 0, locale)}</span>{" "}
              <span className="text-xs font-normal text-muted-foreground">{t("funnelMonitor.flow.online")}</span>
            </p>
          </li>
        </Fragment>
      ))}
    </ol>
  );
}

function Monitor({ state }: { state: MonitorState }) {
  const { t, locale } = useI18n();
  const now = useNow();
  const stepName = (id: string | null) => state.steps.find((s) => s.id === id)?.name ?? t("funnelMonitor.unknownStep");
  const visitors = visitorList(state);
  const visitorColumns: SortableColumn<LiveVisitor>[] = [
    { id: "step", header: t("funnelMonitor.col.step"), value: (v) => stepName(v.step_id) },
    { id: "source", header: t("funnelMonitor.col.source"), value: (v) => v.source ?? t("funnelMonitor.none") },
    { id: "campaign", header: t("funnelMonitor.col.campaign"), value: (v) => v.campaign ?? t("funnelMonitor.none") },
    { id: "device", header: t("funnelMonitor.col.device"), value: (v) => deviceLabel(t, v.device) },
    { id: "on_step", header: t("funnelMonitor.col.onStep"), value: (v) => v.step_since, render: (v) => formatRelative(v.step_since, locale, now) },
    { id: "last", header: t("funnelMonitor.col.lastActivity"), value: (v) => v.last_activity_at, render: (v) => formatRelative(v.last_activity_at, locale, now) },
  ];
  const paymentColumns: SortableColumn<MonitorPayment>[] = [
    { id: "time", header: t("funnelMonitor.col.time"), value: (p) => p.created_at, render: (p) => formatDateTime(p.created_at, locale, state.today.timezone) },
    { id: "step", header: t("funnelMonitor.col.step"), value: (p) => stepName(p.step_id) },
    { id: "amount", header: t("funnelMonitor.col.amount"), numeric: true, value: (p) => Number(p.amount), render: (p) => showMoney(p.amount, locale, p.currency) },
    {
      id: "status",
      header: t("funnelMonitor.col.status"),
      value: (p) => t(`funnelMonitor.status.${p.status}`),
      render: (p) => (
        <Badge variant={STATUS_VARIANT[p.status]} data-testid="payment-status">
          {t(`funnelMonitor.status.${p.status}`)}
        </Badge>
      ),
    },
  ];
  return (
    <div className="space-y-4">
      <KpiGrid
        kpis={[
          { id: "online", label: "funnelMonitor.kpi.online", value: showCount(visitors.length, locale) },
          { id: "paid_today", label: "funnelMonitor.kpi.paidToday", value: showCount(state.today.paid, locale) },
          { id: "revenue_today", label: "funnelMonitor.kpi.revenueToday", value: showMoney(state.today.revenue, locale, state.today.currency) },
        ]}
      />
      <Card>
        <CardHeader>
          <CardTitle className="text-base">{t("funnelMonitor.flow")}</CardTitle>
        </CardHeader>
        <CardContent>
          <StepFlow state={state} />
        </CardContent>
      </Card>
      <div className="grid gap-4 2xl:grid-cols-2">
        <Card>
          <CardContent className="pt-6">
            {visitors.length === 0 ? (
              <div className="space-y-2">
                <h3 className="text-base font-semibold">{t("funnelMonitor.visitors")}</h3>
                <EmptyState message={t("funnelMonitor.visitors.empty")} />
              </div>
            ) : (
              <SortableTable caption={t("funnelMonitor.visitors")} columns={visitorColumns} rows={visitors} rowKey={(v) => v.session_id} csvFilename="funnel-visitors.csv" testId="monitor-visitors" />
            )}
          </CardContent>
        </Card>
        <Card>
          <CardContent className="pt-6">
            {state.payments.length === 0 ? (
              <div className="space-y-2">
                <h3 className="text-base font-semibold">{t("funnelMonitor.payments")}</h3>
                <EmptyState message={t("funnelMonitor.payments.empty")} />
              </div>
            ) : (
              <SortableTable caption={t("funnelMonitor.payments")} columns={paymentColumns} rows={state.payments} rowKey={(p) => p.id} csvFilename="funnel-payments.csv" testId="monitor-payments" />
            )}
          </CardContent>
        </Card>
      </div>
    </div>
  );
}

/** The live monitor of one funnel (`/funnels/:funnelId/monitor`). */
export default function MonitorPage() {
  const { funnelId = "" } = useParams();
  const { t } = useI18n();
  const { state, query } = useFunnelMonitor(funnelId);
  return (
    <div className="space-y-4">
      <Link to={`/funnels/${funnelId}`} className="inline-flex items-center gap-1 text-sm text-muted-foreground hover:underline">
        <ArrowLeft className="h-4 w-4" aria-hidden />
        {t("funnelMonitor.back")}
      </Link>
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <h1 className="truncate text-2xl font-semibold">
            {t("funnelMonitor.title")}
            {state ? `: ${state.name}` : ""}
          </h1>
          <p className="max-w-2xl text-sm text-muted-foreground">{t("funnelMonitor.intro")}</p>
        </div>
        <LiveBadge />
      </div>
      {state ? <Monitor state={state} /> : query.isError ? <ErrorState error={query.error} onRetry={() => void query.refetch()} /> : <LoadingState />}
    </div>
  );
}
