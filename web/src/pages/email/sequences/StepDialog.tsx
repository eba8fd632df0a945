import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "@/api/client";
import { Checkbox } from "@/components/ui/checkbox";
import { Field } from "@/components/ui/field";
import { FormDialog } from "@/components/ui/form-dialog";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { Textarea } from "@/components/ui/textarea";
import { useI18n } from "@/i18n";
import { GRADES, STAGES, splitWait, toMinutes, type Condition, type SequenceStep, type SequenceStepIn, type Stage, type WaitUnit } from "./types";

/** What the condition picker offers: each maps to one condition shape. */
const CHOICES = ["none", "stage", "stageNot", "score", "tag", "tagNot", "opened", "clicked", "not_opened", "not_clicked"] as const;
type Choice = (typeof CHOICES)[number];

function choiceOf(condition: Condition | null | undefined): Choice {
  if (!condition) return "none";
  if (condition.kind === "stage") return condition.negate ? "stageNot" : "stage";
  if (condition.kind === "tag") return condition.negate ? "tagNot" : "tag";
  if (condition.kind === "score") return "score";
  return condition.event;
}

function buildCondition(choice: Choice, stages: Stage[], grades: string[], tag: string): Condition | null {
  switch (choice) {
    case "none":
      return null;
    case "stage":
    case "stageNot":
      return { kind: "stage", stages, negate: choice === "stageNot" };
    case "score":
      return { kind: "score", grades: grades as ("A" | "B" | "C" | "D")[] };
    case "tag":
    case "tagNot":
      return { kind: "tag", tag: tag.trim(), negate: choice === "tagNot" };
    default:
      return { kind: "previous_email", event: choice };
  }
}

/** Adds an e-mail to the sequence (no `step`) or edits one: wait, condition, content. */
export function StepDialog({ sequenceId, step, onClose, onSaved }: { sequenceId: string; step?: SequenceStep; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const templates = useQuery({ queryKey: ["email", "templates"], queryFn: () => unwrap(api.GET("/api/email/templates")) });
  const wait = splitWait(step?.wait_minutes ?? 0);
  const condition = step?.condition ?? null;
  const [amount, setAmount] = useState(wait.amount);
  const [unit, setUnit] = useState<WaitUnit>(step ? wait.unit : "days");
  const [choice, setChoice] = useState<Choice>(choiceOf(condition));
  const [stages, setStages] = useState<Stage[]>(condition?.kind === "stage" ? condition.stages : ["qualified"]);
  const [grades, setGrades] = useState<string[]>(condition?.kind === "score" ? condition.grades : ["A", "B"]);
  const [tag, setTag] = useState(condition?.kind === "tag" ? condition.tag : "");
  const [otherwise, setOtherwise] = useState<"skip" | "exit">(step?.otherwise ?? "skip");
  const [templateId, setTemplateId] = useState(step?.template_id ?? "");
  const [subject, setSubject] = useState(step?.subject ?? "");
  const [html, setHtml] = useState(step?.html ?? "");
  const save = useMutation({
    mutationFn: (body: SequenceStepIn) =>
      step
        ? unwrap(api.PUT("/api/email/sequences/{sequence_id}/steps/{step_id}", { params: { path: { sequence_id: sequenceId, step_id: step.step_id } }, body }))
        : unwrap(api.POST("/api/email/sequences/{sequence_id}/steps", { params: { path: { sequence_id: sequenceId } }, body })),
    onSuccess: onSaved,
  });
  const usesTemplate = templateId !== "";
  const incomplete =
    (!usesTemplate && (!subject.trim() || !html.trim())) ||
    ((choice === "tag" || choice === "tagNot") && !tag.trim()) ||
    ((choice === "stage" || choice === "stageNot") && stages.length === 0) ||
    (choice === "score" && grades.length === 0);
  const submit = () =>
    save.mutate({
      wait_minutes: toMinutes(amount, unit),
      condition: buildCondition(choice, stages, grades, tag),
      otherwise,
      template_id: templateId || null,
      subject: subject.trim() || null,
      html: html.trim() ? html : null,
    });
  const toggle = <T,>(list: T[], value: T, on: boolean) => (on ? [...list, value] : list.filter((v) => v !== value));
  return (
    <FormDialog
      open
      onClose={onClose}
      title={step ? t("sequences.steps.edit", { position: step.position }) : t("sequences.steps.add")}
      testId="step-dialog"
      form={{ onSubmit: submit, submitLabel: step ? t("common.save") : t("sequences.steps.add"), busy: save.isPending, disabled: incomplete, error: save.error }}
    >
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label={t("sequences.field.wait")}>
          {(p) => <Input {...p} type="number" min={0} value={amount} onChange={(e) => setAmount(Number(e.target.value))} />}
        </Field>
        <Field label={t("sequences.field.waitUnit")}>
          {(p) => (
            <NativeSelect {...p} value={unit} onChange={(e) => setUnit(e.target.value as WaitUnit)}>
              {(["minutes", "hours", "days"] as const).map((u) => (
                <option key={u} value={u}>
                  {t(`sequences.unitName.${u}`)}
                </option>
              ))}
            </NativeSelect>
          )}
        </Field>
      </div>
      <Field label={t("sequences.field.condition")}>
        {(p) => (
          <NativeSelect {...p} value={choice} onChange={(e) => setChoice(e.target.value as Choice)}>
            {CHOICES.map((c) => (
              <option key={c} value={c}>
                {t(`sequences.condition.${c}`)}
              </option>
            ))}
          </NativeSelect>
        )}
      </Field>
      {choice === "stage" || choice === "stageNot" ? (
        <fieldset className="space-y-2">
          <legend className="text-sm font-medium">{t("sequences.condition.stages")}</legend>
          <div className="flex flex-wrap gap-3">
            {STAGES.map((s) => (
              <label key={s} className="flex items-center gap-2 text-sm">
                <Checkbox checked={stages.includes(s)} onCheckedChange={(v) => setStages(toggle(stages, s, v === true))} />
                {t(`sequences.stage.${s}`)}
              </label>
            ))}
          </div>
        </fieldset>
      ) : null}
      {choice === "score" ? (
        <fieldset className="space-y-2">
          <legend className="text-sm font-medium">{t("sequences.condition.grades")}</legend>
          <div className="flex flex-wrap gap-3">
            {GRADES.map((g) => (
              <label key={g} className="flex items-center gap-2 text-sm">
                <Checkbox checked={grades.includes(g)} onCheckedChange={(v) => setGrades(toggle(grades, g as string, v === true))} />
                {g}
              </label>
            ))}
          </div>
        </fieldset>
      ) : null}
      {choice === "tag" || choice === "tagNot" ? (
        <Field label={t("sequences.condition.tagValue")}>{(p) => <Input {...p} value={tag} maxLength={60} onChange={(e) => setTag(e.target.value)} />}</Field>
      ) : null}
      {choice !== "none" ? (
        <Field label={t("sequences.field.otherwise")}>
          {(p) => (
            <NativeSelect {...p} value={otherwise} onChange={(e) => setOtherwise(e.target.value as "skip" | "exit")}>
              <option value="skip">{t("sequences.otherwise.skip")}</option>
              <option value="exit">{t("sequences.otherwise.exit")}</option>
            </NativeSelect>
          )}
        </Field>
      ) : null}
      <Field label={t("sequences.field.template")} optionalText={t("common.optional")}>
        {(p) => (
          <NativeSelect {...p} value={templateId} onChange={(e) => setTemplateId(e.target.value)}>
            <option value="">{t("sequences.field.noTemplate")}</option>
            {(templates.data ?? []).map((tpl) => (
              <option key={tpl.template_id} value={tpl.template_id}>
                {tpl.name}
              </option>
            ))}
          </NativeSelect>
        )}
      </Field>
      <Field label={t("sequences.field.subject")} hint={t("sequences.field.subjectHint")} optionalText={usesTemplate ? t("common.optional") : undefined}>
        {(p) => <Input {...p} value={subject} maxLength={300} onChange={(e) => setSubject(e.target.value)} />}
      </Field>
      <Field label={t("sequences.field.html")} hint={t("sequences.field.htmlHint")} optionalText={usesTemplate ? t("common.optional") : undefined}>
        {(p) => <Textarea {...p} rows={6} className="font-mono text-xs" value={html} onChange={(e) => setHtml(e.target.value)} />}
      </Field>
    </FormDialog>
  );
}
