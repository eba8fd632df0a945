import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Activity, ArrowLeft, ChartColumn, ExternalLink, LifeBuoy, Plus } from "lucide-react";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { api, unwrap } from "@/api/client";
import { useCurrentUser } from "@/auth/session";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { FormDialog } from "@/components/ui/form-dialog";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { QueryStates } from "@/components/ui/query-states";
import { DeleteButton } from "@/components/ui/row-actions";
import { EmptyState } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { errorMessage } from "@/lib/errors";
import { PixelsSection } from "./PixelsSection";
import { StepForm } from "./StepForm";
import { StepList } from "./StepList";
import { FUNNELS_WRITE, STEP_TYPES, type FunnelDetail, type StepType } from "./types";

/** The headline a new step starts with (its content needs one). */
const STARTER: Record<StepType, Record<string, unknown>> = {
  capture: { headline: "Receba o material gratuito" },
  vsl: { headline: "Assista ao vídeo", video: { provider: "youtube", video_id: "aqz-KE-bpKQ" } },
  checkout: { headline: "Finalize sua compra" },
  upsell: { headline: "Uma oferta especial para você" },
  downsell: { headline: "Que tal esta opção?" },
  thankyou: { headline: "Obrigado!" },
};

function AddStepDialog({ funnelId, onClose, onAdded }: { funnelId: string; onClose: () => void; onAdded: (id: string) => void }) {
  const { t } = useI18n();
  const [name, setName] = useState("");
  const [type, setType] = useState<StepType>("capture");
  const add = useMutation({
    mutationFn: () =>
      unwrap(api.POST("/api/funnels/{funnel_id}/steps", { params: { path: { funnel_id: funnelId } }, body: { name, step_type: type, content: STARTER[type], is_active: true } })),
    onSuccess: (step) => onAdded(step.id),
  });
  return (
    <FormDialog open onClose={onClose} title={t("funnels.steps.add")} form={{ onSubmit: () => add.mutate(), submitLabel: t("funnels.steps.add"), busy: add.isPending, disabled: !name.trim(), error: add.error }}>
      <Field label={t("funnels.field.name")}>{(p) => <Input {...p} value={name} maxLength={255} onChange={(e) => setName(e.target.value)} />}</Field>
      <Field label={t("funnels.step.type")}>
        {(p) => (
          <NativeSelect {...p} value={type} onChange={(e) => setType(e.target.value as StepType)}>
            {STEP_TYPES.map((kind) => (
              <option key={kind} value={kind}>
                {t(`funnels.stepType.${kind}`)}
              </option>
            ))}
          </NativeSelect>
        )}
      </Field>
    </FormDialog>
  );
}

function Editor({ funnel }: { funnel: FunnelDetail }) {
  const { t } = useI18n();
  const me = useCurrentUser();
  const canWrite = me.permissions.includes(FUNNELS_WRITE);
  const { toast } = useToast();
  const qc = useQueryClient();
  const key = ["funnels", funnel.id];
  const [selected, setSelected] = useState<string | null>(funnel.steps[0]?.id ?? null);
  const [adding, setAdding] = useState(false);
  const path = { funnel_id: funnel.id };
  const refresh = () => void qc.invalidateQueries({ queryKey: key });
  const reorder = useMutation({
    mutationFn: (ids: string[]) => unwrap(api.PUT("/api/funnels/{funnel_id}/steps/reorder", { params: { path }, body: { step_ids: ids } })),
    onMutate: (ids) => {
      // Shown in the new order at once; the server's answer (or a reload on error) follows.
      const byId = new Map(funnel.steps.map((s) => [s.id, s]));
      qc.setQueryData<FunnelDetail>(key, { ...funnel, steps: ids.map((id) => byId.get(id)!).filter(Boolean) });
    },
    onSuccess: (steps) => {
      qc.setQueryData<FunnelDetail>(key, { ...funnel, steps });
      toast(t("funnels.steps.reordered"));
    },
    onError: (e) => {
      refresh();
      toast(errorMessage(e, t), "error");
    },
  });
  const toggle = useMutation({
    mutationFn: () => unwrap(api.PUT("/api/funnels/{funnel_id}", { params: { path }, body: { is_active: !funnel.is_active } })),
    onSuccess: (updated) => {
      qc.setQueryData(key, updated);
      void qc.invalidateQueries({ queryKey: ["funnels", "list"] });
      toast(t("funnels.saved"));
    },
    onError: (e) => toast(errorMessage(e, t), "error"),
  });
  const step = funnel.steps.find((s) => s.id === selected) ?? null;
  return (
    <div className="space-y-4">
      <Link to="/funnels" className="inline-flex items-center gap-1 text-sm text-muted-foreground hover:underline">
        <ArrowLeft className="h-4 w-4" aria-hidden />
        {t("funnels.back")}
      </Link>
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div className="min-w-0">
          <h1 className="truncate text-2xl font-semibold">{funnel.name}</h1>
          <p className="flex items-center gap-2 text-sm text-muted-foreground">
            <code>{funnel.slug}</code>
            <Badge variant={funnel.is_active ? "success" : "secondary"}>{funnel.is_active ? t("funnels.active") : t("funnels.inactive")}</Badge>
          </p>
        </div>
        <div className="flex flex-wrap gap-2">
          <Button variant="outline" asChild>
            <Link to={`/funnels/${funnel.id}/monitor`} data-testid="funnel-monitor-link">
              <Activity aria-hidden />
              {t("funnelMonitor.open")}
            </Link>
          </Button>
          <Button variant="outline" asChild>
            <Link to={`/funnels/${funnel.id}/analytics`} data-testid="funnel-analytics-link">
              <ChartColumn aria-hidden />
              {t("funnelAnalytics.open")}
            </Link>
          </Button>
          <Button asChild variant="outline">
            <Link to={`/funnels/recovery?funnel_id=${encodeURIComponent(funnel.id)}`} data-testid="funnel-recovery-link">
              <LifeBuoy aria-hidden />
              {t("recovery.link")}
            </Link>
          </Button>
          {canWrite ? (
            <Button variant="outline" onClick={() => toggle.mutate()} disabled={toggle.isPending}>
              {funnel.is_active ? t("funnels.deactivate") : t("funnels.activate")}
            </Button>
          ) : null}
        </div>
      </div>
      <div className="grid gap-4 lg:grid-cols-[minmax(240px,320px)_1fr]">
        <Card className="content-start">
          <CardHeader className="flex flex-row items-center justify-between gap-2 space-y-0">
            <CardTitle className="text-base">{t("funnels.steps")}</CardTitle>
            {canWrite ? (
              <Button size="sm" variant="outline" onClick={() => setAdding(true)} data-testid="step-add">
                <Plus aria-hidden />
                {t("funnels.steps.add")}
              </Button>
            ) : null}
          </CardHeader>
          <CardContent className="space-y-3">
            {funnel.steps.length === 0 ? (
              <EmptyState message={t("funnels.steps.empty")} />
            ) : (
              <StepList steps={funnel.steps} selectedId={selected} canWrite={canWrite} onSelect={setSelected} onReorder={(ids) => reorder.mutate(ids)} />
            )}
            {step ? (
              <div className="flex items-center justify-between gap-2">
                <a href={step.public_path} target="_blank" rel="noreferrer" className="inline-flex items-center gap-1 text-sm text-primary hover:underline">
                  <ExternalLink className="h-4 w-4" aria-hidden />
                  {t("funnels.steps.openPage")}
                </a>
                {canWrite ? (
                  <DeleteButton
                    name={step.name}
                    title={t("common.delete")}
                    description={t("funnels.steps.deleteConfirm", { name: step.name })}
                    onConfirm={async () => {
                      await unwrap(api.DELETE("/api/funnels/{funnel_id}/steps/{step_id}", { params: { path: { funnel_id: funnel.id, step_id: step.id } } }));
                      setSelected(null);
                      refresh();
                    }}
                  />
                ) : null}
              </div>
            ) : null}
          </CardContent>
        </Card>
        {step ? <StepForm key={`${step.id}-${step.updated_at}`} funnelId={funnel.id} step={step} steps={funnel.steps} canWrite={canWrite} /> : null}
      </div>
      <PixelsSection funnelId={funnel.id} steps={funnel.steps} canWrite={canWrite} />
      {adding ? (
        <AddStepDialog
          funnelId={funnel.id}
          onClose={() => setAdding(false)}
          onAdded={(id) => {
            setAdding(false);
            setSelected(id);
            refresh();
          }}
        />
      ) : null}
    </div>
  );
}

/** A funnel's editor: its steps (drag to reorder), the selected step's form with a live preview, its pixels. */
export default function FunnelEditor() {
  const { funnelId = "" } = useParams();
  const query = useQuery({
    queryKey: ["funnels", funnelId],
    queryFn: () => unwrap(api.GET("/api/funnels/{funnel_id}", { params: { path: { funnel_id: funnelId } } })),
  });
  return <QueryStates query={query}>{(funnel) => <Editor funnel={funnel} />}</QueryStates>;
}
