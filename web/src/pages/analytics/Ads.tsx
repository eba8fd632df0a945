import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { ArrowDown, ArrowUp, ArrowUpDown, ChevronDown, ChevronRight } from "lucide-react";
import { useMemo, useState } from "react";
import { api, unwrap } from "@/api/client";
import { Button } from "@/components/ui/button";
import { CsvButton } from "@/components/ui/csv-button";
import { QueryStates } from "@/components/ui/query-states";
import type { SortableColumn, SortState } from "@/components/ui/sortable-table";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useI18n, type Locale, type MessageKey, type TFunction } from "@/i18n";
import type { CsvColumn } from "@/lib/csv";
import { formatMoney, formatNumber, formatPercent } from "@/lib/format";
import { cn } from "@/lib/utils";
import { platformName } from "@/pages/conversions/shared";
import { activeFilterCount, useReportFilters } from "./filters";
import { buildTree, parentKeys, visibleNodes, type AdsTreeNode, type SpendNode, type SpendReport } from "./adsTree";
import { amount, rounded } from "./reportFigures";
import { ReportFilterBar } from "./ReportFilterBar";

const NONE = "—";

/** A node's name at its level: the platform's brand, else the current name, else the id. */
export function nodeLabel(node: AdsTreeNode): string {
  const r = node.row;
  switch (node.level) {
    case "platform":
      return platformName(r.platform ?? "");
    case "campaign":
      return r.campaign_name ?? r.campaign_id ?? NONE;
    case "ad_set":
      return r.ad_set_name ?? r.ad_set_id ?? NONE;
    default:
      return r.ad_name ?? r.ad_id ?? NONE;
  }
}

function nodeId(node: AdsTreeNode): string | null {
  const r = node.row;
  const id = { platform: null, campaign: r.campaign_id, ad_set: r.ad_set_id, ad: r.ad_id }[node.level];
  return id && id !== nodeLabel(node) ? id : null;
}

/** The figure columns, money in each row's own currency. */
export function adsColumns(t: TFunction, locale: Locale): SortableColumn<AdsTreeNode>[] {
  const money = (id: string, key: MessageKey, value: (r: SpendNode) => string | null | undefined): SortableColumn<AdsTreeNode> => ({
    id,
    header: t(key),
    numeric: true,
    value: (n) => amount(value(n.row)),
    render: (n) => {
      const v = amount(value(n.row));
      return v === null ? NONE : formatMoney(v, locale, n.row.currency);
    },
  });
  const count = (id: string, key: MessageKey, value: (r: SpendNode) => number | string | null | undefined, digits = 0): SortableColumn<AdsTreeNode> => ({
    id,
    header: t(key),
    numeric: true,
    value: (n) => rounded(amount(value(n.row)), digits),
    render: (n) => {
      const v = amount(value(n.row));
      return v === null ? NONE : formatNumber(v, locale, { maximumFractionDigits: digits });
    },
  });
  const percent = (id: string, key: MessageKey, value: (r: SpendNode) => number | null | undefined): SortableColumn<AdsTreeNode> => ({
    id,
    header: t(key),
    numeric: true,
    value: (n) => rounded(value(n.row)),
    render: (n) => {
      const v = value(n.row);
      return v === null || v === undefined ? NONE : formatPercent(v, locale);
    },
  });
  const roas = (id: string, key: MessageKey, value: (r: SpendNode) => number | null | undefined): SortableColumn<AdsTreeNode> => ({
    id,
    header: t(key),
    numeric: true,
    value: (n) => rounded(value(n.row), 2),
    render: (n) => {
      const v = value(n.row);
      return v === null || v === undefined ? NONE : `${formatNumber(v, locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 })}×`;
    },
  });
  return [
    money("spend", "ads.col.spend", (r) => r.spend),
    money("real_revenue", "ads.col.realRevenue", (r) => r.real_revenue),
    roas("real_roas", "ads.col.realRoas", (r) => r.real_roas),
    roas("platform_roas", "ads.col.platformRoas", (r) => r.platform_roas),
    money("platform_value", "ads.col.platformValue", (r) => r.conversion_value),
    count("platform_conversions", "ads.col.platformConversions", (r) => r.conversions, 2),
    count("impressions", "ads.col.impressions", (r) => r.impressions),
    count("clicks", "ads.col.clicks", (r) => r.clicks),
    percent("ctr", "ads.col.ctr", (r) => r.ctr),
    money("cpc", "ads.col.cpc", (r) => r.cpc),
    percent("hook_rate", "ads.col.hookRate", (r) => r.hook_rate),
  ];
}

/** The CSV of the shown rows: their level and path, currency, then the figures. */
function csvColumns(t: TFunction, figures: SortableColumn<AdsTreeNode>[]): CsvColumn<AdsTreeNode>[] {
  return [
    { header: t("ads.col.level"), value: (n) => t(`ads.level.${n.level}` as MessageKey) },
    { header: t("ads.level.platform"), value: (n) => n.row.platform },
    { header: t("ads.col.account"), value: (n) => n.row.account_id },
    { header: t("ads.level.campaign"), value: (n) => n.row.campaign_name ?? n.row.campaign_id },
    { header: t("ads.level.ad_set"), value: (n) => n.row.ad_set_name ?? n.row.ad_set_id },
    { header: t("ads.level.ad"), value: (n) => n.row.ad_name ?? n.row.ad_id },
    { header: t("ads.col.currency"), value: (n) => n.row.currency },
    ...figures,
  ];
}

/** Ads: spend per platform → campaign → ad set → ad, against real revenue, both ROAS side by side. */
export default function Ads() {
  const { query, filters } = useReportFilters();
  const { t } = useI18n();
  const report = useQuery({
    queryKey: ["analytics", "spend", "report", query],
    queryFn: () => unwrap(api.GET("/api/analytics/spend/report", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  return (
    <div className="grid gap-4">
      <ReportFilterBar />
      {activeFilterCount(filters) > 0 ? (
        <p className="text-sm text-muted-foreground" data-testid="ads-filter-note">
          {t("ads.filtersNote")}
        </p>
      ) : null}
      <QueryStates query={report} isEmpty={(d) => d.rows.length === 0} empty={t("ads.empty")}>
        {(data) => <AdsTree report={data} />}
      </QueryStates>
    </div>
  );
}

function AdsTree({ report }: { report: SpendReport }) {
  const { t, locale } = useI18n();
  const roots = useMemo(() => buildTree(report.rows), [report.rows]);
  const columns = useMemo(() => adsColumns(t, locale), [t, locale]);
  const nameColumn = useMemo<SortableColumn<AdsTreeNode>>(() => ({ id: "name", header: t("ads.col.name"), value: (n) => nodeLabel(n) }), [t]);
  const [sort, setSort] = useState<SortState>({ column: "spend", direction: "desc" });
  const [expanded, setExpanded] = useState<Set<string>>(() => new Set());
  const sortColumn = sort.column === "name" ? nameColumn : columns.find((c) => c.id === sort.column);
  const shown = useMemo(() => visibleNodes(roots, expanded, sortColumn, sort.direction, locale), [roots, expanded, sortColumn, sort.direction, locale]);
  const totals = report.rows.filter((r) => r.level === "total");
  const hasReal = report.rows.some((r) => (r as SpendNode).real_revenue !== undefined);

  const toggle = (key: string) =>
    setExpanded((current) => {
      const next = new Set(current);
      if (!next.delete(key)) next.add(key);
      return next;
    });
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
      <div className="flex flex-wrap gap-x-6 gap-y-1 text-sm" data-testid="ads-totals">
        {totals.map((r) => (
          <span key={r.currency}>
            {t("ads.totals", {
              spend: formatMoney(Number(r.spend), locale, r.currency),
              value: formatMoney(Number(r.conversion_value), locale, r.currency),
              roas: r.platform_roas === null ? NONE : `${formatNumber(r.platform_roas, locale, { maximumFractionDigits: 2 })}×`,
            })}
          </span>
        ))}
      </div>
      {!hasReal ? (
        <p className="text-sm text-muted-foreground" data-testid="ads-real-note">
          {t("ads.realPending")}
        </p>
      ) : null}
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h3 className="text-base font-semibold">{t("ads.title")}</h3>
        <div className="flex gap-2">
          <Button variant="ghost" size="sm" onClick={() => setExpanded(new Set(parentKeys(roots)))} data-testid="ads-expand-all">
            {t("ads.expandAll")}
          </Button>
          <Button variant="ghost" size="sm" onClick={() => setExpanded(new Set())} data-testid="ads-collapse-all">
            {t("ads.collapseAll")}
          </Button>
          <CsvButton
            filename={`ads-${report.range.current.date_from}-${report.range.current.date_to}`}
            columns={csvColumns(t, columns)}
            rows={shown}
            disabled={shown.length === 0}
          />
        </div>
      </div>
      <Table aria-label={t("ads.title")}>
        <THead>
          <TR>
            {header(nameColumn)}
            {columns.map(header)}
          </TR>
        </THead>
        <TBody>
          {shown.map((node) => {
            const open = expanded.has(node.key);
            const id = nodeId(node);
            return (
              <TR key={node.key} data-testid="ads-row" data-level={node.level}>
                <TD className="min-w-[16rem]">
                  <div className="flex items-start gap-1" style={{ paddingLeft: `${node.depth * 1.25}rem` }}>
                    {node.children.length > 0 ? (
                      <button
                        type="button"
                        className="mt-0.5 rounded text-muted-foreground hover:text-foreground focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
                        aria-expanded={open}
                        aria-label={t(open ? "ads.collapse" : "ads.expand", { name: nodeLabel(node) })}
                        onClick={() => toggle(node.key)}
                        data-testid="ads-toggle"
                      >
                        {open ? <ChevronDown className="h-4 w-4" aria-hidden /> : <ChevronRight className="h-4 w-4" aria-hidden />}
                      </button>
                    ) : (
                      <span className="inline-block w-4" aria-hidden />
                    )}
                    <div>
                      <div className={cn(node.depth === 0 && "font-medium")}>
                        {nodeLabel(node)}
                        {node.level === "platform" ? <span className="ml-1 text-xs text-muted-foreground">{node.row.currency}</span> : null}
                      </div>
                      {id ? <div className="font-mono text-xs text-muted-foreground">{id}</div> : null}
                    </div>
                  </div>
                </TD>
                {columns.map((c) => (
                  <TD key={c.id} className="text-right tabular-nums">
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
