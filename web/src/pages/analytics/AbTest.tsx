import { useQuery } from "@tanstack/react-query";
import { AlertTriangle, ArrowLeft } from "lucide-react";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { api, unwrap } from "@/api/client";
import { Badge } from "@/components/ui/badge";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { QueryStates } from "@/components/ui/query-states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useI18n, type MessageKey } from "@/i18n";
import { formatDate, formatMoney, formatNumber } from "@/lib/format";
import { AbTestChart } from "./AbTestChart";
import {
  formatPoints,
  formatPValue,
  formatRatio,
  METRICS,
  variantName,
  VERDICT_VARIANT,
  verdictText,
  type AbMetric,
  type AbRateComparison,
  type AbRevenueComparison,
  type AbTestReport,
  type AbVerdict,
} from "./abTests";

function money(value: number | string | null | undefined, report: AbTestReport, locale: "en" | "pt-BR"): string {
  return value == null ? "—" : formatMoney(Number(value), locale, report.period.currency);
}

/** The headline verdict of one metric, in words, with the reason behind it. */
export function VerdictPanel({ report, metric }: { report: AbTestReport; metric: AbMetric }) {
  const { t, locale } = useI18n();
  const result = report[metric];
  const { headline, detail } = verdictText(result.verdict, report, result.winner_page_id, t, locale);
  return (
    <div role="status" data-testid="ab-verdict" data-code={result.verdict.code} className="rounded-lg border p-4">
      <div className="flex flex-wrap items-center gap-2">
        <Badge variant={VERDICT_VARIANT[result.verdict.code]}>{t(`ab.badge.${result.verdict.code}` as MessageKey)}</Badge>
        <p className="text-lg font-semibold">{headline}</p>
      </div>
      <p className="mt-1 text-sm text-muted-foreground">{detail}</p>
    </div>
  );
}

export function SampleRatioWarning({ report }: { report: AbTestReport }) {
  const { t, locale } = useI18n();
  if (!report.sample_ratio.mismatch) return null;
  return (
    <div role="alert" className="flex gap-3 rounded-lg border border-destructive/50 bg-destructive/10 p-4 text-sm">
      <AlertTriangle className="mt-0.5 h-5 w-5 shrink-0 text-destructive" aria-hidden />
      <div>
        <p className="font-semibold">{t("ab.srm.title")}</p>
        <p>{t("ab.srm.body", { p: formatPValue(report.sample_ratio.p_value, locale) })}</p>
      </div>
    </div>
  );
}

export function VariantsTable({ report }: { report: AbTestReport }) {
  const { t, locale } = useI18n();
  const totalWeight = report.variants.reduce((sum, v) => sum + v.weight, 0);
  return (
    <Table>
      <THead>
        <TR>
          <TH>{t("ab.col.variant")}</TH>
          <TH className="text-right">{t("ab.col.weight")}</TH>
          <TH className="text-right">{t("ab.col.visitors")}</TH>
          <TH className="text-right">{t("ab.col.leads")}</TH>
          <TH className="text-right">{t("ab.col.leadRate")}</TH>
          <TH className="text-right">{t("ab.col.won")}</TH>
          <TH className="text-right">{t("ab.col.winRate")}</TH>
          <TH className="text-right">{t("ab.col.revenue")}</TH>
          <TH className="text-right">{t("ab.col.revenuePerVisitor")}</TH>
        </TR>
      </THead>
      <TBody>
        {report.variants.map((v) => (
          <TR key={v.page_id} data-testid="ab-variant-row">
            <TD>
              <span className="font-medium">{variantName(v)}</span>
              {v.is_control && (
                <Badge variant="outline" className="ml-2">
                  {t("ab.control")}
                </Badge>
              )}
            </TD>
            <TD className="text-right">{totalWeight ? formatRatio(v.weight / totalWeight, locale) : "—"}</TD>
            <TD className="text-right">{formatNumber(v.visitors, locale)}</TD>
            <TD className="text-right">{formatNumber(v.leads, locale)}</TD>
            <TD className="text-right">{formatRatio(v.lead_rate, locale)}</TD>
            <TD className="text-right">{formatNumber(v.won, locale)}</TD>
            <TD className="text-right">{formatRatio(v.win_rate, locale)}</TD>
            <TD className="text-right">{money(v.revenue, report, locale)}</TD>
            <TD className="text-right">{money(v.revenue_per_visitor, report, locale)}</TD>
          </TR>
        ))}
      </TBody>
    </Table>
  );
}

function VerdictBadge({ verdict }: { verdict: AbVerdict }) {
  const { t } = useI18n();
  return <Badge variant={VERDICT_VARIANT[verdict.code]}>{t(`ab.badge.${verdict.code}` as MessageKey)}</Badge>;
}

function RateRows({ report, comparisons }: { report: AbTestReport; comparisons: AbRateComparison[] }) {
  const { t, locale } = useI18n();
  return (
    <>
      {comparisons.map((c) => {
        const variant = report.variants.find((v) => v.page_id === c.page_id);
        return (
          <TR key={c.page_id} data-testid="ab-comparison-row">
            <TD className="font-medium">{variant ? variantName(variant) : c.page_id}</TD>
            <TD className="text-right">
              {formatRatio(c.control_rate, locale)} → {formatRatio(c.variant_rate, locale)}
            </TD>
            <TD className="text-right">{formatPoints(c.absolute_lift, locale, t)}</TD>
            <TD className="text-right">{formatRatio(c.relative_lift, locale, true)}</TD>
            <TD className="text-right">{formatPValue(c.p_value, locale)}</TD>
            <TD className="text-right">
              {c.ci_low == null || c.ci_high == null ? "—" : `${formatPoints(c.ci_low, locale, t)} … ${formatPoints(c.ci_high, locale, t)}`}
            </TD>
            <TD className="text-right">{formatRatio(c.probability_to_beat_control, locale)}</TD>
            <TD>
              <VerdictBadge verdict={c.verdict} />
            </TD>
          </TR>
        );
      })}
    </>
  );
}

function RevenueRows({ report, comparisons }: { report: AbTestReport; comparisons: AbRevenueComparison[] }) {
  const { locale } = useI18n();
  return (
    <>
      {comparisons.map((c) => {
        const variant = report.variants.find((v) => v.page_id === c.page_id);
        return (
          <TR key={c.page_id} data-testid="ab-comparison-row">
            <TD className="font-medium">{variant ? variantName(variant) : c.page_id}</TD>
            <TD className="text-right">
              {money(c.control_mean, report, locale)} → {money(c.variant_mean, report, locale)}
            </TD>
            <TD className="text-right">{money(c.absolute_lift, report, locale)}</TD>
            <TD className="text-right">{formatRatio(c.relative_lift, locale, true)}</TD>
            <TD className="text-right">{formatPValue(c.p_value, locale)}</TD>
            <TD className="text-right">
              {c.t == null || c.degrees_of_freedom == null
                ? "—"
                : `${formatNumber(c.t, locale, { maximumFractionDigits: 2 })} (${formatNumber(c.degrees_of_freedom, locale, { maximumFractionDigits: 0 })})`}
            </TD>
            <TD>
              <VerdictBadge verdict={c.verdict} />
            </TD>
          </TR>
        );
      })}
    </>
  );
}

export function ComparisonTable({ report, metric }: { report: AbTestReport; metric: AbMetric }) {
  const { t } = useI18n();
  const revenue = metric === "revenue";
  return (
    <Table>
      <THead>
        <TR>
          <TH>{t("ab.col.variant")}</TH>
          <TH className="text-right">{t(revenue ? "ab.col.mean" : "ab.col.rate")}</TH>
          <TH className="text-right">{t("ab.col.lift")}</TH>
          <TH className="text-right">{t("ab.col.relativeLift")}</TH>
          <TH className="text-right">{t("ab.col.pValue")}</TH>
          <TH className="text-right">{t(revenue ? "ab.col.t" : "ab.col.ci")}</TH>
          {!revenue && <TH className="text-right">{t("ab.col.probability")}</TH>}
          <TH>{t("ab.col.verdict")}</TH>
        </TR>
      </THead>
      <TBody>
        {revenue ? (
          <RevenueRows report={report} comparisons={report.revenue.comparisons} />
        ) : (
          <RateRows report={report} comparisons={report[metric].comparisons} />
        )}
      </TBody>
    </Table>
  );
}

/** One test's results: verdict, split check, variants, comparisons and the chart. */
export function AbTestResults({ report }: { report: AbTestReport }) {
  const { t, locale } = useI18n();
  const [metric, setMetric] = useState<AbMetric>("leads");
  return (
    <div className="grid gap-4">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 className="text-xl font-semibold">{report.name}</h2>
        <p className="text-sm text-muted-foreground">
          <Badge variant={report.is_active ? "success" : "secondary"} className="mr-2">
            {t(report.is_active ? "ab.running" : "ab.stopped")}
          </Badge>
          {t("ab.period", { from: formatDate(`${report.period.date_from}T12:00:00Z`, locale), to: formatDate(`${report.period.date_to}T12:00:00Z`, locale) })}
        </p>
      </div>
      <SampleRatioWarning report={report} />
      <div role="radiogroup" aria-label={t("ab.metric.label")} className="flex flex-wrap gap-2">
        {METRICS.map((m) => (
          <button
            key={m}
            type="button"
            role="radio"
            aria-checked={metric === m}
            onClick={() => setMetric(m)}
            className={`rounded-md border px-3 py-1.5 text-sm ${metric === m ? "border-primary bg-primary/10 font-medium text-primary" : "hover:bg-muted"}`}
          >
            {t(`ab.metric.${m}`)}
          </button>
        ))}
      </div>
      <VerdictPanel report={report} metric={metric} />
      <Card>
        <CardHeader>
          <CardTitle className="text-base">{t("ab.variants.title")}</CardTitle>
        </CardHeader>
        <CardContent>
          <VariantsTable report={report} />
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle className="text-base">{t("ab.comparison.title")}</CardTitle>
          <CardDescription>{t(metric === "revenue" ? "ab.methods.revenue" : "ab.methods.rates")}</CardDescription>
        </CardHeader>
        <CardContent>
          <ComparisonTable report={report} metric={metric} />
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle className="text-base">{t("ab.chart.title")}</CardTitle>
          <CardDescription>{t(metric === "revenue" ? "ab.chart.revenue" : "ab.chart.rate")}</CardDescription>
        </CardHeader>
        <CardContent>
          <AbTestChart report={report} metric={metric} />
        </CardContent>
      </Card>
    </div>
  );
}

/** /analytics/ab-tests/:abTestId — loads the test's figures. */
export default function AbTestPage() {
  const { t } = useI18n();
  const { abTestId = "" } = useParams();
  const query = useQuery({
    queryKey: ["analytics", "ab-tests", abTestId],
    queryFn: () => unwrap(api.GET("/api/analytics/ab-tests/{ab_test_id}", { params: { path: { ab_test_id: abTestId } } })),
  });
  return (
    <div className="grid gap-4">
      <Link to="/analytics/ab-tests" className="inline-flex items-center gap-1 text-sm text-muted-foreground hover:text-foreground">
        <ArrowLeft className="h-4 w-4" aria-hidden />
        {t("ab.back")}
      </Link>
      <QueryStates query={query}>{(report) => <AbTestResults report={report} />}</QueryStates>
    </div>
  );
}
