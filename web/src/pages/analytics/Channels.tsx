import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { api, unwrap } from "@/api/client";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { QueryStates } from "@/components/ui/query-states";
import { SortableTable, type SortableColumn } from "@/components/ui/sortable-table";
import { useI18n, type Locale, type MessageKey, type TFunction } from "@/i18n";
import { formatMoney, formatNumber } from "@/lib/format";
import { channelLabel } from "./channels";
import { useReportFilters } from "./filters";
import { costNote, figureColumns, type ChannelReport, type ChannelRow, type OfflineReport, type OfflineRow } from "./reportFigures";
import { ReportFilterBar } from "./ReportFilterBar";

/** ROI per channel: the columns shown (and the compared period's when comparing). */
export function channelColumns(t: TFunction, locale: Locale, report: ChannelReport): SortableColumn<ChannelRow>[] {
  const { count, money, percent, decimal, otherMoney } = figureColumns(t, locale, report.range.currency);
  const columns: SortableColumn<ChannelRow>[] = [
    { id: "channel", header: t("analytics.filters.channel"), value: (row) => channelLabel(t, row.channel) },
    count("sessions", "analytics.figure.sessions", (r) => r.current.sessions),
    count("leads", "analytics.figure.leads", (r) => r.current.leads),
    count("won", "analytics.figure.won", (r) => r.current.won),
    money("revenue", "analytics.figure.revenue", (r) => r.current.revenue),
    percent("conversion_rate", "analytics.figure.conversionRate", (r) => r.current.conversion_rate),
    percent("win_rate", "analytics.figure.winRate", (r) => r.current.win_rate),
    money("cost", "analytics.col.cost", (r) => r.current.cost),
    decimal("roas", "analytics.col.roas", (r) => r.current.roas),
    percent("roi", "analytics.col.roi", (r) => r.current.roi),
    money("net_revenue", "profit.netRevenue", (r) => r.current.profit?.net_revenue),
    money("profit", "profit.kpi", (r) => r.current.profit?.profit),
  ];
  if (report.other_currencies.length > 0) columns.push(otherMoney("other_revenue", (r) => r.current.other_revenue));
  if (report.range.previous) {
    const before = (key: MessageKey) => t("analytics.col.previous", { column: t(key) });
    columns.push(
      count("previous_sessions", "analytics.figure.sessions", (r) => r.previous?.sessions, before("analytics.figure.sessions")),
      count("previous_leads", "analytics.figure.leads", (r) => r.previous?.leads, before("analytics.figure.leads")),
      count("previous_won", "analytics.figure.won", (r) => r.previous?.won, before("analytics.figure.won")),
      money("previous_revenue", "analytics.figure.revenue", (r) => r.previous?.revenue, before("analytics.figure.revenue")),
    );
  }
  return columns;
}

/** Offline conversion metrics of one dimension (source or channel). */
export function offlineColumns(t: TFunction, locale: Locale, report: OfflineReport, dimension: "source" | "channel"): SortableColumn<OfflineRow>[] {
  const { count, money, percent, duration, otherMoney } = figureColumns(t, locale, report.range.currency);
  const key: SortableColumn<OfflineRow> =
    dimension === "channel"
      ? { id: "channel", header: t("analytics.filters.channel"), value: (row) => channelLabel(t, row.key) }
      : { id: "source", header: t("analytics.filters.source"), value: (row) => row.key ?? t("analytics.channel.unknown") };
  const columns: SortableColumn<OfflineRow>[] = [
    key,
    count("leads", "analytics.figure.leads", (r) => r.current.leads),
    count("won", "analytics.figure.won", (r) => r.current.won),
    percent("sale_rate", "analytics.col.saleRate", (r) => r.current.sale_rate),
    money("average_value", "analytics.col.averageValue", (r) => r.current.average_value),
    duration("sales_cycle", "analytics.col.salesCycle", (r) => r.current.average_sales_cycle),
    money("revenue", "analytics.figure.revenue", (r) => r.current.revenue),
  ];
  if (report.other_currencies.length > 0) columns.push(otherMoney("other_revenue", (r) => r.current.other_revenue));
  if (report.range.previous) {
    columns.push(percent("previous_sale_rate", "analytics.col.saleRate", (r) => r.previous?.sale_rate, t("analytics.col.previous", { column: t("analytics.col.saleRate") })));
  }
  return columns;
}

/** ROI per channel (real cost only, none assumed) and offline conversion metrics. */
export default function Channels() {
  const { query } = useReportFilters();
  const channels = useQuery({
    queryKey: ["analytics", "channels", query],
    queryFn: () => unwrap(api.GET("/api/analytics/channels", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const offline = useQuery({
    queryKey: ["analytics", "offline-conversions", query],
    queryFn: () => unwrap(api.GET("/api/analytics/offline-conversions", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  return (
    <div className="grid gap-4">
      <ReportFilterBar />
      <QueryStates query={channels}>{(data) => <ChannelRoi report={data} />}</QueryStates>
      <QueryStates query={offline}>{(data) => <OfflineConversions report={data} />}</QueryStates>
    </div>
  );
}

function ChannelRoi({ report }: { report: ChannelReport }) {
  const { t, locale } = useI18n();
  const columns = useMemo(() => channelColumns(t, locale, report), [t, locale, report]);
  const currency = report.range.currency;
  const chart = report.rows.map((row) => ({ name: channelLabel(t, row.channel), revenue: Number(row.current.revenue) }));
  const note = costNote(t, report.cost_note);
  return (
    <Card>
      <CardHeader>
        <CardTitle>{t("analytics.channels.title")}</CardTitle>
        {note ? <CardDescription data-testid="cost-note">{note}</CardDescription> : null}
      </CardHeader>
      <CardContent className="grid gap-4">
        {chart.length === 0 ? (
          <p className="text-sm text-muted-foreground">{t("analytics.empty")}</p>
        ) : (
          <div className="h-64" role="img" aria-label={t("analytics.channels.chart")}>
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={chart} layout="vertical" margin={{ left: 24, right: 8 }}>
                <CartesianGrid strokeDasharray="3 3" horizontal={false} />
                <XAxis type="number" tickFormatter={(v: number) => formatNumber(v, locale, { notation: "compact" })} />
                <YAxis type="category" dataKey="name" width={140} tick={{ fontSize: 12 }} />
                <Tooltip formatter={(value) => formatMoney(Number(value), locale, currency)} />
                <Bar dataKey="revenue" name={t("analytics.figure.revenue")} fill="hsl(var(--primary))" />
              </BarChart>
            </ResponsiveContainer>
          </div>
        )}
        {report.other_currencies.length > 0 ? (
          <p className="text-sm text-muted-foreground">{t("analytics.otherCurrencies", { currencies: report.other_currencies.join(", ") })}</p>
        ) : null}
        <SortableTable
          columns={columns}
          rows={report.rows}
          rowKey={(row) => row.channel}
          csvFilename={`channels-${report.range.current.date_from}-${report.range.current.date_to}`}
          testId="channel-table"
        />
      </CardContent>
    </Card>
  );
}

function OfflineConversions({ report }: { report: OfflineReport }) {
  const { t, locale } = useI18n();
  const bySource = useMemo(() => offlineColumns(t, locale, report, "source"), [t, locale, report]);
  const byChannel = useMemo(() => offlineColumns(t, locale, report, "channel"), [t, locale, report]);
  const period = `${report.range.current.date_from}-${report.range.current.date_to}`;
  return (
    <Card>
      <CardHeader>
        <CardTitle>{t("analytics.offline.title")}</CardTitle>
        <CardDescription>{t("analytics.offline.description")}</CardDescription>
      </CardHeader>
      <CardContent className="grid gap-6">
        <SortableTable
          columns={bySource}
          rows={report.by_source}
          rowKey={(row) => row.key ?? "∅"}
          csvFilename={`offline-conversions-by-source-${period}`}
          caption={t("analytics.offline.bySource")}
          testId="offline-source-table"
        />
        <SortableTable
          columns={byChannel}
          rows={report.by_channel}
          rowKey={(row) => row.key ?? "∅"}
          csvFilename={`offline-conversions-by-channel-${period}`}
          caption={t("analytics.offline.byChannel")}
          testId="offline-channel-table"
        />
      </CardContent>
    </Card>
  );
}
