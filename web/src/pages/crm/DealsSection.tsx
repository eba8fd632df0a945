import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { Link, useSearchParams } from "react-router";
import { api, unwrap } from "@/api/client";
import { CsvButton } from "@/components/ui/csv-button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { NativeSelect } from "@/components/ui/native-select";
import { Pagination } from "@/components/ui/pagination";
import { QueryStates } from "@/components/ui/query-states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useI18n, type TFunction } from "@/i18n";
import type { CsvColumn } from "@/lib/csv";
import { formatDate, formatMoney, formatNumber } from "@/lib/format";
import { dayParam, textParam } from "@/lib/filterParams";
import { PAGE_SIZE, usePageParam } from "@/lib/usePage";
import { OwnerOptions, useMembers } from "./members";
import { Money, StageBadge, StageOptions, stageKey } from "./shared";
import { STAGES, type Deal, type DealQuery, type Stage } from "./types";

/** Names of the members by id (the deal API gives only the owner's id). */
function useOwnerNames(): (id: string | null) => string {
  const members = useMembers();
  return (id) => members.find((m) => m.user_id === id)?.name ?? "";
}

function csvColumns(t: TFunction, ownerName: (id: string | null) => string): CsvColumn<Deal>[] {
  return [
    { header: t("crm.deals.name"), value: (d) => d.name },
    { header: t("crm.lead.value"), value: (d) => (d.value === null ? null : Number(d.value)) },
    { header: t("crm.deals.currency"), value: (d) => d.currency },
    { header: t("crm.lead.stage"), value: (d) => t(stageKey(d.stage)) },
    { header: t("crm.deals.probability"), value: (d) => d.probability },
    { header: t("crm.lead.owner"), value: (d) => ownerName(d.owner_id) },
    { header: t("crm.deals.closeDate"), value: (d) => d.expected_close_date },
    { header: t("crm.deals.closedAt"), value: (d) => d.closed_at },
  ];
}

/** Deals as a table: name (to the deal), value in its currency, stage, owner, close date. */
export function DealTable({ deals }: { deals: Deal[] }) {
  const { t, locale } = useI18n();
  const ownerName = useOwnerNames();
  return (
    <Table>
      <THead>
        <TR>
          <TH>{t("crm.deals.name")}</TH>
          <TH className="text-right">{t("crm.lead.value")}</TH>
          <TH>{t("crm.lead.stage")}</TH>
          <TH>{t("crm.lead.owner")}</TH>
          <TH>{t("crm.deals.closeDate")}</TH>
        </TR>
      </THead>
      <TBody>
        {deals.map((d) => (
          <TR key={d.deal_id} data-testid="deal-row">
            <TD className="max-w-[20rem]">
              <Link to={`/leads/deals/${d.deal_id}`} className="break-words font-medium text-primary hover:underline">
                {d.name}
              </Link>
            </TD>
            <TD className="whitespace-nowrap text-right" data-testid="deal-value">
              {d.value === null ? "" : <Money value={d.value} currency={d.currency} />}
            </TD>
            <TD>
              <StageBadge stage={d.stage} />
            </TD>
            <TD className="text-sm">{ownerName(d.owner_id)}</TD>
            <TD className="whitespace-nowrap text-sm">{d.expected_close_date ? formatDate(`${d.expected_close_date}T12:00:00`, locale) : ""}</TD>
          </TR>
        ))}
      </TBody>
    </Table>
  );
}

/** Sums of the page's values per currency (never added across currencies). */
export function valueByCurrency(deals: Deal[]): [string, number][] {
  const sums = new Map<string, number>();
  for (const d of deals) if (d.value !== null) sums.set(d.currency, (sums.get(d.currency) ?? 0) + Number(d.value));
  return [...sums.entries()].sort(([a], [b]) => a.localeCompare(b));
}

/** Deals: filtered by stage, owner and expected close date (in the URL), paged, CSV. */
export default function DealsSection() {
  const { t, locale } = useI18n();
  const [params, setParams] = useSearchParams();
  const [page, setPage] = usePageParam();
  const stage = textParam(params, "stage");
  const owner = textParam(params, "owner");
  const from = dayParam(params, "close_from");
  const to = dayParam(params, "close_to");
  const query: DealQuery = { page, page_size: PAGE_SIZE };
  if (stage && (STAGES as readonly string[]).includes(stage)) query.stage = [stage as Stage];
  if (owner) query.owner_id = owner;
  if (from) query.close_from = from;
  if (to) query.close_to = to;
  const deals = useQuery({
    queryKey: ["crm", "deals", query],
    queryFn: () => unwrap(api.GET("/api/deals", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const ownerName = useOwnerNames();
  const columns = useMemo(() => csvColumns(t, ownerName), [t, ownerName]);
  const set = (name: string, value: string) =>
    setParams((prev) => {
      const next = new URLSearchParams(prev);
      next.delete("page");
      if (value) next.set(name, value);
      else next.delete(name);
      return next;
    }, { replace: true });
  return (
    <div className="grid grid-cols-1 gap-4">
      <div className="grid gap-3 rounded-lg border p-3 sm:grid-cols-2 lg:grid-cols-4" role="search" aria-label={t("crm.deals.filters")}>
        <div className="grid gap-1.5">
          <Label htmlFor="deal-stage">{t("crm.lead.stage")}</Label>
          <NativeSelect id="deal-stage" value={query.stage?.[0] ?? ""} onChange={(e) => set("stage", e.target.value)}>
            <option value="">{t("crm.filters.any")}</option>
            <StageOptions />
          </NativeSelect>
        </div>
        <div className="grid gap-1.5">
          <Label htmlFor="deal-owner">{t("crm.lead.owner")}</Label>
          <NativeSelect id="deal-owner" value={owner ?? ""} onChange={(e) => set("owner", e.target.value)}>
            <option value="">{t("crm.filters.any")}</option>
            <OwnerOptions />
          </NativeSelect>
        </div>
        <div className="grid gap-1.5">
          <Label htmlFor="deal-from">{t("crm.deals.closeFrom")}</Label>
          <Input id="deal-from" type="date" value={from ?? ""} max={to ?? undefined} onChange={(e) => set("close_from", e.target.value)} />
        </div>
        <div className="grid gap-1.5">
          <Label htmlFor="deal-to">{t("crm.deals.closeTo")}</Label>
          <Input id="deal-to" type="date" value={to ?? ""} min={from ?? undefined} onChange={(e) => set("close_to", e.target.value)} />
        </div>
      </div>
      <QueryStates query={deals} isEmpty={(d) => d.items.length === 0} empty={stage || owner || from || to ? t("crm.deals.noMatch") : t("crm.deals.empty")}>
        {(data) => (
          <div className="grid gap-2">
            <div className="flex flex-wrap items-center justify-between gap-2">
              <p className="text-sm text-muted-foreground" data-testid="deal-totals">
                {t("crm.deals.totals", {
                  count: formatNumber(data.total, locale),
                  values: valueByCurrency(data.items).map(([currency, sum]) => formatMoney(sum, locale, currency)).join(" + ") || "—",
                })}
              </p>
              <CsvButton filename="deals" columns={columns} rows={data.items} />
            </div>
            <div className="overflow-x-auto">
              <DealTable deals={data.items} />
            </div>
            <Pagination page={page} pageSize={PAGE_SIZE} total={data.total} onPageChange={setPage} />
          </div>
        )}
      </QueryStates>
    </div>
  );
}
