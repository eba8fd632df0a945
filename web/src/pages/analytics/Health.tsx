import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { CheckCircle2, CircleAlert } from "lucide-react";
import { Link } from "react-router";
import { api, unwrap } from "@/api/client";
import type { paths } from "@/api/schema";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { QueryStates } from "@/components/ui/query-states";
import { useI18n, type MessageKey } from "@/i18n";
import { formatMoney, formatNumber, formatPercent } from "@/lib/format";
import { useReportFilters } from "./filters";
import { ReportFilterBar } from "./ReportFilterBar";

type Json<T> = T extends { content: { "application/json": infer J } } ? J : never;
type Health = Json<paths["/api/analytics/tracking-health"]["get"]["responses"][200]>;
type Check = Health["checks"][number];

/** Where a check is fixed in the dashboard, when it is. */
const FIX_LINKS: Partial<Record<Check["id"], { to: string; label: MessageKey }>> = {
  spend_without_sessions: { to: "/analytics/ads/mapping", label: "health.openMapping" },
  utms_without_campaign: { to: "/analytics/ads/mapping", label: "health.openMapping" },
  leads_without_session: { to: "/tracking/domains", label: "health.openDomains" },
};

function CheckCard({ check, currency }: { check: Check; currency: string }) {
  const { t, locale } = useI18n();
  const warn = check.status === "warning";
  const link = FIX_LINKS[check.id];
  const share = check.total ? formatPercent(check.count / check.total, locale) : null;
  return (
    <Card data-testid="health-check" data-check={check.id} data-status={check.status}>
      <CardHeader className="flex-row items-start gap-2 space-y-0">
        {warn ? <CircleAlert className="mt-0.5 h-5 w-5 shrink-0 text-amber-600" aria-hidden /> : <CheckCircle2 className="mt-0.5 h-5 w-5 shrink-0 text-emerald-600" aria-hidden />}
        <CardTitle className="text-base">{t(`health.check.${check.id}` as MessageKey)}</CardTitle>
      </CardHeader>
      <CardContent className="grid gap-2 text-sm">
        <p className="text-2xl font-semibold tabular-nums" data-testid="health-count">
          {formatNumber(check.count, locale)}
          {check.total !== null && check.total !== undefined ? (
            <span className="ml-2 text-sm font-normal text-muted-foreground">{t("health.ofTotal", { total: formatNumber(check.total, locale), share: share ?? "" })}</span>
          ) : null}
        </p>
        {check.amount !== null && check.amount !== undefined && Number(check.amount) > 0 ? (
          <p className="text-muted-foreground">{t(`health.amount.${check.id}` as MessageKey, { amount: formatMoney(Number(check.amount), locale, currency) })}</p>
        ) : null}
        {check.examples?.length ? (
          <ul className="list-inside list-disc text-xs text-muted-foreground">
            {(check.examples ?? []).map((e) => (
              <li key={e} className="break-words">
                {e}
              </li>
            ))}
          </ul>
        ) : null}
        <p className={warn ? "text-sm" : "text-sm text-muted-foreground"}>{t(warn ? (`health.fix.${check.id}` as MessageKey) : "health.fine")}</p>
        {warn && link ? (
          <Link to={link.to} className="text-sm text-primary hover:underline">
            {t(link.label)}
          </Link>
        ) : null}
      </CardContent>
    </Card>
  );
}

/** Tracking health: what escapes attribution in the period, and what to fix. */
export default function HealthReport() {
  const { t } = useI18n();
  const { query } = useReportFilters();
  const health = useQuery({
    queryKey: ["analytics", "tracking-health", query],
    queryFn: () => unwrap(api.GET("/api/analytics/tracking-health", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  return (
    <div className="grid grid-cols-1 gap-4">
      <div>
        <h2 className="text-xl font-semibold tracking-tight">{t("health.title")}</h2>
        <p className="text-sm text-muted-foreground">{t("health.description")}</p>
      </div>
      <ReportFilterBar />
      <QueryStates query={health}>
        {(data) => (
          <div className="grid gap-4 sm:grid-cols-2 xl:grid-cols-3">
            {data.checks.map((c) => (
              <CheckCard key={c.id} check={c} currency={data.range.currency} />
            ))}
          </div>
        )}
      </QueryStates>
    </div>
  );
}
