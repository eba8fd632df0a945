import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Bot } from "lucide-react";
import { useCallback, useMemo, useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { api, unwrap } from "@/api/client";
import { Badge } from "@/components/ui/badge";
import { Checkbox } from "@/components/ui/checkbox";
import { CsvButton } from "@/components/ui/csv-button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { OptionSelect } from "@/components/ui/option-select";
import { Pagination } from "@/components/ui/pagination";
import { QueryStates } from "@/components/ui/query-states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { hasKey, useI18n, type TFunction } from "@/i18n";
import type { CsvColumn } from "@/lib/csv";
import { formatDateTime, formatNumber } from "@/lib/format";
import { PAGE_SIZE, usePageParam } from "@/lib/usePage";
import { channelLabel } from "@/pages/analytics/channels";
import { CHANNELS } from "@/pages/analytics/filters";
import { shortId, sourceMedium } from "./format";
import { DEVICES, historyFilters, historyParams, historyQuery, localDay, type HistoryFilters } from "./historyFilters";
import { ChannelBadge, PageTitle } from "./shared";
import type { paths } from "@/api/schema";

type Json<T> = T extends { content: { "application/json": infer J } } ? J : never;
type HistoryItem = Json<paths["/api/sessions"]["get"]["responses"][200]>["items"][number];

/** A device as the reports name it; an unknown value as it was collected. */
export function deviceLabel(t: TFunction, device: string | null | undefined): string {
  if (!device) return "";
  const key = `analytics.device.${device}`;
  return hasKey(key) ? t(key) : device;
}

function csvColumns(t: TFunction): CsvColumn<HistoryItem>[] {
  return [
    { header: t("tracking.history.started"), value: (s) => s.started_at },
    { header: t("tracking.live.session"), value: (s) => s.session_id },
    { header: t("tracking.live.channel"), value: (s) => channelLabel(t, s.channel) },
    { header: t("tracking.history.source"), value: (s) => s.source },
    { header: t("tracking.history.medium"), value: (s) => s.medium },
    { header: t("tracking.history.campaign"), value: (s) => s.campaign },
    { header: t("tracking.history.device"), value: (s) => deviceLabel(t, s.device) },
    { header: t("tracking.live.pages"), value: (s) => s.total_page_views },
    { header: t("tracking.live.events"), value: (s) => s.total_events },
    { header: t("tracking.history.converted"), value: (s) => (s.converted ? t("common.yes") : t("common.no")) },
  ];
}

/** The text filters, applied together on submit (not on every key). */
function TextFilters({ filters, onChange }: { filters: HistoryFilters; onChange: (next: HistoryFilters) => void }) {
  const { t } = useI18n();
  const [draft, setDraft] = useState({ source: filters.source ?? "", medium: filters.medium ?? "", campaign: filters.campaign ?? "" });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onChange({ ...filters, source: draft.source.trim() || null, medium: draft.medium.trim() || null, campaign: draft.campaign.trim() || null });
  };
  return (
    <form className="contents" onSubmit={submit}>
      {(["source", "medium", "campaign"] as const).map((name) => (
        <div key={name} className="grid gap-1.5">
          <Label htmlFor={`history-${name}`}>{t(`tracking.history.${name}`)}</Label>
          <Input id={`history-${name}`} value={draft[name]} maxLength={255} onChange={(e) => setDraft((d) => ({ ...d, [name]: e.target.value }))} onBlur={submit} />
        </div>
      ))}
      <button type="submit" hidden />
    </form>
  );
}

/** Every session of any date range, narrowed like the reports, paged; bots hidden by default. */
export default function HistorySection() {
  const { t, locale } = useI18n();
  const [params, setParams] = useSearchParams();
  const [page, setPage] = usePageParam();
  const filters = historyFilters(params);
  const query = historyQuery(filters, page, PAGE_SIZE);
  const sessions = useQuery({
    queryKey: ["tracking", "history", query],
    queryFn: () => unwrap(api.GET("/api/sessions", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const domains = useQuery({
    queryKey: ["tracking", "domains", "all"],
    queryFn: () => unwrap(api.GET("/api/domains", { params: { query: { page: 1, page_size: 100 } } })),
  });
  const pages = useQuery({
    queryKey: ["tracking", "landing-pages", filters.domainId ?? "any", "all"],
    queryFn: () => unwrap(api.GET("/api/landing-pages", { params: { query: { page: 1, page_size: 100, ...(filters.domainId ? { domain_id: filters.domainId } : {}) } } })),
  });
  const onChange = useCallback((next: HistoryFilters) => setParams(historyParams(next), { replace: true }), [setParams]);
  const set = <K extends keyof HistoryFilters>(key: K, value: HistoryFilters[K]) => onChange({ ...filters, [key]: value });
  const columns = useMemo(() => csvColumns(t), [t]);
  const today = localDay(new Date());

  return (
    <section className="grid grid-cols-1 gap-4">
      <PageTitle title={t("tracking.history.title")} subtitle={t("tracking.history.description")} />
      <div className="grid gap-3 rounded-lg border p-3 sm:grid-cols-2 lg:grid-cols-4" role="search" aria-label={t("tracking.history.filters")}>
        <div className="grid gap-1.5">
          <Label htmlFor="history-from">{t("tracking.history.from")}</Label>
          <Input id="history-from" type="date" value={filters.from ?? localDay(new Date(), -6)} max={filters.to ?? today} onChange={(e) => set("from", e.target.value || null)} />
        </div>
        <div className="grid gap-1.5">
          <Label htmlFor="history-to">{t("tracking.history.to")}</Label>
          <Input id="history-to" type="date" value={filters.to ?? today} min={filters.from ?? undefined} onChange={(e) => set("to", e.target.value || null)} />
        </div>
        <OptionSelect
          id="history-domain"
          label={t("tracking.history.domain")}
          value={filters.domainId}
          onChange={(domainId) => onChange({ ...filters, domainId, landingPageId: null })}
          anyLabel={t("tracking.history.any")}
          options={(domains.data?.items ?? []).map((d) => ({ value: d.domain_id, label: d.domain_name }))}
        />
        <OptionSelect
          id="history-landing"
          label={t("tracking.history.landing")}
          value={filters.landingPageId}
          onChange={(v) => set("landingPageId", v)}
          anyLabel={t("tracking.history.any")}
          options={(pages.data?.items ?? []).map((p) => ({ value: p.page_id, label: p.page_name }))}
        />
        <OptionSelect
          id="history-channel"
          label={t("tracking.live.channel")}
          value={filters.channel}
          onChange={(v) => set("channel", v)}
          anyLabel={t("tracking.history.any")}
          options={CHANNELS.map((c) => ({ value: c, label: channelLabel(t, c) }))}
        />
        <TextFilters key={`${filters.source}|${filters.medium}|${filters.campaign}`} filters={filters} onChange={onChange} />
        <OptionSelect
          id="history-device"
          label={t("tracking.history.device")}
          value={filters.device}
          onChange={(v) => set("device", v as HistoryFilters["device"])}
          anyLabel={t("tracking.history.any")}
          options={DEVICES.map((d) => ({ value: d, label: t(`analytics.device.${d}`) }))}
        />
        <OptionSelect
          id="history-converted"
          label={t("tracking.history.converted")}
          value={filters.converted}
          onChange={(v) => set("converted", v as HistoryFilters["converted"])}
          anyLabel={t("tracking.history.any")}
          options={[
            { value: "yes", label: t("tracking.history.convertedYes") },
            { value: "no", label: t("tracking.history.convertedNo") },
          ]}
        />
        <label className="flex items-center gap-2 self-end pb-2 text-sm">
          <Checkbox checked={filters.bots} onCheckedChange={(v) => set("bots", v === true)} data-testid="history-bots" />
          {t("tracking.history.bots")}
        </label>
      </div>
      <QueryStates query={sessions} isEmpty={(d) => d.items.length === 0} empty={t("tracking.history.empty")}>
        {(data) => (
          <div className="grid gap-2">
            <div className="flex flex-wrap items-center justify-between gap-2">
              <p className="text-sm text-muted-foreground" data-testid="history-total">
                {t("tracking.history.total", { count: formatNumber(data.total, locale) })}
              </p>
              <CsvButton filename={`sessions-${query.started_from.slice(0, 10)}`} columns={columns} rows={data.items} />
            </div>
            <div className="overflow-x-auto">
              <Table data-testid="history-table">
                <THead>
                  <TR>
                    <TH>{t("tracking.history.started")}</TH>
                    <TH>{t("tracking.live.session")}</TH>
                    <TH>{t("tracking.live.channel")}</TH>
                    <TH>{t("tracking.live.sourceMedium")}</TH>
                    <TH>{t("tracking.history.campaign")}</TH>
                    <TH>{t("tracking.history.device")}</TH>
                    <TH className="text-right">{t("tracking.live.pages")}</TH>
                    <TH>{t("tracking.history.converted")}</TH>
                  </TR>
                </THead>
                <TBody>
                  {data.items.map((s) => (
                    <TR key={s.session_id} data-testid="history-row">
                      <TD className="whitespace-nowrap">{formatDateTime(s.started_at, locale)}</TD>
                      <TD>
                        <span className="flex items-center gap-1">
                          <Link to={`/tracking/sessions/${encodeURIComponent(s.session_id)}`} className="font-mono text-xs font-medium text-primary hover:underline">
                            {shortId(s.session_id)}
                          </Link>
                          {s.is_bot ? <Bot className="h-3.5 w-3.5 text-muted-foreground" aria-label={t("tracking.history.bot")} /> : null}
                        </span>
                      </TD>
                      <TD>
                        <ChannelBadge channel={s.channel} />
                      </TD>
                      <TD className="max-w-[14rem] break-all text-xs">{sourceMedium(s.source, s.medium) ?? ""}</TD>
                      <TD className="max-w-[14rem] break-all text-xs">{s.campaign ?? ""}</TD>
                      <TD className="text-xs">{deviceLabel(t, s.device)}</TD>
                      <TD className="text-right tabular-nums">{formatNumber(s.total_page_views, locale)}</TD>
                      <TD>{s.converted ? <Badge variant="success">{t("tracking.history.convertedYes")}</Badge> : null}</TD>
                    </TR>
                  ))}
                </TBody>
              </Table>
            </div>
            <Pagination page={page} pageSize={PAGE_SIZE} total={data.total} onPageChange={setPage} />
          </div>
        )}
      </QueryStates>
    </section>
  );
}
