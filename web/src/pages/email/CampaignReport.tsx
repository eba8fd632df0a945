import { ArrowLeft } from "lucide-react";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useCurrentUser } from "@/auth/session";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Fact } from "@/components/ui/fact";
import { QueryStates } from "@/components/ui/query-states";
import { SortableTable, type SortableColumn } from "@/components/ui/sortable-table";
import { useI18n, type MessageKey } from "@/i18n";
import { formatDate, formatNumber, formatPercent } from "@/lib/format";
import { DrillDialog, FigureButton, type DrillFigure, type DrillTarget } from "./drill/DrillDialog";
import { isBusy, useCampaign, useCampaignReport } from "./queries";
import { ProgressBar, SectionTitle, StatusBadge } from "./shared";
import { EXCLUSION_REASONS, formatRevenue, ratio, type CampaignReport as Report, type DailyFigures, type LinkFigures } from "./types";

export interface FunnelStep {
  key: "sent" | "delivered" | "opened" | "clicked" | "leads" | "won";
  count: number;
  figure: DrillFigure;
}

type Drill = (target: DrillTarget) => void;

/** Sent → delivered → opened → clicked → leads → won (unique opens and clicks: people, not hits). */
export function funnelSteps(r: Report): FunnelStep[] {
  return [
    { key: "sent", count: r.sent, figure: "sent" },
    { key: "delivered", count: r.delivered, figure: "delivered" },
    { key: "opened", count: r.unique_opens, figure: "unique_opens" },
    { key: "clicked", count: r.unique_clicks, figure: "unique_clicks" },
    { key: "leads", count: r.leads, figure: "leads" },
    { key: "won", count: r.won_leads, figure: "won_leads" },
  ];
}

/** Days as the server counts them (UTC dates): shown without a time zone shift. */
function dayLabel(iso: string, locale: "pt-BR" | "en"): string {
  return formatDate(`${iso}T12:00:00Z`, locale, "UTC");
}

function Funnel({ report, currency, drill }: { report: Report; currency: string; drill: Drill }) {
  const { t, locale } = useI18n();
  const steps = funnelSteps(report);
  const top = Math.max(1, steps[0]!.count);
  return (
    <Card>
      <CardHeader className="pb-3">
        <CardTitle className="text-base">{t("email.report.funnel")}</CardTitle>
      </CardHeader>
      <CardContent>
        <ol className="grid gap-3" data-testid="report-funnel">
          {steps.map((step, i) => {
            const previous = i > 0 ? ratio(step.count, steps[i - 1]!.count) : null;
            return (
              <li key={step.key} className="grid gap-1" data-testid={`funnel-${step.key}`}>
                <div className="flex flex-wrap items-baseline justify-between gap-2 text-sm">
                  <span className="font-medium">{t(`email.figure.${step.key}` as MessageKey)}</span>
                  <span className="tabular-nums">
                    <FigureButton label={t(`email.figure.${step.key}` as MessageKey)} onOpen={() => drill({ figure: step.figure, label: t(`email.figure.${step.key}` as MessageKey) })} testId={`drill-${step.figure}`}>
                      {formatNumber(step.count, locale)}
                    </FigureButton>
                    {previous !== null ? <span className="ml-2 text-xs text-muted-foreground">{t("email.report.ofPrevious", { rate: formatPercent(previous, locale) })}</span> : null}
                  </span>
                </div>
                <ProgressBar value={step.count / top} label={t(`email.figure.${step.key}` as MessageKey)} />
              </li>
            );
          })}
          <li className="flex flex-wrap items-baseline justify-between gap-2 border-t pt-3 text-sm" data-testid="funnel-revenue">
            <span className="font-medium">{t("email.figure.revenue")}</span>
            <span className="font-semibold tabular-nums">{formatRevenue(report.revenue, locale, currency)}</span>
          </li>
        </ol>
      </CardContent>
    </Card>
  );
}

function Problems({ report, drill }: { report: Report; drill: Drill }) {
  const { t, locale } = useI18n();
  const n = (v: number) => formatNumber(v, locale);
  const figure = (name: DrillFigure, key: MessageKey, value: number) => (
    <FigureButton label={t(key)} onOpen={() => drill({ figure: name, label: t(key) })} testId={`drill-${name}`}>
      {n(value)}
    </FigureButton>
  );
  const excluded = EXCLUSION_REASONS.map((r) => ({ reason: r, count: report.exclusions[r] ?? 0 }));
  return (
    <Card>
      <CardHeader className="pb-3">
        <CardTitle className="text-base">{t("email.report.deliverability")}</CardTitle>
      </CardHeader>
      <CardContent className="grid gap-4">
        <dl className="grid grid-cols-2 gap-3 sm:grid-cols-3" data-testid="report-problems">
          <Fact label={t("email.figure.opens")}>{figure("opens", "email.figure.opens", report.opens)}</Fact>
          <Fact label={t("email.figure.humanOpens")}>{figure("human_opens", "email.figure.humanOpens", report.human_opens)}</Fact>
          <Fact label={t("email.figure.clickToOpen")}>{report.click_to_open === null ? "—" : formatPercent(report.click_to_open, locale)}</Fact>
          <Fact label={t("email.figure.hardBounces")}>{figure("hard_bounces", "email.figure.hardBounces", report.hard_bounces)}</Fact>
          <Fact label={t("email.figure.softBounces")}>{figure("soft_bounces", "email.figure.softBounces", report.soft_bounces)}</Fact>
          <Fact label={t("email.figure.complaints")}>{figure("complaints", "email.figure.complaints", report.complaints)}</Fact>
          <Fact label={t("email.figure.unsubscribes")}>{figure("unsubscribes", "email.figure.unsubscribes", report.unsubscribes)}</Fact>
          <Fact label={t("email.figure.refused")}>{figure("refused", "email.figure.refused", report.refused)}</Fact>
        </dl>
        <div className="grid gap-1.5">
          <h3 className="text-sm font-medium">{t("email.report.exclusions", { generated: n(report.generated) })}</h3>
          <ul className="grid gap-1 text-sm" data-testid="report-exclusions">
            {excluded.map((e) => (
              <li key={e.reason} className="flex justify-between gap-2">
                <span>{t(`email.exclusion.${e.reason}` as MessageKey)}</span>
                <span className="tabular-nums">{n(e.count)}</span>
              </li>
            ))}
          </ul>
        </div>
      </CardContent>
    </Card>
  );
}

function DaysChart({ days }: { days: DailyFigures[] }) {
  const { t, locale } = useI18n();
  return (
    <Card>
      <CardHeader className="pb-3">
        <CardTitle className="text-base">{t("email.report.overTime")}</CardTitle>
      </CardHeader>
      <CardContent>
        {days.length === 0 ? (
          <p className="py-8 text-center text-sm text-muted-foreground" data-testid="report-chart-empty">
            {t("email.report.noEvents")}
          </p>
        ) : (
          <div className="h-64 w-full" data-testid="report-chart">
            <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 640, height: 256 }}>
              <BarChart data={days} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
                <CartesianGrid strokeDasharray="3 3" className="stroke-border" />
                <XAxis dataKey="day" tickFormatter={(d: string) => dayLabel(d, locale)} tick={{ fontSize: 12 }} minTickGap={16} />
                <YAxis tickFormatter={(v: number) => formatNumber(v, locale)} tick={{ fontSize: 12 }} width={48} allowDecimals={false} />
                <Tooltip formatter={(value, name) => [formatNumber(Number(value), locale), name]} labelFormatter={(label) => dayLabel(String(label), locale)} />
                <Legend />
                <Bar dataKey="delivered" name={t("email.figure.delivered")} fill="hsl(var(--muted-foreground))" isAnimationActive={false} />
                <Bar dataKey="unique_opens" name={t("email.figure.opened")} fill="hsl(var(--primary))" isAnimationActive={false} />
                <Bar dataKey="unique_clicks" name={t("email.figure.clicked")} fill="hsl(var(--success))" isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </div>
        )}
      </CardContent>
    </Card>
  );
}

/** A campaign's report: the funnel to revenue, deliverability and exclusions, days (chart and table) and clicks per link, with CSV. */
export default function CampaignReport() {
  const { campaignId } = useParams();
  const { t, locale } = useI18n();
  const me = useCurrentUser();
  const currency = me.organization?.currency ?? "BRL";
  const campaign = useCampaign(campaignId);
  const report = useCampaignReport(campaignId, isBusy(campaign.data) ? 3000 : false);
  const n = (v: number) => formatNumber(v, locale);
  const [drilled, setDrilled] = useState<DrillTarget | null>(null);

  const dayColumns: SortableColumn<DailyFigures>[] = [
    { id: "day", header: t("email.report.day"), value: (d) => d.day, render: (d) => dayLabel(d.day, locale) },
    { id: "sent", header: t("email.figure.sent"), numeric: true, value: (d) => d.sent, render: (d) => n(d.sent) },
    { id: "delivered", header: t("email.figure.delivered"), numeric: true, value: (d) => d.delivered, render: (d) => n(d.delivered) },
    { id: "opened", header: t("email.figure.opened"), numeric: true, value: (d) => d.unique_opens, render: (d) => n(d.unique_opens) },
    { id: "human", header: t("email.figure.humanOpens"), numeric: true, value: (d) => d.human_opens, render: (d) => n(d.human_opens) },
    { id: "clicked", header: t("email.figure.clicked"), numeric: true, value: (d) => d.unique_clicks, render: (d) => n(d.unique_clicks) },
    { id: "bounces", header: t("email.figure.bounces"), numeric: true, value: (d) => d.hard_bounces + d.soft_bounces, render: (d) => n(d.hard_bounces + d.soft_bounces) },
    { id: "complaints", header: t("email.figure.complaints"), numeric: true, value: (d) => d.complaints, render: (d) => n(d.complaints) },
    { id: "unsubscribes", header: t("email.figure.unsubscribes"), numeric: true, value: (d) => d.unsubscribes, render: (d) => n(d.unsubscribes) },
  ];
  const totalClicks = (links: LinkFigures[]) => links.reduce((sum, l) => sum + l.clicks, 0);
  const linkColumns = (links: LinkFigures[]): SortableColumn<LinkFigures>[] => [
    { id: "url", header: t("email.report.link"), value: (l) => l.url, render: (l) => <span className="break-all">{l.url}</span> },
    {
      id: "clicks",
      header: t("email.figure.clicks"),
      numeric: true,
      value: (l) => l.clicks,
      render: (l) => (
        <FigureButton label={l.url} onOpen={() => setDrilled({ figure: "clicks", label: `${t("email.figure.clicks")} — ${l.url}`, linkId: l.link_id })}>
          {n(l.clicks)}
        </FigureButton>
      ),
    },
    { id: "unique", header: t("email.figure.uniqueClicks"), numeric: true, value: (l) => l.unique_clicks, render: (l) => n(l.unique_clicks) },
    {
      id: "share",
      header: t("email.report.share"),
      numeric: true,
      value: (l) => ratio(l.clicks, totalClicks(links)),
      render: (l) => {
        const share = ratio(l.clicks, totalClicks(links));
        return share === null ? "—" : formatPercent(share, locale);
      },
    },
  ];

  return (
    <section className="grid grid-cols-1 gap-4">
      <Link to={campaignId ? `/email/campaigns/${campaignId}` : "/email/campaigns"} className="inline-flex items-center gap-1 text-sm text-muted-foreground hover:text-foreground">
        <ArrowLeft className="h-4 w-4" aria-hidden />
        {t("email.report.back")}
      </Link>
      <QueryStates query={report}>
        {(r) => (
          <>
            <div className="flex flex-wrap items-center gap-2">
              <SectionTitle title={t("email.report.titleOf", { name: campaign.data?.name ?? "" })} subtitle={t("email.report.intro")} />
              <StatusBadge status={r.status} />
            </div>
            {r.sent === 0 && r.generated === 0 ? <p className="rounded-md border border-dashed p-4 text-sm text-muted-foreground">{t("email.report.nothingYet")}</p> : null}
            <div className="grid gap-4 lg:grid-cols-2">
              <Funnel report={r} currency={currency} drill={setDrilled} />
              <Problems report={r} drill={setDrilled} />
            </div>
            <DaysChart days={r.days} />
            <SortableTable caption={t("email.report.byDay")} columns={dayColumns} rows={r.days} rowKey={(d) => d.day} csvFilename="campanha-email-dias" testId="report-days" />
            <SortableTable caption={t("email.report.links")} columns={linkColumns(r.links)} rows={r.links} rowKey={(l) => String(l.link_id)} csvFilename="campanha-email-links" initialSort={{ column: "clicks", direction: "desc" }} testId="report-links" />
          </>
        )}
      </QueryStates>
      {drilled && campaignId ? <DrillDialog source={{ campaignId }} target={drilled} onClose={() => setDrilled(null)} /> : null}
    </section>
  );
}
