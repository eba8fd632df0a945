import { Plus } from "lucide-react";
import { useMemo, useState } from "react";
import { Link } from "react-router";
import { useCurrentUser } from "@/auth/session";
import { Button } from "@/components/ui/button";
import { Label } from "@/components/ui/label";
import { NativeSelect } from "@/components/ui/native-select";
import { QueryStates } from "@/components/ui/query-states";
import { SortableTable, type SortableColumn } from "@/components/ui/sortable-table";
import { EmptyState } from "@/components/ui/states";
import { useI18n } from "@/i18n";
import { formatDate, formatNumber, formatPercent } from "@/lib/format";
import { useCampaignFigures, useCampaigns } from "./queries";
import { SectionTitle, StatusBadge } from "./shared";
import { CAMPAIGN_STATUSES, EMAIL_WRITE, formatRevenue, ratio, revenueCell, statusKey, type Campaign, type CampaignFigures, type CampaignStatus } from "./types";

type Row = Campaign & { figures: CampaignFigures | undefined };

const NONE: CampaignFigures = {
  campaign_id: "",
  sent: 0,
  delivered: 0,
  opens: 0,
  human_opens: 0,
  unique_opens: 0,
  clicks: 0,
  unique_clicks: 0,
  hard_bounces: 0,
  soft_bounces: 0,
  complaints: 0,
  unsubscribes: 0,
  refused: 0,
  leads: 0,
  won_leads: 0,
  revenue: [],
};

/** A count and, under it, its share of the messages sent. */
function CountAndRate({ count, of }: { count: number; of: number }) {
  const { locale } = useI18n();
  const share = ratio(count, of);
  return (
    <span className="grid">
      <span>{formatNumber(count, locale)}</span>
      {share !== null ? <span className="text-xs text-muted-foreground">{formatPercent(share, locale)}</span> : null}
    </span>
  );
}

/** The organization's campaigns with their figures (sent, opened, clicked, leads, revenue), a status filter and CSV. */
export default function CampaignsSection() {
  const { t, locale } = useI18n();
  const me = useCurrentUser();
  const canWrite = me.permissions.includes(EMAIL_WRITE);
  const currency = me.organization?.currency ?? "BRL";
  const campaigns = useCampaigns();
  const figures = useCampaignFigures();
  const [status, setStatus] = useState<CampaignStatus | "">("");

  const byId = useMemo(() => new Map((figures.data ?? []).map((f) => [f.campaign_id, f])), [figures.data]);
  const columns: SortableColumn<Row>[] = [
    {
      id: "name",
      header: t("email.campaign.name"),
      value: (r) => r.name,
      render: (r) => (
        <span className="grid max-w-[18rem] gap-0.5">
          <Link to={`/email/campaigns/${r.campaign_id}`} className="break-words font-medium hover:underline" data-testid="campaign-link">
            {r.name}
          </Link>
          <span className="break-words text-xs text-muted-foreground">{r.subject}</span>
          {r.generation_status !== null ? (
            <Link to={`/email/campaigns/${r.campaign_id}/report`} className="text-xs text-primary hover:underline" data-testid="report-link">
              {t("email.report.open")}
            </Link>
          ) : null}
        </span>
      ),
    },
    { id: "status", header: t("email.campaign.status"), value: (r) => t(statusKey(r.status)), render: (r) => <StatusBadge status={r.status} /> },
    { id: "sent", header: t("email.figure.sent"), numeric: true, value: (r) => (r.figures ?? NONE).sent, render: (r) => formatNumber((r.figures ?? NONE).sent, locale) },
    {
      id: "opened",
      header: t("email.figure.opened"),
      numeric: true,
      value: (r) => (r.figures ?? NONE).unique_opens,
      render: (r) => <CountAndRate count={(r.figures ?? NONE).unique_opens} of={(r.figures ?? NONE).delivered || (r.figures ?? NONE).sent} />,
    },
    {
      id: "clicked",
      header: t("email.figure.clicked"),
      numeric: true,
      value: (r) => (r.figures ?? NONE).unique_clicks,
      render: (r) => <CountAndRate count={(r.figures ?? NONE).unique_clicks} of={(r.figures ?? NONE).delivered || (r.figures ?? NONE).sent} />,
    },
    { id: "leads", header: t("email.figure.leads"), numeric: true, value: (r) => (r.figures ?? NONE).leads, render: (r) => formatNumber((r.figures ?? NONE).leads, locale) },
    {
      id: "revenue",
      header: t("email.figure.revenue"),
      numeric: true,
      value: (r) => revenueCell((r.figures ?? NONE).revenue, currency),
      render: (r) => formatRevenue((r.figures ?? NONE).revenue, locale, currency),
    },
    { id: "created", header: t("email.common.created"), value: (r) => r.created_at, render: (r) => formatDate(r.created_at, locale) },
  ];

  const newButton = canWrite ? (
    <Button asChild data-testid="campaign-new">
      <Link to="/email/campaigns/new">
        <Plus aria-hidden />
        {t("email.campaign.new")}
      </Link>
    </Button>
  ) : null;

  return (
    <section className="grid grid-cols-1 gap-4">
      <div className="flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
        <SectionTitle title={t("email.campaigns.title")} subtitle={t("email.campaigns.intro")} />
        {newButton}
      </div>
      <QueryStates
        query={campaigns}
        isEmpty={(d) => d.length === 0}
        empty={
          <EmptyState
            message={t("email.campaigns.empty")}
            action={
              canWrite ? (
                <div className="flex flex-wrap justify-center gap-2">
                  {newButton}
                  <Button asChild variant="outline">
                    <Link to="/email/templates/new">{t("email.template.new")}</Link>
                  </Button>
                </div>
              ) : undefined
            }
          />
        }
      >
        {(list) => {
          const rows: Row[] = list.filter((c) => !status || c.status === status).map((c) => ({ ...c, figures: byId.get(c.campaign_id) }));
          return (
            <div className="grid gap-3">
              <div className="grid max-w-xs gap-1.5">
                <Label htmlFor="campaign-status-filter">{t("email.campaign.status")}</Label>
                <NativeSelect id="campaign-status-filter" value={status} onChange={(e) => setStatus(e.target.value as CampaignStatus | "")} data-testid="status-filter">
                  <option value="">{t("email.campaigns.allStatuses")}</option>
                  {CAMPAIGN_STATUSES.map((s) => (
                    <option key={s} value={s}>
                      {t(statusKey(s))}
                    </option>
                  ))}
                </NativeSelect>
              </div>
              <SortableTable columns={columns} rows={rows} rowKey={(r) => r.campaign_id} csvFilename="campanhas-email" testId="campaigns-table" />
            </div>
          );
        }}
      </QueryStates>
    </section>
  );
}
