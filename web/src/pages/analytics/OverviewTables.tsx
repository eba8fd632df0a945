import { useMemo } from "react";
import { SortableTable, type SortableColumn } from "@/components/ui/sortable-table";
import { useI18n, type Locale, type MessageKey, type TFunction } from "@/i18n";
import { channelLabel } from "./channels";
import { amount, DASH, percentValue, showCount, showMoney, showPercent } from "./numbers";
import type { BreakdownRow } from "./types";

/** The columns of a breakdown table: the dimension's name as shown, then the figures (CSV: unformatted). */
export function breakdownColumns(
  dimension: { id: string; header: string; label: (row: BreakdownRow) => string },
  currency: string,
  t: TFunction,
  locale: Locale,
): SortableColumn<BreakdownRow>[] {
  const count = (id: "sessions" | "leads" | "qualified" | "won", header: string): SortableColumn<BreakdownRow> => ({
    id,
    header,
    numeric: true,
    value: (r) => amount(r[id]),
    render: (r) => showCount(r[id], locale),
  });
  const rate = (id: "conversion_rate" | "win_rate", header: string): SortableColumn<BreakdownRow> => ({
    id,
    header,
    numeric: true,
    value: (r) => percentValue(r[id]),
    render: (r) => (r[id] === null ? DASH : showPercent(r[id], locale)),
  });
  return [
    { id: dimension.id, header: dimension.header, value: dimension.label },
    count("sessions", t("analytics.col.sessions")),
    count("leads", t("analytics.col.leads")),
    count("qualified", t("analytics.col.qualified")),
    count("won", t("analytics.col.won")),
    {
      id: "revenue",
      header: t("analytics.col.revenue", { currency }),
      numeric: true,
      value: (r) => amount(r.revenue),
      render: (r) => showMoney(r.revenue, locale, currency),
    },
    rate("conversion_rate", t("analytics.col.conversionRate")),
    rate("win_rate", t("analytics.col.winRate")),
  ];
}

/** The Overview's tables by channel and by campaign, each sortable and exportable as shown. */
export function OverviewTables({ byChannel, byCampaign, currency, fileSuffix, model }: { byChannel: BreakdownRow[]; byCampaign: BreakdownRow[]; currency: string; fileSuffix: string; model: string }) {
  const { t, locale } = useI18n();
  const channelColumns = useMemo(
    () => breakdownColumns({ id: "channel", header: t("analytics.col.channel"), label: (r) => channelLabel(t, r.key) }, currency, t, locale),
    [currency, t, locale],
  );
  const campaignColumns = useMemo(
    () => breakdownColumns({ id: "campaign", header: t("analytics.col.campaign"), label: (r) => r.label ?? r.key ?? t("analytics.campaign.none") }, currency, t, locale),
    [currency, t, locale],
  );
  return (
    <div className="grid grid-cols-1 gap-6">
      <SortableTable
        caption={t("analytics.table.byChannel")}
        columns={channelColumns}
        rows={byChannel}
        rowKey={(r, i) => `${r.key ?? ""}-${i}`}
        csvFilename={`overview-channels-${fileSuffix}`}
        testId="table-channels"
      />
      <SortableTable
        caption={t("analytics.table.byCampaign")}
        columns={campaignColumns}
        rows={byCampaign}
        rowKey={(r, i) => `${r.key ?? ""}-${i}`}
        csvFilename={`overview-campaigns-${fileSuffix}`}
        testId="table-campaigns"
      />
      <p className="text-xs text-muted-foreground" data-testid="credited-by">
        {t("analytics.table.creditedBy", { model: t(`analytics.model.${model}` as MessageKey) })}
      </p>
    </div>
  );
}
