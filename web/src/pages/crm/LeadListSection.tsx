import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useCallback } from "react";
import { Link, useSearchParams } from "react-router";
import { api, unwrap } from "@/api/client";
import { Pagination } from "@/components/ui/pagination";
import { QueryStates } from "@/components/ui/query-states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useI18n } from "@/i18n";
import { formatDate } from "@/lib/format";
import { PAGE_SIZE, usePageParam } from "@/lib/usePage";
import { ChannelBadge } from "@/pages/tracking/shared";
import { sourceMedium } from "@/pages/tracking/format";
import { activeFilterCount, filtersFromParams, filtersToParams, leadQuery, type LeadFilters } from "./filters";
import { LeadFiltersBar } from "./LeadFiltersBar";
import { ScoreChip, StageBadge } from "./shared";
import type { LeadSummary } from "./types";

export function LeadTable({ leads }: { leads: LeadSummary[] }) {
  const { t, locale } = useI18n();
  return (
    <Table>
      <THead>
        <TR>
          <TH>{t("crm.lead.name")}</TH>
          <TH>{t("crm.lead.score")}</TH>
          <TH>{t("crm.lead.stage")}</TH>
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

/** Leads: filters and search (in the URL), a page of the table. */
export default function LeadListSection() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const [page, setPage] = usePageParam();
  const filters = filtersFromParams(params);
  const query = leadQuery(filters, page, PAGE_SIZE);
  const leads = useQuery({
    queryKey: ["crm", "leads", query],
    queryFn: () => unwrap(api.GET("/api/leads", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const onChange = useCallback((next: LeadFilters) => setParams(filtersToParams(next), { replace: true }), [setParams]);

  return (
    <div className="grid grid-cols-1 gap-4">
      <LeadFiltersBar filters={filters} onChange={onChange} />
      <QueryStates query={leads} isEmpty={(d) => d.items.length === 0} empty={activeFilterCount(filters) > 0 ? t("crm.leads.noMatch") : t("crm.leads.empty")}>
        {(data) => (
          <div>
            <LeadTable leads={data.items} />
            <Pagination page={page} pageSize={PAGE_SIZE} total={data.total} onPageChange={setPage} />
          </div>
        )}
      </QueryStates>
    </div>
  );
}
