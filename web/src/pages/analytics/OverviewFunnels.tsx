import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { Link } from "react-router";
import { api, unwrap } from "@/api/client";
import type { components } from "@/api/schema";
import { usePermissions } from "@/auth/session";
import { SortableTable, type SortableColumn } from "@/components/ui/sortable-table";
import { useI18n, type Locale, type TFunction } from "@/i18n";
import { amount, percentValue, showCount, showMoney, showPercent } from "./numbers";

export type FunnelsSummary = components["schemas"]["FunnelsSummary"];
type Row = FunnelsSummary["funnels"][number];

function columns(t: TFunction, locale: Locale, currency: string, query: string): SortableColumn<Row>[] {
  const count = (id: "checkout_visitors" | "pix_generated" | "paid", header: string): SortableColumn<Row> => ({
    id,
    header,
    numeric: true,
    value: (r) => r[id],
    render: (r) => showCount(r[id], locale),
  });
  return [
    {
      id: "funnel",
      header: t("funnelAnalytics.overview.funnel"),
      value: (r) => r.name,
      render: (r) => (
        <Link to={`/funnels/${r.funnel_id}/analytics?${query}`} className="underline-offset-2 hover:underline">
          {r.name}
        </Link>
      ),
    },
    count("checkout_visitors", t("funnelAnalytics.col.checkoutVisitors")),
    count("pix_generated", t("funnelAnalytics.col.pix")),
    count("paid", t("funnelAnalytics.col.paid")),
    { id: "paid_rate", header: t("funnelAnalytics.col.paidRate"), numeric: true, value: (r) => percentValue(r.paid_rate), render: (r) => showPercent(r.paid_rate, locale) },
    { id: "revenue", header: t("funnelAnalytics.col.revenue"), numeric: true, value: (r) => amount(r.revenue), render: (r) => showMoney(r.revenue, locale, currency) },
  ];
}

/**
 * The Overview's funnels block: each funnel with visitors or charges in the Overview's
 * days, as its funnel analytics page counts them, linking to that page. The period is the
 * Overview's; its other filters do not apply (said under the table). Nothing is shown when
 * no funnel had activity, or for someone who cannot see funnels.
 */
export function OverviewFunnels({ dateFrom, dateTo }: { dateFrom: string; dateTo: string }) {
  const { t, locale } = useI18n();
  const can = usePermissions();
  const allowed = can("funnels:read");
  const query = { date_from: dateFrom, date_to: dateTo };
  const summary = useQuery({
    queryKey: ["analytics", "funnels", "summary", query],
    queryFn: () => unwrap(api.GET("/api/analytics/funnels", { params: { query } })),
    placeholderData: keepPreviousData,
    enabled: allowed,
  });
  const search = new URLSearchParams(query).toString();
  const currency = summary.data?.currency ?? "BRL";
  const cols = useMemo(() => columns(t, locale, currency, search), [t, locale, currency, search]);
  if (!allowed || !summary.data || summary.data.funnels.length === 0) return null;
  return (
    <div className="grid grid-cols-1 gap-2" data-testid="overview-funnels">
      <SortableTable caption={t("funnelAnalytics.overview.title")} columns={cols} rows={summary.data.funnels} rowKey={(r) => r.funnel_id} csvFilename={`overview-funnels-${dateFrom}_${dateTo}`} testId="table-funnels" />
      <p className="text-xs text-muted-foreground">{t("funnelAnalytics.overview.note")}</p>
    </div>
  );
}
