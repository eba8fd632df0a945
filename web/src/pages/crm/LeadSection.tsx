import { useQuery } from "@tanstack/react-query";
import { ArrowLeft, Target } from "lucide-react";
import { useState, type ReactNode } from "react";
import { Link, useParams } from "react-router";
import { api, unwrap } from "@/api/client";
import { useCurrentUser } from "@/auth/session";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Fact } from "@/components/ui/fact";
import { NativeSelect } from "@/components/ui/native-select";
import { QueryStates } from "@/components/ui/query-states";
import { useI18n } from "@/i18n";
import { formatDateTime, formatNumber } from "@/lib/format";
import { ChannelBadge } from "@/pages/tracking/shared";
import { sourceMedium } from "@/pages/tracking/format";
import { CONVERSIONS_READ } from "@/pages/conversions/types";
import { IntegrationLogPanel } from "./IntegrationLogPanel";
import { ActivityTimeline, NotesPanel, StageHistory, TasksPanel } from "./LeadActivity";
import { creditOf, LeadJourneyPanel } from "./LeadJourneyPanel";
import { LeadOwner } from "./LeadOwner";
import { Money, ScoreChip, StageBadge, StageOptions } from "./shared";
import { needsDetails, StageDialog } from "./StageDialog";
import { CRM_WRITE, type Lead, type Stage } from "./types";
import { useStageChange } from "./useStageChange";

const SUBSCORES = ["demographic", "behavioral", "firmographic"] as const;

/** `metadata.scoring` of a lead: the three sub-scores and the total (0–100), when present. */
export function scoreBreakdown(metadata: Record<string, unknown>): Record<(typeof SUBSCORES)[number] | "total", number> | null {
  const raw = metadata.scoring;
  if (!raw || typeof raw !== "object") return null;
  const s = raw as Record<string, unknown>;
  const out = {} as Record<(typeof SUBSCORES)[number] | "total", number>;
  for (const k of [...SUBSCORES, "total"] as const) {
    const v = s[k];
    if (typeof v !== "number" || !Number.isFinite(v)) return null;
    out[k] = v;
  }
  return out;
}

export function ScoreBreakdown({ lead }: { lead: Lead }) {
  const { t, locale } = useI18n();
  const b = scoreBreakdown(lead.metadata);
  return (
    <div className="grid w-full content-start gap-2 lg:w-64" data-testid="score-breakdown">
      <div className="flex items-center gap-2">
        <ScoreChip score={lead.lead_score} className="h-8 w-8 text-sm" />
        {b ? <span className="text-sm text-muted-foreground">{t("crm.score.total", { total: formatNumber(b.total, locale) })}</span> : null}
      </div>
      {b ? (
        <dl className="grid gap-1.5">
          {SUBSCORES.map((k) => (
            <div key={k} className="grid grid-cols-[7rem_1fr_2.5rem] items-center gap-2 text-xs">
              <dt className="text-muted-foreground">{t(`crm.score.${k}`)}</dt>
              <div className="h-1.5 overflow-hidden rounded-full bg-muted" aria-hidden>
                <div className="h-full rounded-full bg-primary" style={{ width: `${Math.max(0, Math.min(100, b[k]))}%` }} />
              </div>
              <dd className="text-right tabular-nums">{formatNumber(b[k], locale)}</dd>
            </div>
          ))}
        </dl>
      ) : null}
    </div>
  );
}

/** Pick a stage and move; won asks for the value, lost for a reason. */
export function StageControl({ lead }: { lead: Lead }) {
  const { t } = useI18n();
  const [target, setTarget] = useState<Stage>(lead.current_stage);
  const [asking, setAsking] = useState<"won" | "lost" | null>(null);
  const change = useStageChange();
  const go = () => {
    if (target === lead.current_stage) return;
    if (needsDetails(target)) setAsking(target);
    else change.mutate({ leadId: lead.lead_id, body: { stage_name: target } });
  };
  return (
    <div className="flex flex-wrap items-end gap-2">
      <div className="grid gap-1">
        <label htmlFor="lead-stage-change" className="text-xs text-muted-foreground">
          {t("crm.lead.changeStage")}
        </label>
        <NativeSelect id="lead-stage-change" className="w-44" value={target} onChange={(e) => setTarget(e.target.value as Stage)}>
          <StageOptions />
        </NativeSelect>
      </div>
      <Button onClick={go} disabled={target === lead.current_stage || change.isPending} data-testid="stage-change-submit">
        {t("crm.lead.move")}
      </Button>
      <StageDialog
        key={asking ?? "none"}
        stage={asking}
        leadName={lead.name ?? lead.email ?? ""}
        currentValue={lead.stage_value}
        onCancel={() => setAsking(null)}
        onConfirm={(body) => {
          change.mutate({ leadId: lead.lead_id, body });
          setAsking(null);
        }}
      />
    </div>
  );
}

function Panel({ title, children, testId }: { title: string; children: ReactNode; testId?: string }) {
  return (
    <Card data-testid={testId}>
      <CardHeader className="pb-3">
        <CardTitle className="text-base">{title}</CardTitle>
      </CardHeader>
      <CardContent>{children}</CardContent>
    </Card>
  );
}

/** A lead: who, score and stage (with the control), journey, history, tasks, notes, timeline, pushes. */
export default function LeadSection() {
  const { t, locale } = useI18n();
  const { leadId = "" } = useParams();
  const me = useCurrentUser();
  const canWrite = me.permissions.includes(CRM_WRITE);
  const detail = useQuery({
    queryKey: ["crm", "lead", leadId],
    queryFn: () => unwrap(api.GET("/api/leads/{lead_id}", { params: { path: { lead_id: leadId } } })),
  });
  return (
    <div className="grid grid-cols-1 gap-4">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <Button asChild variant="ghost" size="sm">
          <Link to="/leads">
            <ArrowLeft aria-hidden />
            {t("crm.lead.back")}
          </Link>
        </Button>
        {me.permissions.includes(CONVERSIONS_READ) ? (
          <Button asChild variant="outline" size="sm">
            <Link to={`/conversions?lead_id=${encodeURIComponent(leadId)}`} data-testid="lead-conversions-link">
              <Target aria-hidden />
              {t("conversions.leadLink")}
            </Link>
          </Button>
        ) : null}
      </div>
      <QueryStates query={detail}>
        {({ lead, contact, stages, tasks, notes, activities }) => (
          <>
            <Card data-testid="lead-header">
              <CardContent className="grid gap-4 pt-5 lg:grid-cols-[1fr_auto]">
                <div className="grid gap-3">
                  <div className="flex flex-wrap items-center gap-2">
                    <h2 className="break-words text-xl font-semibold" data-testid="lead-name">
                      {lead.name || lead.email || t("crm.lead.unnamed")}
                    </h2>
                    <StageBadge stage={lead.current_stage} />
                  </div>
                  <dl className="grid gap-3 sm:grid-cols-3">
                    <Fact label={t("crm.lead.email")}>{contact.email ?? lead.email ?? t("crm.none")}</Fact>
                    <Fact label={t("crm.lead.phone")}>{contact.phone ?? lead.phone ?? t("crm.none")}</Fact>
                    <Fact label={t("crm.lead.company")}>{lead.company ?? contact.company ?? t("crm.none")}</Fact>
                    <Fact label={t("crm.lead.owner")}>
                      <LeadOwner lead={lead} canWrite={canWrite} />
                    </Fact>
                    <Fact label={t("crm.lead.value")}>
                      <Money value={lead.stage_value} />
                    </Fact>
                    <Fact label={t("crm.lead.created")}>{formatDateTime(lead.created_at, locale)}</Fact>
                    <Fact label={t("crm.lead.origin")}>
                      <span className="flex flex-wrap items-center gap-1.5">
                        <ChannelBadge channel={lead.channel} />
                        <span className="break-all">{sourceMedium(lead.source, lead.medium) ?? ""}</span>
                      </span>
                    </Fact>
                    <Fact label={t("crm.lead.campaign")}>{lead.campaign ?? t("crm.none")}</Fact>
                    <Fact label={t("crm.lead.formLocation")}>{lead.form_location ?? t("crm.none")}</Fact>
                  </dl>
                  {lead.message ? <p className="whitespace-pre-wrap break-words rounded-md bg-muted p-3 text-sm">{lead.message}</p> : null}
                  {canWrite ? <StageControl key={lead.current_stage} lead={lead} /> : null}
                </div>
                <ScoreBreakdown lead={lead} />
              </CardContent>
            </Card>
            <div className="grid gap-4 lg:grid-cols-[2fr_1fr]">
              <div className="grid content-start gap-4">
                <Panel title={t("crm.journey.title")} testId="lead-journey-panel">
                  <LeadJourneyPanel leadId={lead.lead_id} credit={creditOf(lead.metadata)} />
                </Panel>
                <Panel title={t("crm.log.title")} testId="integration-log-panel">
                  <IntegrationLogPanel leadId={lead.lead_id} />
                </Panel>
              </div>
              <div className="grid content-start gap-4">
                <Panel title={t("crm.lead.stageHistory")} testId="stage-history-panel">
                  <StageHistory stages={stages} />
                </Panel>
                <Panel title={t("crm.tasks.heading")}>
                  <TasksPanel leadId={lead.lead_id} tasks={tasks} canWrite={canWrite} />
                </Panel>
                <Panel title={t("crm.notes.title")}>
                  <NotesPanel leadId={lead.lead_id} notes={notes} canWrite={canWrite} />
                </Panel>
                <Panel title={t("crm.activities.title")}>
                  <ActivityTimeline activities={activities} />
                </Panel>
              </div>
            </div>
          </>
        )}
      </QueryStates>
    </div>
  );
}
