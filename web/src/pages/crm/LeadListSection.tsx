import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Download, Plus } from "lucide-react";
import { useCallback, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api, unwrap } from "@/api/client";
import { useCurrentUser } from "@/auth/session";
import { Button } from "@/components/ui/button";
import { Pagination } from "@/components/ui/pagination";
import { QueryStates } from "@/components/ui/query-states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { saveBlob } from "@/lib/csv";
import { errorMessage } from "@/lib/errors";
import { formatDate, formatMoney, formatNumber } from "@/lib/format";
import { PAGE_SIZE, usePageParam } from "@/lib/usePage";
import { ChannelBadge } from "@/pages/tracking/shared";
import { sourceMedium } from "@/pages/tracking/format";
import { activeFilterCount, filtersFromParams, filtersToParams, leadQuery, type LeadFilters } from "./filters";
import { LeadFiltersBar } from "./LeadFiltersBar";
import { CreateLeadDialog } from "./CreateLeadDialog";
import { Money, ScoreChip, StageBadge } from "./shared";
import { CRM_WRITE, type LeadQuery, type LeadSummary } from "./types";

export function LeadTable({ leads, currency }: { leads: LeadSummary[]; currency: string }) {
  const { t, locale } = useI18n();
  return (
    <Table>
      <THead>
        <TR>
          <TH>{t("crm.lead.name")}</TH>
          <TH>{t("crm.lead.score")}</TH>
          <TH>{t("crm.lead.stage")}</TH>
          <TH className="text-right">{t("crm.lead.value")}</TH>
          <TH>{t("crm.lead.owner")}</TH>
          <TH>{t("crm.lead.origin")}</TH>
          <TH>{t("crm.lead.created")}</TH>
        </TR>
      </THead>
      <TBody>
        {leads.map((lead) => (
          <TR key={lead.lead_id} data-testid="lead-row">
            <TD className="max-w-[20rem]">
              <Link to={`/leads/${lead.lead_id}`} className="break-words font-medium text-primary hover:underline" data-testid="lead-link">
                {lead.name || lead.email || t("crm.lead.unnamed")}
              </Link>
              {lead.email ? <div className="break-all text-xs text-muted-foreground">{lead.email}</div> : null}
              {lead.company ? <div className="break-words text-xs text-muted-foreground">{lead.company}</div> : null}
            </TD>
            <TD>
              <ScoreChip score={lead.lead_score} />
            </TD>
            <TD>
              <StageBadge stage={lead.current_stage} />
            </TD>
            <TD className="whitespace-nowrap text-right" data-testid="lead-value">
              {lead.stage_value === null ? "" : <Money value={lead.stage_value} currency={currency} />}
            </TD>
            <TD className="max-w-[10rem] truncate text-sm">{lead.owner?.name ?? ""}</TD>
            <TD className="max-w-[18rem]">
              <div className="flex flex-wrap items-center gap-1.5">
                <ChannelBadge channel={lead.channel} />
                <span className="break-all text-xs text-muted-foreground">{sourceMedium(lead.source, lead.medium) ?? ""}</span>
              </div>
              {lead.campaign ? <div className="break-all text-xs">{lead.campaign}</div> : null}
            </TD>
            <TD className="whitespace-nowrap">
              <time dateTime={lead.created_at}>{formatDate(lead.created_at, locale)}</time>
            </TD>
          </TR>
        ))}
      </TBody>
    </Table>
  );
}

/** The list's footer: how many leads match and their values' sum. */
function Totals({ query }: { query: LeadQuery }) {
  const { t, locale } = useI18n();
  const totals = useQuery({
    queryKey: ["crm", "leads", "summary", query],
    queryFn: () => unwrap(api.GET("/api/leads/summary", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  if (!totals.data) return null;
  return (
    <p className="text-sm text-muted-foreground" data-testid="lead-totals">
      {t("crm.leads.totals", { count: formatNumber(totals.data.count, locale), value: formatMoney(Number(totals.data.value), locale, totals.data.currency) })}
    </p>
  );
}

/** Leads: filters and search (in the URL), a page of the table, totals, CSV of every match. */
export default function LeadListSection() {
  const { t } = useI18n();
  const me = useCurrentUser();
  const { toast } = useToast();
  const [params, setParams] = useSearchParams();
  const [page, setPage] = usePageParam();
  const [creating, setCreating] = useState(false);
  const [exporting, setExporting] = useState(false);
  const filters = filtersFromParams(params);
  const query = leadQuery(filters, page, PAGE_SIZE);
  const { page: _page, page_size: _size, ...filterQuery } = query;
  const leads = useQuery({
    queryKey: ["crm", "leads", query],
    queryFn: () => unwrap(api.GET("/api/leads", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const currency = useQuery({
    queryKey: ["crm", "leads", "summary", filterQuery],
    queryFn: () => unwrap(api.GET("/api/leads/summary", { params: { query: filterQuery } })),
    placeholderData: keepPreviousData,
  }).data?.currency;
  const onChange = useCallback((next: LeadFilters) => setParams(filtersToParams(next), { replace: true }), [setParams]);
  const exportCsv = async () => {
    setExporting(true);
    try {
      const { data, error } = await api.GET("/api/leads/export", { params: { query: filterQuery }, parseAs: "blob" });
      if (error || !data) throw error ?? new Error("empty");
      saveBlob("leads.csv", data as Blob);
    } catch (e) {
      toast(t("crm.leads.exportFailed", { reason: errorMessage(e, t) }), "error");
    } finally {
      setExporting(false);
    }
  };

  return (
    <div className="grid grid-cols-1 gap-4">
      <div className="flex flex-wrap items-center justify-end gap-2">
        <Button variant="outline" size="sm" onClick={() => void exportCsv()} disabled={exporting} data-testid="leads-export">
          <Download aria-hidden />
          {t("csv.download")}
        </Button>
        {me.permissions.includes(CRM_WRITE) ? (
          <Button size="sm" onClick={() => setCreating(true)} data-testid="create-lead">
            <Plus aria-hidden />
            {t("crm.create.open")}
          </Button>
        ) : null}
      </div>
      <LeadFiltersBar filters={filters} onChange={onChange} />
      <QueryStates query={leads} isEmpty={(d) => d.items.length === 0} empty={activeFilterCount(filters) > 0 ? t("crm.leads.noMatch") : t("crm.leads.empty")}>
        {(data) => (
          <div className="grid gap-2">
            <div className="overflow-x-auto">
              <LeadTable leads={data.items} currency={currency ?? "BRL"} />
            </div>
            <Totals query={filterQuery} />
            <Pagination page={page} pageSize={PAGE_SIZE} total={data.total} onPageChange={setPage} />
          </div>
        )}
      </QueryStates>
      <CreateLeadDialog open={creating} onClose={() => setCreating(false)} />
    </div>
  );
}
