import { useMutation, useQueryClient } from "@tanstack/react-query";
import { BarChart3, CalendarClock, Cog, Copy, Pause, Play, Send, XCircle } from "lucide-react";
import { useEffect, useState, type ReactNode } from "react";
import { Link } from "react-router";
import { api, unwrap } from "@/api/client";
import { ConfirmDialog } from "@/components/ui/alert-dialog";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { FormDialog } from "@/components/ui/form-dialog";
import { Input } from "@/components/ui/input";
import { useToast } from "@/components/ui/toast";
import { useI18n, type MessageKey } from "@/i18n";
import { errorMessage } from "@/lib/errors";
import { formatDateTime, formatNumber } from "@/lib/format";
import { fromLocalInput } from "./CampaignForm";
import { isBusy, useAudiences, useCampaignReport } from "./queries";
import { ProgressBar, StatusBadge } from "./shared";
import { CAMPAIGNS_KEY, EXCLUSION_REASONS, type Campaign } from "./types";

type Action = "generate" | "send" | "pause" | "cancel";

/** What each status allows (the server's machine decides; this only hides what it would refuse). */
export function allowedActions(c: Pick<Campaign, "status" | "generation_status">): Set<Action | "schedule"> {
  const out = new Set<Action | "schedule">();
  const open = c.status !== "sent" && c.status !== "cancelled";
  if (open && c.generation_status === null) out.add("generate");
  if (c.status === "draft") out.add("schedule");
  if (c.status === "draft" || c.status === "scheduled" || c.status === "paused") out.add("send");
  if (c.status === "sending") out.add("pause");
  if (open) out.add("cancel");
  return out;
}

/** Messages processed by the generation (made or excluded) of roughly how many audience members. */
export function generationProgress(c: Pick<Campaign, "generated" | "exclusions" | "generation_status">, audienceSize: number): number {
  if (c.generation_status === "done") return 1;
  const excluded = Object.values(c.exclusions).reduce((sum, n) => sum + n, 0);
  return audienceSize > 0 ? Math.min(1, (c.generated + excluded) / audienceSize) : 0;
}

function ConfirmAction({ icon, label, title, description, onConfirm, destructive, testId }: { icon: ReactNode; label: string; title: string; description: string; onConfirm: () => Promise<unknown>; destructive?: boolean; testId: string }) {
  return (
    <ConfirmDialog
      trigger={
        <Button variant={destructive ? "outline" : "default"} data-testid={testId}>
          {icon}
          {label}
        </Button>
      }
      title={title}
      description={description}
      confirmLabel={label}
      destructive={destructive}
      onConfirm={onConfirm}
    />
  );
}

/**
 * A campaign's next steps — generate its messages, schedule, send (or resume), pause,
 * cancel — each confirmed, with the generation's and the sending's progress while they run.
 */
export function CampaignActions({ campaign, canWrite }: { campaign: Campaign; canWrite: boolean }) {
  const { t, locale } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const audiences = useAudiences();
  const busy = isBusy(campaign);
  const report = useCampaignReport(campaign.generation_status ? campaign.campaign_id : undefined, campaign.status === "sending" ? 3000 : false);
  // A status change (sending → sent, paused…) brings new figures: read them again.
  const refetchReport = report.refetch;
  const hasReport = campaign.generation_status !== null;
  useEffect(() => {
    if (hasReport) void refetchReport();
  }, [campaign.status, hasReport, refetchReport]);
  const [scheduling, setScheduling] = useState(false);
  const [when, setWhen] = useState("");
  const allowed = allowedActions(campaign);
  const id = { params: { path: { campaign_id: campaign.campaign_id } } };

  const done = (updated: Campaign, key: MessageKey) => {
    qc.setQueryData([...CAMPAIGNS_KEY, campaign.campaign_id], updated);
    void qc.invalidateQueries({ queryKey: CAMPAIGNS_KEY });
    toast(t(key, { name: updated.name }));
  };
  const act = useMutation({
    mutationFn: (action: Action) => {
      switch (action) {
        case "generate":
          return unwrap(api.POST("/api/email/campaigns/{campaign_id}/generate", id));
        case "send":
          return unwrap(api.POST("/api/email/campaigns/{campaign_id}/send", id));
        case "pause":
          return unwrap(api.POST("/api/email/campaigns/{campaign_id}/pause", id));
        case "cancel":
          return unwrap(api.POST("/api/email/campaigns/{campaign_id}/cancel", id));
      }
    },
    onSuccess: (updated, action) => done(updated, `email.action.${action}.done` as MessageKey),
    onError: (e) => toast(errorMessage(e, t), "error"),
  });
  const schedule = useMutation({
    mutationFn: (at: string) => unwrap(api.POST("/api/email/campaigns/{campaign_id}/schedule", { ...id, body: { scheduled_at: at } })),
    onSuccess: (updated) => {
      setScheduling(false);
      done(updated, "email.action.schedule.done");
    },
  });

  const audienceSize = (audiences.data ?? []).filter((a) => (campaign.audience_ids ?? []).includes(a.audience_id)).reduce((sum, a) => sum + a.contacts, 0);
  const excluded = Object.values(campaign.exclusions).reduce((sum, n) => sum + n, 0);
  const sent = report.data?.sent ?? 0;

  return (
    <Card data-testid="campaign-actions">
      <CardHeader className="flex-row flex-wrap items-center justify-between gap-2 space-y-0 pb-3">
        <CardTitle className="flex items-center gap-2 text-base">
          {t("email.actions.title")} <StatusBadge status={campaign.status} />
        </CardTitle>
        {campaign.generation_status !== null ? (
          <Button asChild variant="outline" size="sm">
            <Link to={`/email/campaigns/${campaign.campaign_id}/report`} data-testid="open-report">
              <BarChart3 aria-hidden />
              {t("email.report.open")}
            </Link>
          </Button>
        ) : null}
      </CardHeader>
      <CardContent className="grid gap-4">
        {campaign.scheduled_at && campaign.status === "scheduled" ? <p className="text-sm">{t("email.actions.scheduledFor", { when: formatDateTime(campaign.scheduled_at, locale) })}</p> : null}
        {campaign.generation_status !== null ? (
          <div className="grid gap-1.5" data-testid="generation-progress">
            <div className="flex flex-wrap justify-between gap-2 text-sm">
              <span>{t(`email.generation.${campaign.generation_status}` as MessageKey)}</span>
              <span className="tabular-nums text-muted-foreground">
                {t("email.generation.counts", { generated: formatNumber(campaign.generated, locale), excluded: formatNumber(excluded, locale) })}
              </span>
            </div>
            <ProgressBar value={generationProgress(campaign, audienceSize)} label={t("email.generation.label")} />
            {excluded > 0 ? (
              <ul className="flex flex-wrap gap-x-4 gap-y-1 text-xs text-muted-foreground" data-testid="exclusions">
                {EXCLUSION_REASONS.filter((r) => (campaign.exclusions[r] ?? 0) > 0).map((r) => (
                  <li key={r}>
                    {t(`email.exclusion.${r}` as MessageKey)}: {formatNumber(campaign.exclusions[r] ?? 0, locale)}
                  </li>
                ))}
              </ul>
            ) : null}
          </div>
        ) : (
          <p className="text-sm text-muted-foreground">{t("email.generation.none")}</p>
        )}
        {campaign.status === "sending" || campaign.status === "paused" || campaign.status === "sent" ? (
          <div className="grid gap-1.5" data-testid="sending-progress">
            <div className="flex justify-between gap-2 text-sm">
              <span>{t("email.sending.label")}</span>
              <span className="tabular-nums text-muted-foreground">{t("email.sending.counts", { sent: formatNumber(sent, locale), total: formatNumber(campaign.generated, locale) })}</span>
            </div>
            <ProgressBar value={campaign.status === "sent" ? 1 : campaign.generated ? sent / campaign.generated : 0} label={t("email.sending.label")} />
            <p className="text-xs text-muted-foreground">{t("email.sending.lag")}</p>
          </div>
        ) : null}
        {busy ? <p className="text-xs text-muted-foreground">{t("email.actions.live")}</p> : null}
        {canWrite ? (
          <div className="flex flex-col gap-2 sm:flex-row sm:flex-wrap">
            {allowed.has("generate") ? (
              <ConfirmAction
                icon={<Cog aria-hidden />}
                label={t("email.action.generate")}
                title={t("email.action.generate.title")}
                description={t("email.action.generate.description")}
                onConfirm={() => act.mutateAsync("generate")}
                testId="action-generate"
              />
            ) : null}
            {allowed.has("schedule") ? (
              <Button variant="outline" onClick={() => setScheduling(true)} data-testid="action-schedule">
                <CalendarClock aria-hidden />
                {t("email.action.schedule")}
              </Button>
            ) : null}
            {allowed.has("send") ? (
              <ConfirmAction
                icon={campaign.status === "paused" ? <Play aria-hidden /> : <Send aria-hidden />}
                label={t(campaign.status === "paused" ? "email.action.resume" : "email.action.send")}
                title={t(campaign.status === "paused" ? "email.action.resume.title" : "email.action.send.title", { name: campaign.name })}
                description={t("email.action.send.description", { count: formatNumber(campaign.generation_status ? campaign.generated : audienceSize, locale) })}
                onConfirm={() => act.mutateAsync("send")}
                testId="action-send"
              />
            ) : null}
            {allowed.has("pause") ? (
              <ConfirmAction
                icon={<Pause aria-hidden />}
                label={t("email.action.pause")}
                title={t("email.action.pause.title", { name: campaign.name })}
                description={t("email.action.pause.description")}
                onConfirm={() => act.mutateAsync("pause")}
                testId="action-pause"
              />
            ) : null}
            <Button asChild variant="outline">
              <Link to={`/email/campaigns/new?from=${campaign.campaign_id}`} data-testid="action-duplicate">
                <Copy aria-hidden />
                {t("email.action.duplicate")}
              </Link>
            </Button>
            {allowed.has("cancel") ? (
              <ConfirmAction
                icon={<XCircle aria-hidden />}
                label={t("email.action.cancel")}
                title={t("email.action.cancel.title", { name: campaign.name })}
                description={t("email.action.cancel.description")}
                onConfirm={() => act.mutateAsync("cancel")}
                destructive
                testId="action-cancel"
              />
            ) : null}
          </div>
        ) : null}
      </CardContent>
      <FormDialog
        open={scheduling}
        onClose={() => setScheduling(false)}
        title={t("email.action.schedule.title")}
        description={t("email.action.schedule.description")}
        testId="schedule-dialog"
        form={{
          onSubmit: () => {
            const at = fromLocalInput(when);
            if (at) schedule.mutate(at);
          },
          submitLabel: t("email.action.schedule"),
          busy: schedule.isPending,
          disabled: !when,
          error: schedule.error,
          submitTestId: "schedule-submit",
        }}
      >
        <Field label={t("email.action.schedule.when")}>{(p) => <Input {...p} type="datetime-local" value={when} onChange={(e) => setWhen(e.target.value)} required data-testid="schedule-when" />}</Field>
      </FormDialog>
    </Card>
  );
}
