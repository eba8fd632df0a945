import { useQuery } from "@tanstack/react-query";
import { Clock, Flag, Mail } from "lucide-react";
import { useState } from "react";
import { api, unwrap } from "@/api/client";
import { DeleteButton, EditButton } from "@/components/ui/row-actions";
import { useI18n } from "@/i18n";
import { formatMoney, formatNumber } from "@/lib/format";
import { DrillDialog, FigureButton, type DrillTarget } from "../drill/DrillDialog";
import { SEQUENCES_KEY } from "./SequenceForm";
import { describeCondition, describeWait, type SequenceStep, type StepFigures } from "./types";

function revenueText(figures: StepFigures | undefined, locale: "en" | "pt-BR"): string {
  if (!figures || figures.revenue.length === 0) return formatMoney(0, locale);
  return figures.revenue.map((r) => formatMoney(Number(r.amount), locale, r.currency ?? "BRL")).join(" + ");
}

/** The sequence's e-mails top to bottom: the wait before each, its condition, its figures. */
export function StepTimeline({
  sequenceId,
  steps,
  canWrite,
  onEdit,
  onChanged,
}: {
  sequenceId: string;
  steps: SequenceStep[];
  canWrite: boolean;
  onEdit: (step: SequenceStep) => void;
  onChanged: () => void;
}) {
  const { t, locale } = useI18n();
  const report = useQuery({
    queryKey: [...SEQUENCES_KEY, sequenceId, "report"],
    queryFn: () => unwrap(api.GET("/api/email/sequences/{sequence_id}/report", { params: { path: { sequence_id: sequenceId } } })),
  });
  const figuresOf = new Map((report.data?.steps ?? []).map((f) => [f.step_id, f]));
  const [drilled, setDrilled] = useState<{ stepId: string; target: DrillTarget } | null>(null);
  return (
    <ol className="relative space-y-0 border-l-2 border-muted pl-6" data-testid="step-timeline">
      <li className="relative pb-4">
        <span className="absolute -left-[33px] flex h-4 w-4 items-center justify-center rounded-full bg-primary" aria-hidden />
        <p className="text-sm font-medium">{t("sequences.steps.start")}</p>
      </li>
      {steps.map((step) => {
        const figures = figuresOf.get(step.step_id);
        const cells = [
          ["sent", figures?.sent ?? 0, "sent"],
          ["opened", figures?.unique_opens ?? 0, "unique_opens"],
          ["clicked", figures?.unique_clicks ?? 0, "unique_clicks"],
          ["leads", figures?.leads ?? 0, "leads"],
        ] as const;
        return (
          <li key={step.step_id} className="relative pb-4" data-testid="step-row">
            <p className="mb-2 flex items-center gap-1 text-xs text-muted-foreground">
              <Clock className="h-3.5 w-3.5" aria-hidden />
              {describeWait(step.wait_minutes, t)}
            </p>
            <span className="absolute -left-[35px] top-7 flex h-5 w-5 items-center justify-center rounded-full border-2 border-primary bg-background" aria-hidden>
              <Mail className="h-3 w-3 text-primary" />
            </span>
            <div className="rounded-md border p-3">
              <div className="flex items-start justify-between gap-2">
                <div className="min-w-0">
                  <p className="text-xs font-medium uppercase text-muted-foreground">{t("sequences.step.title", { position: step.position })}</p>
                  <p className="truncate font-medium">{step.subject}</p>
                  <p className="text-xs text-muted-foreground">
                    {describeCondition(step.condition, t)}
                    {step.condition ? ` — ${t(`sequences.step.otherwise.${step.otherwise}`)}` : ""}
                  </p>
                </div>
                {canWrite ? (
                  <div className="flex shrink-0 gap-1">
                    <EditButton name={t("sequences.step.title", { position: step.position })} onClick={() => onEdit(step)} />
                    <DeleteButton
                      name={t("sequences.step.title", { position: step.position })}
                      title={t("common.delete")}
                      description={t("sequences.steps.deleteConfirm", { position: step.position })}
                      onConfirm={async () => {
                        await unwrap(api.DELETE("/api/email/sequences/{sequence_id}/steps/{step_id}", { params: { path: { sequence_id: sequenceId, step_id: step.step_id } } }));
                        onChanged();
                      }}
                    />
                  </div>
                ) : null}
              </div>
              <dl className="mt-2 grid grid-cols-3 gap-2 text-sm sm:grid-cols-5">
                {cells.map(([name, value, figure]) => (
                  <div key={name}>
                    <dt className="text-xs text-muted-foreground">{t(`sequences.figures.${name}`)}</dt>
                    <dd className="tabular-nums">
                      <FigureButton
                        label={t(`sequences.figures.${name}`)}
                        onOpen={() => setDrilled({ stepId: step.step_id, target: { figure, label: `${t("sequences.step.title", { position: step.position })} — ${t(`sequences.figures.${name}`)}` } })}
                        testId={`step-drill-${figure}`}
                      >
                        {formatNumber(value, locale)}
                      </FigureButton>
                    </dd>
                  </div>
                ))}
                <div>
                  <dt className="text-xs text-muted-foreground">{t("sequences.figures.revenue")}</dt>
                  <dd className="tabular-nums">{revenueText(figures, locale)}</dd>
                </div>
              </dl>
              {figures && (figures.waiting || figures.skipped || figures.exited) ? (
                <p className="mt-2 text-xs text-muted-foreground">
                  {t("sequences.figures.waiting")}: {formatNumber(figures.waiting, locale)} · {t("sequences.figures.skipped")}: {formatNumber(figures.skipped, locale)} ·{" "}
                  {t("sequences.figures.exited")}: {formatNumber(figures.exited, locale)}
                </p>
              ) : null}
            </div>
          </li>
        );
      })}
      <li className="relative">
        <span className="absolute -left-[33px] flex h-4 w-4 items-center justify-center rounded-full bg-muted-foreground" aria-hidden>
          <Flag className="h-2.5 w-2.5 text-background" />
        </span>
        <p className="text-sm text-muted-foreground">{t("sequences.steps.end")}</p>
      </li>
      {drilled ? <DrillDialog source={{ sequenceId, stepId: drilled.stepId }} target={drilled.target} onClose={() => setDrilled(null)} /> : null}
    </ol>
  );
}
