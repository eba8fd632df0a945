import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { Funnel, FunnelChart, LabelList, ResponsiveContainer, Tooltip } from "recharts";
import { api, unwrap } from "@/api/client";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Label } from "@/components/ui/label";
import { NativeSelect } from "@/components/ui/native-select";
import { QueryStates } from "@/components/ui/query-states";
import { SortableTable, type SortableColumn } from "@/components/ui/sortable-table";
import { useI18n, type Locale, type MessageKey, type TFunction } from "@/i18n";
import { formatNumber, formatPercent } from "@/lib/format";
import { useReportFilters } from "./filters";
import { figureColumns, type FunnelFigures, type LandingPageReport, type LandingPageRow } from "./reportFigures";
import { ReportFilterBar } from "./ReportFilterBar";

const ALL_PAGES = "all";
const STEPS = [
  { key: "sessions", labelKey: "analytics.funnel.sessions" },
  { key: "form_starts", labelKey: "analytics.funnel.formStarts" },
  { key: "leads", labelKey: "analytics.funnel.leads" },
  { key: "qualified", labelKey: "analytics.funnel.qualified" },
  { key: "won", labelKey: "analytics.funnel.won" },
] as const satisfies readonly { key: keyof FunnelFigures; labelKey: MessageKey }[];
const SHADES = ["hsl(var(--primary))", "hsl(var(--primary) / 0.8)", "hsl(var(--primary) / 0.6)", "hsl(var(--primary) / 0.45)", "hsl(var(--primary) / 0.3)"];

/** A page's name with its variant: "Oferta (B)". */
export function pageLabel(t: TFunction, row: LandingPageRow): string {
  return row.variant ? t("analytics.landing.withVariant", { name: row.name, variant: row.variant }) : row.name;
}

/** The funnel steps of some rows added up, and each step's rate from the one before. */
export function funnelSteps(rows: readonly FunnelFigures[]): { key: (typeof STEPS)[number]["key"]; value: number; rate: number | null }[] {
  return STEPS.map((step, i) => {
    const value = rows.reduce((sum, row) => sum + row[step.key], 0);
    const before = i === 0 ? null : rows.reduce((sum, row) => sum + row[STEPS[i - 1].key], 0);
    return { key: step.key, value, rate: before ? value / before : null };
  });
}

/** The funnel table's columns (and the compared period's sessions and leads when comparing). */
export function landingColumns(t: TFunction, locale: Locale, report: LandingPageReport): SortableColumn<LandingPageRow>[] {
  const { count, money, percent } = figureColumns(t, locale, report.range.currency);
  const columns: SortableColumn<LandingPageRow>[] = [
    { id: "page", header: t("analytics.landing.page"), value: (row) => row.name },
    { id: "variant", header: t("analytics.landing.variant"), value: (row) => row.variant, render: (row) => row.variant ?? "—" },
    { id: "url", header: t("analytics.landing.url"), value: (row) => row.url, render: (row) => <span className="break-all text-xs text-muted-foreground">{row.url}</span> },
    count("visitors", "analytics.col.visitors", (r) => r.current.visitors),
    count("sessions", "analytics.funnel.sessions", (r) => r.current.sessions),
    count("form_starts", "analytics.funnel.formStarts", (r) => r.current.form_starts),
    count("leads", "analytics.funnel.leads", (r) => r.current.leads),
    count("qualified", "analytics.funnel.qualified", (r) => r.current.qualified),
    count("won", "analytics.funnel.won", (r) => r.current.won),
    percent("form_start_rate", "analytics.landing.formStartRate", (r) => r.current.form_start_rate),
    percent("form_completion_rate", "analytics.landing.formCompletionRate", (r) => r.current.form_completion_rate),
    percent("qualification_rate", "analytics.landing.qualificationRate", (r) => r.current.qualification_rate),
    percent("close_rate", "analytics.landing.closeRate", (r) => r.current.close_rate),
    percent("conversion_rate", "analytics.figure.conversionRate", (r) => r.current.conversion_rate),
    money("revenue", "analytics.figure.revenue", (r) => r.current.revenue),
  ];
  if (report.range.previous) {
    const before = (key: MessageKey) => t("analytics.col.previous", { column: t(key) });
    columns.push(
      count("previous_sessions", "analytics.funnel.sessions", (r) => r.previous?.sessions, before("analytics.funnel.sessions")),
      count("previous_leads", "analytics.funnel.leads", (r) => r.previous?.leads, before("analytics.funnel.leads")),
      count("previous_won", "analytics.funnel.won", (r) => r.previous?.won, before("analytics.funnel.won")),
    );
  }
  return columns;
}

/** The landing-page funnel: sessions → form starts → leads → qualified → won, per page and variant. */
export default function LandingPages() {
  const { query } = useReportFilters();
  const report = useQuery({
    queryKey: ["analytics", "landing-pages", query],
    queryFn: () => unwrap(api.GET("/api/analytics/landing-pages", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  return (
    <div className="grid gap-4">
      <ReportFilterBar />
      <QueryStates query={report}>{(data) => <LandingContent report={data} />}</QueryStates>
    </div>
  );
}

function LandingContent({ report }: { report: LandingPageReport }) {
  const { t, locale } = useI18n();
  const [chosen, setChosen] = useState(ALL_PAGES);
  const columns = useMemo(() => landingColumns(t, locale, report), [t, locale, report]);
  const selected = report.rows.filter((row) => chosen === ALL_PAGES || row.page_id === chosen);
  const steps = funnelSteps(selected.map((row) => row.current));
  const chart = steps.map((step, i) => ({ name: t(STEPS[i].labelKey), value: step.value, fill: SHADES[i] }));
  return (
    <>
      <Card>
        <CardHeader>
          <CardTitle>{t("analytics.landing.title")}</CardTitle>
          <CardDescription>{t("analytics.landing.description")}</CardDescription>
        </CardHeader>
        <CardContent className="grid gap-4 md:grid-cols-[2fr_1fr]">
          <div className="grid gap-3">
            <div className="grid max-w-sm gap-1.5">
              <Label htmlFor="funnel-page">{t("analytics.landing.funnelOf")}</Label>
              <NativeSelect id="funnel-page" value={chosen} onChange={(e) => setChosen(e.target.value)} data-testid="funnel-page">
                <option value={ALL_PAGES}>{t("analytics.landing.allPages")}</option>
                {report.rows.map((row) => (
                  <option key={row.page_id} value={row.page_id}>
                    {pageLabel(t, row)}
                  </option>
                ))}
              </NativeSelect>
            </div>
            {steps[0].value === 0 ? (
              <p className="text-sm text-muted-foreground">{t("analytics.empty")}</p>
            ) : (
              <div className="h-72" role="img" aria-label={t("analytics.landing.chart")}>
                <ResponsiveContainer width="100%" height="100%">
                  <FunnelChart>
                    <Tooltip formatter={(value) => formatNumber(Number(value), locale)} />
                    <Funnel dataKey="value" data={chart} isAnimationActive={false}>
                      <LabelList position="right" dataKey="name" fill="currentColor" stroke="none" />
                    </Funnel>
                  </FunnelChart>
                </ResponsiveContainer>
              </div>
            )}
          </div>
          <ol className="grid content-start gap-2 text-sm" data-testid="funnel-steps">
            {steps.map((step, i) => (
              <li key={step.key} className="flex items-baseline justify-between gap-2 border-b pb-1">
                <span>{t(STEPS[i].labelKey)}</span>
                <span className="tabular-nums">
                  {formatNumber(step.value, locale)}
                  {i > 0 ? <span className="ml-2 text-muted-foreground">{step.rate === null ? "—" : formatPercent(step.rate, locale)}</span> : null}
                </span>
              </li>
            ))}
          </ol>
        </CardContent>
      </Card>
      <SortableTable
        columns={columns}
        rows={report.rows}
        rowKey={(row) => row.page_id}
        csvFilename={`landing-pages-${report.range.current.date_from}-${report.range.current.date_to}`}
        caption={t("analytics.landing.table")}
        testId="landing-table"
      />
      <p className="text-sm text-muted-foreground" data-testid="unregistered">
        {t("analytics.landing.unregistered", {
          sessions: formatNumber(report.unregistered.sessions, locale),
          leads: formatNumber(report.unregistered.leads, locale),
        })}
      </p>
    </>
  );
}
