import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { RotateCcw } from "lucide-react";
import { useCallback } from "react";
import { Link, useSearchParams } from "react-router";
import { api, unwrap } from "@/api/client";
import { useCurrentUser } from "@/auth/session";
import { Button } from "@/components/ui/button";
import { Pagination } from "@/components/ui/pagination";
import { QueryStates } from "@/components/ui/query-states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useI18n } from "@/i18n";
import { formatDateTime } from "@/lib/format";
import { PAGE_SIZE, usePageParam } from "@/lib/usePage";
import { Money } from "@/pages/crm/shared";
import { activeFilterCount, conversionQuery, filtersFromParams, filtersToParams, type ConversionFilters } from "./filters";
import { ConversionFiltersBar } from "./ConversionFiltersBar";
import { HealthPanel } from "./HealthPanel";
import { PlatformChips } from "./shared";
import { CONVERSIONS_WRITE, type Conversion } from "./types";
import { CONVERSIONS_KEY, useConversionActions } from "./useConversionActions";

export function ConversionTable({
  conversions,
  onRetry,
  retrying,
}: {
  conversions: Conversion[];
  /** Absent when the viewer may not retry. */
  onRetry?: (conversion: Conversion) => void;
  retrying?: string | null;
}) {
  const { t, locale } = useI18n();
  return (
    <Table>
      <THead>
        <TR>
          <TH>{t("conversions.col.conversion")}</TH>
          <TH>{t("conversions.col.lead")}</TH>
          <TH className="text-right">{t("conversions.col.value")}</TH>
          <TH>{t("conversions.col.date")}</TH>
          <TH>{t("conversions.col.platforms")}</TH>
          {onRetry ? <TH className="text-right">{t("common.actions")}</TH> : null}
        </TR>
      </THead>
      <TBody>
        {conversions.map((c) => (
          <TR key={c.conversion_id} data-testid="conversion-row" data-conversion-id={c.conversion_id}>
            <TD className="max-w-[16rem]">
              <Link to={`/conversions/${c.conversion_id}`} className="break-words font-medium text-primary hover:underline" data-testid="conversion-link">
                {c.conversion_name}
              </Link>
              <div className="break-all text-xs text-muted-foreground">{t(c.origin === "won" ? "conversions.origin.won" : "conversions.origin.api")}</div>
            </TD>
            <TD className="max-w-[16rem]">
              <Link to={`/leads/${c.lead_id}`} className="break-words hover:underline">
                {c.lead_name || t("conversions.unnamedLead")}
              </Link>
              {c.campaign ? <div className="break-all text-xs text-muted-foreground">{c.campaign}</div> : null}
            </TD>
            <TD className="whitespace-nowrap text-right">
              <Money value={c.conversion_value} currency={c.conversion_currency} />
            </TD>
            <TD className="whitespace-nowrap">
              <time dateTime={c.conversion_date}>{formatDateTime(c.conversion_date, locale)}</time>
            </TD>
            <TD>
              <PlatformChips platforms={c.platforms ?? []} />
            </TD>
            {onRetry ? (
              <TD className="text-right">
                {(c.platforms ?? []).some((p) => p.status === "failed") ? (
                  <Button variant="outline" size="sm" onClick={() => onRetry(c)} disabled={retrying === c.conversion_id} data-testid="conversion-retry">
                    <RotateCcw aria-hidden />
                    {t("conversions.retry.action")}
                  </Button>
                ) : null}
              </TD>
            ) : null}
          </TR>
        ))}
      </TBody>
    </Table>
  );
}

/** Conversions: the platforms' health, filters (in the URL), a page of the list with status chips. */
export default function ConversionListSection() {
  const { t } = useI18n();
  const me = useCurrentUser();
  const [params, setParams] = useSearchParams();
  const [page, setPage] = usePageParam();
  const filters = filtersFromParams(params);
  const query = conversionQuery(filters, page, PAGE_SIZE);
  const list = useQuery({
    queryKey: [...CONVERSIONS_KEY, "list", query],
    queryFn: () => unwrap(api.GET("/api/conversions", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const { retry } = useConversionActions();
  const onChange = useCallback((next: ConversionFilters) => setParams(filtersToParams(next), { replace: true }), [setParams]);
  const canWrite = me.permissions.includes(CONVERSIONS_WRITE);

  return (
    <div className="grid grid-cols-1 gap-4">
      <HealthPanel onShowQueue={(platform) => onChange({ ...filters, platform, status: "pending" })} />
      <ConversionFiltersBar filters={filters} onChange={onChange} />
      <QueryStates query={list} isEmpty={(d) => d.items.length === 0} empty={activeFilterCount(filters) > 0 ? t("conversions.list.noMatch") : t("conversions.list.empty")}>
        {(data) => (
          <div>
            <ConversionTable
              conversions={data.items}
              onRetry={canWrite ? (c) => retry.mutate({ conversionId: c.conversion_id }) : undefined}
              retrying={retry.isPending ? (retry.variables?.conversionId ?? null) : null}
            />
            <Pagination page={page} pageSize={PAGE_SIZE} total={data.total} onPageChange={setPage} />
          </div>
        )}
      </QueryStates>
    </div>
  );
}
