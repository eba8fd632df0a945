import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { api, unwrap } from "@/api/client";
import type { paths } from "@/api/schema";
import { Badge } from "@/components/ui/badge";
import { FormDialog } from "@/components/ui/form-dialog";
import { QueryStates } from "@/components/ui/query-states";
import { SortableTable, type SortableColumn } from "@/components/ui/sortable-table";
import { Button } from "@/components/ui/button";
import { useI18n, type Locale, type MessageKey, type TFunction } from "@/i18n";
import { formatDate, formatMoney, formatNumber, formatPercent } from "@/lib/format";
import { platformName } from "@/pages/conversions/shared";
import { ChoiceGroup } from "./ChoiceGroup";
import { useReportFilters } from "./filters";
import { ReportFilterBar } from "./ReportFilterBar";

type Json<T> = T extends { content: { "application/json": infer J } } ? J : never;
type Report = Json<paths["/api/analytics/insights"]["get"]["responses"][200]>;
type Row = Report["rows"][number];
type Recommendation = Row["recommendation"];
const KINDS: readonly ("all" | Recommendation)[] = ["all", "pause", "scale", "fix_tracking", "watch", "keep"];
const VARIANT: Record<Recommendation, "destructive" | "success" | "secondary" | "default"> = {
  pause: "destructive",
  scale: "success",
  fix_tracking: "default",
  watch: "secondary",
  keep: "secondary",
};

const pct = (v: number | null | undefined, locale: Locale) => (v === null || v === undefined ? "—" : formatPercent(v, locale));

/** The rule's sentence with this ad's figures. */
export function explain(t: TFunction, locale: Locale, row: Row, report: Report): string {
  const vars = {
    rate: pct(row.sale_rate, locale),
    low: pct(row.sale_rate_low, locale),
    high: pct(row.sale_rate_high, locale),
    base: pct(report.baseline_sale_rate, locale),
    leads: formatNumber(row.leads, locale, { maximumFractionDigits: 1 }),
    won: formatNumber(row.won, locale, { maximumFractionDigits: 1 }),
    hook: pct(row.hook_rate, locale),
    baseHook: pct(report.baseline_hook_rate, locale),
    cpl: row.cpl ? formatMoney(Number(row.cpl), locale, report.range.currency) : "—",
    baseCpl: report.baseline_cpl ? formatMoney(Number(report.baseline_cpl), locale, report.range.currency) : "—",
    spend: formatMoney(Number(row.spend), locale, report.range.currency),
  };
  const key = row.recommendation === "pause" && row.hooks_well ? "insights.why.pause_hook" : `insights.why.${row.recommendation}`;
  return t(key as MessageKey, vars);
}

function HistoryDialog({ row, onClose }: { row: Row | null; onClose: () => void }) {
  const { t, locale } = useI18n();
  const history = useQuery({
    queryKey: ["analytics", "insights", "history", row?.platform, row?.account_id, row?.ad_id],
    queryFn: () => unwrap(api.GET("/api/analytics/insights/history", { params: { query: { platform: row!.platform, account_id: row!.account_id ?? "", ad_id: row!.ad_id ?? "" } } })),
    enabled: row !== null,
  });
  return (
    <FormDialog open={row !== null} onClose={onClose} title={t("insights.historyTitle", { ad: row?.ad_name ?? row?.ad_id ?? "" })} testId="insight-history">
      <QueryStates query={history} isEmpty={(d) => d.length === 0} empty={t("insights.noHistory")}>
        {(data) => (
          <ol className="grid gap-1 text-sm">
            {data.map((e) => (
              <li key={e.day} className="flex justify-between gap-3">
                <span>{formatDate(`${e.day}T12:00:00`, locale)}</span>
                <Badge variant={VARIANT[e.recommendation]}>{t(`insights.kind.${e.recommendation}`)}</Badge>
              </li>
            ))}
          </ol>
        )}
      </QueryStates>
    </FormDialog>
  );
}

/** Creative insights: a recommendation per ad with the figures and the rule behind it. */
export default function InsightsReport() {
  const { t, locale } = useI18n();
  const { query } = useReportFilters();
  const [kind, setKind] = useState<(typeof KINDS)[number]>("all");
  const [open, setOpen] = useState<Row | null>(null);
  const report = useQuery({
    queryKey: ["analytics", "insights", query],
    queryFn: () => unwrap(api.GET("/api/analytics/insights", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const columns = useMemo((): SortableColumn<Row>[] => {
    const data = report.data;
    if (!data) return [];
    return [
      { id: "ad", header: t("insights.col.ad"), value: (r) => `${platformName(r.platform)} · ${r.campaign_name ?? ""} · ${r.ad_name ?? r.ad_id ?? ""}` },
      {
        id: "recommendation",
        header: t("insights.col.recommendation"),
        value: (r) => t(`insights.kind.${r.recommendation}`),
        render: (r) => (
          <span className="grid gap-1">
            <Badge variant={VARIANT[r.recommendation]}>{t(`insights.kind.${r.recommendation}`)}</Badge>
            {r.since ? <span className="text-xs text-muted-foreground">{t("insights.since", { date: formatDate(`${r.since}T12:00:00`, locale) })}</span> : null}
          </span>
        ),
      },
      { id: "why", header: t("insights.col.why"), value: (r) => explain(t, locale, r, data) },
      { id: "spend", header: t("insights.col.spend"), numeric: true, value: (r) => Number(r.spend), render: (r) => formatMoney(Number(r.spend), locale, data.range.currency) },
      { id: "leads", header: t("insights.col.leads"), numeric: true, value: (r) => r.leads },
      { id: "won", header: t("insights.col.won"), numeric: true, value: (r) => r.won },
      {
        id: "history",
        header: t("insights.col.history"),
        value: () => "",
        render: (r) => (
          <Button variant="link" size="sm" className="h-auto p-0" onClick={() => setOpen(r)}>
            {t("insights.history")}
          </Button>
        ),
      },
    ];
  }, [report.data, t, locale]);
  return (
    <div className="grid grid-cols-1 gap-4">
      <div>
        <h2 className="text-xl font-semibold tracking-tight">{t("insights.title")}</h2>
        <p className="text-sm text-muted-foreground">{t("insights.description")}</p>
      </div>
      <ReportFilterBar />
      <ChoiceGroup label={t("insights.filter")} value={kind} options={KINDS.map((k) => ({ value: k, label: t(`insights.kind.${k}`) }))} onChange={setKind} testId="insight-kind" />
      <QueryStates query={report} isEmpty={(d) => d.rows.length === 0} empty={t("insights.empty")}>
        {(data) => (
          <SortableTable
            caption={t("insights.table")}
            columns={columns}
            rows={data.rows.filter((r) => kind === "all" || r.recommendation === kind)}
            rowKey={(r) => `${r.platform}-${r.account_id}-${r.ad_id}`}
            csvFilename={`creative-insights-${data.range.current.date_from}_${data.range.current.date_to}`}
            testId="table-insights"
          />
        )}
      </QueryStates>
      <HistoryDialog row={open} onClose={() => setOpen(null)} />
    </div>
  );
}
