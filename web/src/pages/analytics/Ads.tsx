import { keepPreviousData, useQueries } from "@tanstack/react-query";
import { ArrowDown, ArrowUp, ArrowUpDown, ChevronDown, ChevronRight } from "lucide-react";
import { useEffect, useMemo, useState } from "react";
import { Link, Route, Routes, useLocation } from "react-router";
import { api, unwrap } from "@/api/client";
import { Button } from "@/components/ui/button";
import { CsvButton } from "@/components/ui/csv-button";
import { Label } from "@/components/ui/label";
import { NativeSelect } from "@/components/ui/native-select";
import type { SortableColumn, SortState } from "@/components/ui/sortable-table";
import { ErrorState, LoadingState, EmptyState } from "@/components/ui/states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useI18n, type Locale, type MessageKey, type TFunction } from "@/i18n";
import type { CsvColumn } from "@/lib/csv";
import { formatMoney, formatNumber } from "@/lib/format";
import { cn } from "@/lib/utils";
import { platformName } from "@/pages/conversions/shared";
import { ADS_LEVELS, buildTree, levelsNeeded, parentKeys, visibleNodes, type AdsFigures, type AdsReport, type AdsTreeNode } from "./adsTree";
import { MODELS, type ModelName } from "./Attribution";
import { useReportFilters } from "./filters";
import { figureColumns, rounded } from "./reportFigures";
import { ReportFilterBar } from "./ReportFilterBar";
import SpendMapping from "./SpendMapping";

const NONE = "—";

/** A node's name at its level: the platform's brand, else the current name, else the id. */
export function nodeLabel(t: TFunction, node: AdsTreeNode): string {
  const r = node.row;
  switch (node.level) {
    case "platform":
      return platformName(r.platform);
    case "campaign":
      return r.campaign_name ?? r.campaign_id ?? NONE;
    case "ad_set":
      return r.ad_set_name ?? r.ad_set_id ?? t("ads.noAdSet");
    default:
      return r.ad_name ?? r.ad_id ?? t("ads.noAd");
  }
}

function nodeId(t: TFunction, node: AdsTreeNode): string | null {
  const r = node.row;
  const id = { platform: null, campaign: r.campaign_id, ad_set: r.ad_set_id, ad: r.ad_id }[node.level];
  return id && id !== nodeLabel(t, node) ? id : null;
}

function multiple(locale: Locale, value: number | null | undefined, signed = false): string {
  if (value === null || value === undefined) return NONE;
  const text = formatNumber(value, locale, { minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: signed ? "exceptZero" : "auto" });
  return `${text}×`;
}

/** The figure columns: spend against real revenue, both ROAS side by side, then leads, platform figures and delivery. */
export function adsColumns(t: TFunction, locale: Locale, currency: string): SortableColumn<AdsTreeNode>[] {
  const { count, money, percent, decimal } = figureColumns(t, locale, currency);
  const roas = (id: string, key: MessageKey, value: (figures: AdsFigures) => number | null, signed = false): SortableColumn<AdsTreeNode> => ({
    id,
    header: t(key),
    numeric: true,
    value: (n) => rounded(value(n.row.figures), 2),
    render: (n) => multiple(locale, value(n.row.figures), signed),
  });
  const fraction = (id: string, key: MessageKey, value: (figures: AdsFigures) => number) => decimal<AdsTreeNode>(id, key, (n) => value(n.row.figures));
  return [
    money<AdsTreeNode>("spend", "ads.col.spend", (n) => n.row.figures.spend),
    money<AdsTreeNode>("real_revenue", "ads.col.realRevenue", (n) => n.row.figures.real_revenue),
    roas("real_roas", "ads.col.realRoas", (x) => x.real_roas),
    roas("platform_roas", "ads.col.platformRoas", (x) => x.platform_roas),
    roas("roas_gap", "ads.col.roasGap", (x) => x.roas_gap, true),
    money<AdsTreeNode>("profit", "profit.kpi", (n) => n.row.figures.profit?.profit),
    fraction("leads", "ads.col.leads", (x) => x.leads),
    money<AdsTreeNode>("cpl", "ads.col.cpl", (n) => n.row.figures.cpl),
    percent<AdsTreeNode>("qualified_rate", "ads.col.qualifiedRate", (n) => n.row.figures.qualified_rate),
    fraction("won", "ads.col.won", (x) => x.won),
    percent<AdsTreeNode>("lead_to_customer_rate", "ads.col.leadToCustomer", (n) => n.row.figures.lead_to_customer_rate),
    money<AdsTreeNode>("average_deal_value", "ads.col.averageDeal", (n) => n.row.figures.average_deal_value),
    money<AdsTreeNode>("platform_value", "ads.col.platformValue", (n) => n.row.figures.platform_value),
    decimal<AdsTreeNode>("platform_conversions", "ads.col.platformConversions", (n) => Number(n.row.figures.platform_conversions)),
    count<AdsTreeNode>("impressions", "ads.col.impressions", (n) => n.row.figures.impressions),
    count<AdsTreeNode>("clicks", "ads.col.clicks", (n) => n.row.figures.clicks),
    percent<AdsTreeNode>("ctr", "ads.col.ctr", (n) => n.row.figures.ctr),
    money<AdsTreeNode>("cpc", "ads.col.cpc", (n) => n.row.figures.cpc),
    percent<AdsTreeNode>("hook_rate", "ads.col.hookRate", (n) => n.row.figures.hook_rate),
    {
      id: "other_spend",
      header: t("ads.col.otherSpend"),
      value: (n) => n.row.figures.other_spend.map((m) => `${m.currency} ${m.amount}`).join("; ") || null,
      render: (n) => n.row.figures.other_spend.map((m) => formatMoney(Number(m.amount), locale, m.currency)).join("; ") || NONE,
    },
  ];
}

/** The CSV of the shown rows: their level and path, then the figures. */
function csvColumns(t: TFunction, figures: SortableColumn<AdsTreeNode>[]): CsvColumn<AdsTreeNode>[] {
  return [
    { header: t("ads.col.level"), value: (n) => t(`ads.level.${n.level}` as MessageKey) },
    { header: t("ads.level.platform"), value: (n) => n.row.platform },
    { header: t("ads.col.account"), value: (n) => n.row.account_id ?? null },
    { header: t("ads.level.campaign"), value: (n) => n.row.campaign_name ?? n.row.campaign_id ?? null },
    { header: t("ads.level.ad_set"), value: (n) => n.row.ad_set_name ?? n.row.ad_set_id ?? null },
    { header: t("ads.level.ad"), value: (n) => n.row.ad_name ?? n.row.ad_id ?? null },
    ...figures,
  ];
}

/** Analytics → Ads: the report, and the mapping editor under `mapping`. */
export default function Ads() {
  return (
    <Routes>
      <Route index element={<AdsReportPage />} />
      <Route path="mapping" element={<SpendMapping />} />
    </Routes>
  );
}

/** Spend per platform → campaign → ad set → ad against real revenue, both ROAS side by side (deeper levels load on expand). */
function AdsReportPage() {
  const { t } = useI18n();
  const { query } = useReportFilters();
  const { search } = useLocation();
  const [model, setModel] = useState<ModelName | "">("");
  const [expanded, setExpanded] = useState<Set<string>>(() => new Set());
  const [expandAll, setExpandAll] = useState(false);
  const depth = levelsNeeded(expanded, expandAll);
  const levels = useQueries({
    queries: ADS_LEVELS.map((level, i) => ({
      queryKey: ["analytics", "ads", level, query, model],
      queryFn: () => unwrap(api.GET("/api/analytics/ads", { params: { query: { ...query, level, ...(model ? { model } : {}) } } })),
      enabled: i < depth,
      placeholderData: keepPreviousData,
    })),
  });
  const [platforms, campaigns] = levels;
  const [p, c, s, a] = levels.map((q) => q.data);
  const roots = useMemo(() => buildTree({ platform: p?.rows, campaign: c?.rows, ad_set: s?.rows, ad: a?.rows }), [p, c, s, a]);
  const allLoaded = levels.every((q) => q.data !== undefined);
  useEffect(() => {
    if (expandAll && allLoaded) {
      setExpanded(new Set(parentKeys(roots)));
      setExpandAll(false);
    }
  }, [expandAll, allLoaded, roots]);

  const failed = levels.find((q) => q.isError);
  const report = campaigns?.data;
  return (
    <div className="grid gap-4">
      <ReportFilterBar />
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div className="grid w-64 gap-1.5">
          <Label htmlFor="ads-model">{t("ads.model")}</Label>
          <NativeSelect id="ads-model" value={model || report?.model || ""} onChange={(e) => setModel(e.target.value as ModelName)} data-testid="ads-model">
            {MODELS.map((m) => (
              <option key={m} value={m}>
                {t(`analytics.model.${m}` as MessageKey)}
              </option>
            ))}
          </NativeSelect>
        </div>
        <Link to={`mapping${search}`} className="text-sm text-primary underline" data-testid="ads-mapping-link">
          {t("ads.mappingLink")}
        </Link>
      </div>
      {failed ? (
        <ErrorState error={failed.error} onRetry={() => levels.forEach((q) => void q.refetch())} />
      ) : !report || !platforms?.data ? (
        <LoadingState />
      ) : report.rows.length === 0 && report.totals.leads === 0 ? (
        <EmptyState message={t("ads.empty")} />
      ) : (
        <AdsTree
          report={report}
          roots={roots}
          expanded={expanded}
          loadingDeeper={levels.some((q) => q.isFetching)}
          onToggle={(key) =>
            setExpanded((current) => {
              const next = new Set(current);
              if (!next.delete(key)) next.add(key);
              return next;
            })
          }
          onExpandAll={() => setExpandAll(true)}
          onCollapseAll={() => setExpanded(new Set())}
        />
      )}
    </div>
  );
}

function AdsTree({
  report,
  roots,
  expanded,
  loadingDeeper,
  onToggle,
  onExpandAll,
  onCollapseAll,
}: {
  report: AdsReport;
  roots: AdsTreeNode[];
  expanded: Set<string>;
  loadingDeeper: boolean;
  onToggle: (key: string) => void;
  onExpandAll: () => void;
  onCollapseAll: () => void;
}) {
  const { t, locale } = useI18n();
  const currency = report.range.currency;
  const columns = useMemo(() => adsColumns(t, locale, currency), [t, locale, currency]);
  const nameColumn = useMemo<SortableColumn<AdsTreeNode>>(() => ({ id: "name", header: t("ads.col.name"), value: (n) => nodeLabel(t, n) }), [t]);
  const [sort, setSort] = useState<SortState>({ column: "spend", direction: "desc" });
  const sortColumn = sort.column === "name" ? nameColumn : columns.find((c) => c.id === sort.column);
  const shown = useMemo(() => visibleNodes(roots, expanded, sortColumn, sort.direction, locale), [roots, expanded, sortColumn, sort.direction, locale]);
  const totals = report.totals;
  const money = (v: string | null) => (v === null ? NONE : formatMoney(Number(v), locale, currency));

  const sortBy = (c: SortableColumn<AdsTreeNode>) =>
    setSort((current) => (current.column === c.id ? { column: c.id, direction: current.direction === "asc" ? "desc" : "asc" } : { column: c.id, direction: c.numeric ? "desc" : "asc" }));
  const header = (c: SortableColumn<AdsTreeNode>) => {
    const active = sort.column === c.id;
    const Icon = active ? (sort.direction === "asc" ? ArrowUp : ArrowDown) : ArrowUpDown;
    return (
      <TH key={c.id} className={cn("whitespace-normal py-2 align-bottom", c.numeric && "text-right")} aria-sort={active ? (sort.direction === "asc" ? "ascending" : "descending") : "none"}>
        <button
          type="button"
          className={cn("inline-flex items-center gap-1 rounded hover:text-foreground focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring", active && "text-foreground")}
          onClick={() => sortBy(c)}
          title={t("table.sortBy", { column: c.header })}
          data-testid={`sort-${c.id}`}
        >
          {c.header}
          <Icon className="h-3.5 w-3.5" aria-hidden />
        </button>
      </TH>
    );
  };

  return (
    <div className="grid gap-3" data-testid="ads-report">
      <p className="text-sm" data-testid="ads-totals">
        {t("ads.totals", {
          spend: money(totals.spend),
          revenue: money(totals.real_revenue),
          real: multiple(locale, totals.real_roas),
          platform: multiple(locale, totals.platform_roas),
        })}
      </p>
      {report.unattributed.leads > 0 || Number(report.unattributed.real_revenue) > 0 ? (
        <p className="text-sm text-muted-foreground" data-testid="ads-unattributed">
          {t("ads.unattributed", { leads: formatNumber(report.unattributed.leads, locale, { maximumFractionDigits: 2 }), revenue: money(report.unattributed.real_revenue) })}
        </p>
      ) : null}
      {report.notes.map((note) => (
        <p key={note} className="text-sm text-muted-foreground" data-testid="ads-note">
          {t(`ads.note.${note}` as MessageKey)}
        </p>
      ))}
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h3 className="text-base font-semibold">{t("ads.title", { model: t(`analytics.model.${report.model}` as MessageKey) })}</h3>
        <div className="flex gap-2">
          <Button variant="ghost" size="sm" onClick={onExpandAll} data-testid="ads-expand-all">
            {t("ads.expandAll")}
          </Button>
          <Button variant="ghost" size="sm" onClick={onCollapseAll} data-testid="ads-collapse-all">
            {t("ads.collapseAll")}
          </Button>
          <CsvButton filename={`ads-${report.range.current.date_from}-${report.range.current.date_to}`} columns={csvColumns(t, columns)} rows={shown} disabled={shown.length === 0} />
        </div>
      </div>
      <Table aria-label={t("ads.title", { model: t(`analytics.model.${report.model}` as MessageKey) })} aria-busy={loadingDeeper}>
        <THead>
          <TR>
            {header(nameColumn)}
            {columns.map(header)}
          </TR>
        </THead>
        <TBody>
          {shown.map((node) => {
            const open = expanded.has(node.key);
            const id = nodeId(t, node);
            const expandable = node.level !== "ad" && (node.children.length > 0 || !open);
            return (
              <TR key={node.key} data-testid="ads-row" data-level={node.level}>
                <TD className="min-w-[16rem]">
                  <div className="flex items-start gap-1" style={{ paddingLeft: `${node.depth * 1.25}rem` }}>
                    {expandable ? (
                      <button
                        type="button"
                        className="mt-0.5 rounded text-muted-foreground hover:text-foreground focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
                        aria-expanded={open}
                        aria-label={t(open ? "ads.collapse" : "ads.expand", { name: nodeLabel(t, node) })}
                        onClick={() => onToggle(node.key)}
                        data-testid="ads-toggle"
                      >
                        {open ? <ChevronDown className="h-4 w-4" aria-hidden /> : <ChevronRight className="h-4 w-4" aria-hidden />}
                      </button>
                    ) : (
                      <span className="inline-block w-4" aria-hidden />
                    )}
                    <div>
                      <div className={cn(node.depth === 0 && "font-medium")}>{nodeLabel(t, node)}</div>
                      {id ? <div className="font-mono text-xs text-muted-foreground">{id}</div> : null}
                    </div>
                  </div>
                </TD>
                {columns.map((c) => (
                  <TD key={c.id} className={cn(c.numeric && "text-right tabular-nums")}>
                    {c.render ? c.render(node) : (c.value(node) ?? "")}
                  </TD>
                ))}
              </TR>
            );
          })}
        </TBody>
      </Table>
    </div>
  );
}
