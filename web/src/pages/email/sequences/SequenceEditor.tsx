import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ArrowLeft, Pause, Play, Plus, Settings2 } from "lucide-react";
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { api, unwrap } from "@/api/client";
import { useCurrentUser } from "@/auth/session";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { QueryStates } from "@/components/ui/query-states";
import { DeleteButton } from "@/components/ui/row-actions";
import { EmptyState } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { errorMessage } from "@/lib/errors";
import { formatNumber } from "@/lib/format";
import { EnrollmentTable } from "./EnrollmentTable";
import { SEQUENCES_KEY, SequenceFormDialog } from "./SequenceForm";
import { StepChart } from "./StepChart";
import { StepDialog } from "./StepDialog";
import { StepTimeline } from "./StepTimeline";
import { describeTrigger, EMAIL_WRITE, STATUS_VARIANT, type Sequence, type SequenceStep } from "./types";

function Summary({ sequenceId }: { sequenceId: string }) {
  const { t, locale } = useI18n();
  const report = useQuery({
    queryKey: [...SEQUENCES_KEY, sequenceId, "report"],
    queryFn: () => unwrap(api.GET("/api/email/sequences/{sequence_id}/report", { params: { path: { sequence_id: sequenceId } } })),
  });
  return (
    <QueryStates query={report}>
      {(data) => (
        <div className="space-y-4">
          <dl className="grid grid-cols-2 gap-3 sm:grid-cols-4" data-testid="sequence-totals">
            {(["enrolled", "active", "completed", "exited"] as const).map((name) => (
              <div key={name} className="rounded-md border p-3">
                <dt className="text-xs text-muted-foreground">{t(`sequences.report.${name}`)}</dt>
                <dd className="text-xl font-semibold tabular-nums">{formatNumber(data[name], locale)}</dd>
              </div>
            ))}
          </dl>
          {Object.keys(data.exits).length > 0 ? (
            <ul className="flex flex-wrap gap-2 text-sm" aria-label={t("sequences.report.exited")}>
              {Object.entries(data.exits).map(([reason, count]) => (
                <li key={reason}>
                  <Badge variant="outline">
                    {t(`sequences.exitReason.${reason as "manual"}`)}: {formatNumber(count, locale)}
                  </Badge>
                </li>
              ))}
            </ul>
          ) : null}
          <StepChart steps={data.steps} />
        </div>
      )}
    </QueryStates>
  );
}

function Editor({ sequence }: { sequence: Sequence }) {
  const { t } = useI18n();
  const me = useCurrentUser();
  const canWrite = me.permissions.includes(EMAIL_WRITE);
  const { toast } = useToast();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [stepDialog, setStepDialog] = useState<{ step?: SequenceStep } | null>(null);
  const path = { sequence_id: sequence.sequence_id };
  const refresh = () => void qc.invalidateQueries({ queryKey: SEQUENCES_KEY });
  const toggle = useMutation({
    mutationFn: () =>
      sequence.status === "active"
        ? unwrap(api.POST("/api/email/sequences/{sequence_id}/pause", { params: { path } }))
        : unwrap(api.POST("/api/email/sequences/{sequence_id}/activate", { params: { path } })),
    onSuccess: (updated) => {
      refresh();
      toast(t(updated.status === "active" ? "sequences.activated" : "sequences.paused"));
    },
    onError: (e) => toast(errorMessage(e, t), "error"),
  });
  const steps = sequence.steps ?? [];
  const exits = [
    ...(sequence.exit_on_reply ? [t("sequences.exit.reply")] : []),
    ...sequence.exit_stages.map((stage) => t("sequences.exit.stage", { stage: t(`sequences.stage.${stage}`) })),
    t("sequences.exit.unsubscribe"),
  ];
  return (
    <div className="space-y-4">
      <Link to="/email/sequences" className="inline-flex items-center gap-1 text-sm text-muted-foreground hover:underline">
        <ArrowLeft className="h-4 w-4" aria-hidden />
        {t("sequences.back")}
      </Link>
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0 space-y-1">
          <h1 className="truncate text-2xl font-semibold">{sequence.name}</h1>
          <p className="flex flex-wrap items-center gap-2 text-sm text-muted-foreground">
            <Badge variant={STATUS_VARIANT[sequence.status]}>{t(`sequences.status.${sequence.status}`)}</Badge>
            <span>{describeTrigger(sequence, t)}</span>
          </p>
          <p className="text-sm text-muted-foreground" data-testid="exit-rules">
            {t("sequences.exitRules")}: {exits.join(" · ")}
          </p>
        </div>
        {canWrite ? (
          <div className="flex flex-wrap gap-2">
            <Button variant="outline" onClick={() => setEditing(true)}>
              <Settings2 aria-hidden />
              {t("sequences.edit")}
            </Button>
            <Button onClick={() => toggle.mutate()} disabled={toggle.isPending} data-testid="sequence-toggle">
              {sequence.status === "active" ? <Pause aria-hidden /> : <Play aria-hidden />}
              {sequence.status === "active" ? t("sequences.pause") : sequence.status === "paused" ? t("sequences.resume") : t("sequences.activate")}
            </Button>
            <DeleteButton
              name={sequence.name}
              title={t("sequences.delete")}
              description={t("sequences.deleteConfirm", { name: sequence.name })}
              onConfirm={async () => {
                await unwrap(api.DELETE("/api/email/sequences/{sequence_id}", { params: { path } }));
                refresh();
                toast(t("sequences.deleted"));
                navigate("/email/sequences");
              }}
            />
          </div>
        ) : null}
      </div>
      <div className="grid gap-4 lg:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <Card>
          <CardHeader className="flex flex-row items-center justify-between gap-2 space-y-0">
            <CardTitle className="text-base">{t("sequences.steps")}</CardTitle>
            {canWrite ? (
              <Button size="sm" variant="outline" onClick={() => setStepDialog({})} data-testid="step-add">
                <Plus aria-hidden />
                {t("sequences.steps.add")}
              </Button>
            ) : null}
          </CardHeader>
          <CardContent>
            {steps.length === 0 ? (
              <EmptyState message={t("sequences.steps.empty")} action={canWrite ? <Button onClick={() => setStepDialog({})}>{t("sequences.steps.add")}</Button> : undefined} />
            ) : (
              <StepTimeline sequenceId={sequence.sequence_id} steps={steps} canWrite={canWrite} onEdit={(step) => setStepDialog({ step })} onChanged={refresh} />
            )}
          </CardContent>
        </Card>
        <Card className="content-start">
          <CardHeader>
            <CardTitle className="text-base">{t("sequences.report.title")}</CardTitle>
          </CardHeader>
          <CardContent>
            <Summary sequenceId={sequence.sequence_id} />
          </CardContent>
        </Card>
      </div>
      <EnrollmentTable sequenceId={sequence.sequence_id} canWrite={canWrite} />
      {editing ? <SequenceFormDialog sequence={sequence} onClose={() => setEditing(false)} onSaved={() => setEditing(false)} /> : null}
      {stepDialog ? (
        <StepDialog
          sequenceId={sequence.sequence_id}
          step={stepDialog.step}
          onClose={() => setStepDialog(null)}
          onSaved={() => {
            setStepDialog(null);
            refresh();
            toast(t("sequences.saved"));
          }}
        />
      ) : null}
    </div>
  );
}

/** A sequence's editor: its e-mails as a vertical timeline with waits, conditions and figures. */
export default function SequenceEditor() {
  const { sequenceId = "" } = useParams();
  const query = useQuery({
    queryKey: [...SEQUENCES_KEY, sequenceId],
    queryFn: () => unwrap(api.GET("/api/email/sequences/{sequence_id}", { params: { path: { sequence_id: sequenceId } } })),
  });
  return <QueryStates query={query}>{(sequence) => <Editor sequence={sequence} />}</QueryStates>;
}
