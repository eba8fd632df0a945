import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { api, unwrap } from "@/api/client";
import { usePermissions } from "@/auth/session";
import { SortableTable, type SortableColumn } from "@/components/ui/sortable-table";
import { ErrorState, LoadingState } from "@/components/ui/states";
import { eventTypeLabel } from "@/pages/tracking/format";
import { useI18n, type Locale, type TFunction } from "@/i18n";
import { ChoiceGroup } from "./ChoiceGroup";
import { useReportFilters, type ReportQuery } from "./filters";
import { KpiGrid, type Kpi } from "./OverviewKpis";
import { ReportFilterBar } from "./ReportFilterBar";
import { DASH, percentValue, showCount, showPercent } from "./numbers";
import type { Behavior, EventTypeRow, PathRow, ReturningVisitors, VisitorSegment } from "./types";

const PATH_ORDERS = ["views", "entries", "exits"] as const;
type PathOrder = (typeof PATH_ORDERS)[number];
const PATHS: Record<PathOrder, keyof Pick<Behavior, "top_paths" | "top_entry_paths" | "top_exit_paths">> = {
  views: "top_paths",
  entries: "top_entry_paths",
  exits: "top_exit_paths",
};

/** A segment row with the domain it belongs to (the per-domain table). */
export interface DomainSegment extends VisitorSegment {
  domain: string;
}

const count = <T,>(id: string, header: string, get: (r: T) => number, locale: Locale): SortableColumn<T> => ({
  id,
  header,
  numeric: true,
  value: get,
  render: (r) => showCount(get(r), locale),
});

const rate = <T,>(id: string, header: string, get: (r: T) => number | null, locale: Locale): SortableColumn<T> => ({
  id,
  header,
  numeric: true,
  value: (r) => percentValue(get(r)),
  render: (r) => showPercent(get(r), locale),
});

const decimal = <T,>(id: string, header: string, get: (r: T) => number | null, locale: Locale): SortableColumn<T> => ({
  id,
  header,
  numeric: true,
  value: (r) => {
    const v = get(r);
    return v === null ? null : Math.round(v * 100) / 100;
  },
  render: (r) => {
    const v = get(r);
    return v === null ? DASH : v.toLocaleString(locale, { maximumFractionDigits: 2 });
  },
});

/** The columns of the new / returning / frequent tables (with the domain first when given). */
export function segmentColumns<T extends VisitorSegment>(t: TFunction, locale: Locale, domain?: (r: T) => string): SortableColumn<T>[] {
  const columns: SortableColumn<T>[] = [
    { id: "segment", header: t("analytics.visitors.col.segment"), value: (r) => t(`analytics.visitors.segment.${r.segment}`) },
    count("visitors", t("analytics.visitors.col.visitors"), (r) => r.visitors, locale),
    count("sessions", t("analytics.col.sessions"), (r) => r.sessions, locale),
    decimal("pages_per_visitor", t("analytics.visitors.col.pagesPerVisitor"), (r) => r.pages_per_visitor, locale),
    count("converted", t("analytics.visitors.col.converted"), (r) => r.converted_visitors, locale),
    rate("conversion_rate", t("analytics.col.conversionRate"), (r) => r.conversion_rate, locale),
  ];
  return domain ? [{ id: "domain", header: t("analytics.filters.domain"), value: domain }, ...columns] : columns;
}

function behaviorKpis(data: Behavior, locale: Locale): Kpi[] {
  const decimals = (v: number | null) => (v === null ? DASH : v.toLocaleString(locale, { maximumFractionDigits: 2 }));
  return [
    { id: "sessions", label: "analytics.kpi.sessions", value: showCount(data.sessions, locale) },
    { id: "pages_per_session", label: "analytics.behavior.pagesPerSession", value: decimals(data.pages_per_session) },
    { id: "events_per_session", label: "analytics.behavior.eventsPerSession", value: decimals(data.events_per_session) },
    { id: "bounce_rate", label: "analytics.behavior.bounceRate", value: showPercent(data.bounce_rate, locale) },
    {
      id: "average_duration",
      label: "analytics.behavior.averageDuration",
      value: data.average_duration === null ? DASH : `${Math.round(data.average_duration / 60).toLocaleString(locale)} min`,
    },
  ];
}

/**
 * Visitors: new (one session in the period), returning (2–3) and frequent (4+) visitors with
 * pages per visitor and conversion, per domain; and how they browse — pages and events per
 * session, events by type and the most common paths.
 */
export default function Visitors() {
  const { t, locale } = useI18n();
  const can = usePermissions();
  const { query } = useReportFilters();
  const [order, setOrder] = useState<PathOrder>("views");
  const returning = useQuery({
    queryKey: ["analytics", "visitors", query],
    queryFn: (): Promise<ReturningVisitors> => unwrap(api.GET("/api/analytics/visitors/returning", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const behavior = useQuery({
    queryKey: ["analytics", "behavior", query],
    queryFn: (): Promise<Behavior> => unwrap(api.GET("/api/analytics/behavior", { params: { query: { ...query, limit: 20 } as ReportQuery & { limit: number } } })),
    placeholderData: keepPreviousData,
  });
  const domains = useQuery({
    queryKey: ["domains", "all"],
    queryFn: () => unwrap(api.GET("/api/domains", { params: { query: { page: 1, page_size: 200 } } })),
    enabled: can("tracking:read"),
    staleTime: 5 * 60_000,
  });
  const domainName = useMemo(() => {
    const names = new Map((domains.data?.items ?? []).map((d) => [d.domain_id, d.domain_name]));
    return (id: string) => names.get(id) ?? id;
  }, [domains.data]);
  const columns = useMemo(() => segmentColumns<VisitorSegment>(t, locale), [t, locale]);
  const domainColumns = useMemo(() => segmentColumns<DomainSegment>(t, locale, (r) => r.domain), [t, locale]);
  const eventColumns = useMemo<SortableColumn<EventTypeRow>[]>(
    () => [
      { id: "event_type", header: t("analytics.behavior.col.eventType"), value: (r) => eventTypeLabel(t, r.event_type) },
      count("events", t("analytics.behavior.col.events"), (r) => r.events, locale),
      decimal("per_session", t("analytics.behavior.col.perSession"), (r) => r.per_session, locale),
    ],
    [t, locale],
  );
  const pathColumns = useMemo<SortableColumn<PathRow>[]>(
    () => [
      { id: "path", header: t("analytics.behavior.col.path"), value: (r) => r.path },
      count("views", t("analytics.behavior.col.views"), (r) => r.views, locale),
      count("entries", t("analytics.behavior.col.entries"), (r) => r.entries, locale),
      count("exits", t("analytics.behavior.col.exits"), (r) => r.exits, locale),
      rate("exit_rate", t("analytics.behavior.col.exitRate"), (r) => r.exit_rate, locale),
    ],
    [t, locale],
  );

  if (returning.isPending || behavior.isPending) return <LoadingState />;
  if (returning.isError) return <ErrorState error={returning.error} onRetry={() => void returning.refetch()} />;
  if (behavior.isError) return <ErrorState error={behavior.error} onRetry={() => void behavior.refetch()} />;

  const visitors = returning.data;
  const browsing = behavior.data;
  const suffix = `${visitors.range.current.date_from}_${visitors.range.current.date_to}`;
  const perDomain: DomainSegment[] = visitors.by_domain.flatMap((d) => d.segments.map((s) => ({ ...s, domain: domainName(d.domain_id) })));
  return (
    <div className="grid grid-cols-1 gap-6" aria-busy={returning.isFetching || behavior.isFetching}>
      <ReportFilterBar />
      <p className="text-sm text-muted-foreground">{t("analytics.visitors.explain")}</p>
      <SortableTable caption={t("analytics.visitors.table.segments")} columns={columns} rows={visitors.segments} rowKey={(r) => r.segment} csvFilename={`visitors-${suffix}`} testId="table-segments" />
      {perDomain.length > 0 ? (
        <SortableTable caption={t("analytics.visitors.table.byDomain")} columns={domainColumns} rows={perDomain} rowKey={(r, i) => `${r.domain}-${r.segment}-${i}`} csvFilename={`visitors-domains-${suffix}`} testId="table-segments-domains" />
      ) : null}
      <h2 className="text-lg font-semibold">{t("analytics.behavior.title")}</h2>
      <KpiGrid kpis={behaviorKpis(browsing, locale)} />
      <SortableTable caption={t("analytics.behavior.table.events")} columns={eventColumns} rows={browsing.events_by_type} rowKey={(r) => r.event_type} csvFilename={`events-${suffix}`} testId="table-events" />
      <div className="grid gap-2">
        <ChoiceGroup
          label={t("analytics.behavior.pathsBy")}
          value={order}
          options={PATH_ORDERS.map((o) => ({ value: o, label: t(`analytics.behavior.by.${o}`) }))}
          onChange={setOrder}
          testId="paths-by"
        />
        <SortableTable caption={t(`analytics.behavior.table.paths.${order}`)} columns={pathColumns} rows={browsing[PATHS[order]]} rowKey={(r) => r.path} csvFilename={`paths-${order}-${suffix}`} testId="table-paths" />
      </div>
    </div>
  );
}
