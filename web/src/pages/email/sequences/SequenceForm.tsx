import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "@/api/client";
import { Checkbox } from "@/components/ui/checkbox";
import { Field } from "@/components/ui/field";
import { FormDialog } from "@/components/ui/form-dialog";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { REENTRY, STAGES, TRIGGERS, type Reentry, type Sequence, type SequenceIn, type Stage, type Trigger } from "./types";

export const SEQUENCES_KEY = ["email", "sequences"] as const;

function initial(sequence?: Sequence): SequenceIn {
  return {
    name: sequence?.name ?? "",
    trigger: sequence?.trigger ?? "lead_created",
    trigger_stage: sequence?.trigger_stage ?? null,
    trigger_minutes: sequence?.trigger_minutes ?? 30,
    reentry: sequence?.reentry ?? "after_exit",
    exit_on_reply: sequence?.exit_on_reply ?? true,
    exit_stages: sequence?.exit_stages ?? ["won", "lost"],
    from_name: sequence?.from_name ?? "",
    from_address: sequence?.from_address ?? "",
    reply_to: sequence?.reply_to ?? null,
    sender_id: sequence?.sender_id ?? null,
  };
}

/** Creates a sequence (no `sequence`) or edits its trigger, exit rules and sender. */
export function SequenceFormDialog({ sequence, onClose, onSaved }: { sequence?: Sequence; onClose: () => void; onSaved: (saved: Sequence) => void }) {
  const { t } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const [draft, setDraft] = useState<SequenceIn>(() => initial(sequence));
  const set = (patch: Partial<SequenceIn>) => setDraft((d) => ({ ...d, ...patch }));
  const save = useMutation({
    mutationFn: (body: SequenceIn) =>
      sequence
        ? unwrap(api.PUT("/api/email/sequences/{sequence_id}", { params: { path: { sequence_id: sequence.sequence_id } }, body }))
        : unwrap(api.POST("/api/email/sequences", { body })),
    onSuccess: (saved) => {
      void qc.invalidateQueries({ queryKey: SEQUENCES_KEY });
      toast(t(sequence ? "sequences.saved" : "sequences.created"));
      onSaved(saved);
    },
  });
  const submit = () =>
    save.mutate({
      ...draft,
      trigger_stage: draft.trigger === "stage_changed" ? (draft.trigger_stage ?? "qualified") : null,
      trigger_minutes: draft.trigger === "pix_unpaid" ? draft.trigger_minutes : 0,
      reply_to: draft.reply_to || null,
    });
  const exitStages = draft.exit_stages ?? [];
  return (
    <FormDialog
      open
      onClose={onClose}
      title={sequence ? t("sequences.edit") : t("sequences.new")}
      testId="sequence-form"
      form={{
        onSubmit: submit,
        submitLabel: sequence ? t("common.save") : t("sequences.new"),
        busy: save.isPending,
        disabled: !draft.name.trim() || !draft.from_name.trim() || !draft.from_address.trim(),
        error: save.error,
      }}
    >
      <Field label={t("sequences.field.name")}>{(p) => <Input {...p} value={draft.name} maxLength={200} onChange={(e) => set({ name: e.target.value })} required />}</Field>
      <Field label={t("sequences.field.trigger")}>
        {(p) => (
          <NativeSelect {...p} value={draft.trigger} onChange={(e) => set({ trigger: e.target.value as Trigger })}>
            {TRIGGERS.map((trigger) => (
              <option key={trigger} value={trigger}>
                {t(trigger === "stage_changed" ? "sequences.trigger.stage_changed.any" : trigger === "pix_unpaid" ? "sequences.trigger.pix_unpaid.any" : `sequences.trigger.${trigger}`)}
              </option>
            ))}
          </NativeSelect>
        )}
      </Field>
      {draft.trigger === "stage_changed" ? (
        <Field label={t("sequences.field.stage")}>
          {(p) => (
            <NativeSelect {...p} value={draft.trigger_stage ?? "qualified"} onChange={(e) => set({ trigger_stage: e.target.value as Stage })}>
              {STAGES.map((stage) => (
                <option key={stage} value={stage}>
                  {t(`sequences.stage.${stage}`)}
                </option>
              ))}
            </NativeSelect>
          )}
        </Field>
      ) : null}
      {draft.trigger === "pix_unpaid" || draft.trigger === "checkout_abandoned" ? (
        <p className="text-sm text-muted-foreground" data-testid="recovery-fields">
          {t("sequences.recoveryFields")}
        </p>
      ) : null}
      {draft.trigger === "pix_unpaid" ? (
        <Field label={t("sequences.field.minutes")} hint={t("sequences.field.minutesHint")}>
          {(p) => <Input {...p} type="number" min={0} max={10080} value={draft.trigger_minutes ?? 0} onChange={(e) => set({ trigger_minutes: Number(e.target.value) })} />}
        </Field>
      ) : null}
      <Field label={t("sequences.field.reentry")}>
        {(p) => (
          <NativeSelect {...p} value={draft.reentry ?? "after_exit"} onChange={(e) => set({ reentry: e.target.value as Reentry })}>
            {REENTRY.map((reentry) => (
              <option key={reentry} value={reentry}>
                {t(`sequences.reentry.${reentry}`)}
              </option>
            ))}
          </NativeSelect>
        )}
      </Field>
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label={t("sequences.field.fromName")}>{(p) => <Input {...p} value={draft.from_name} maxLength={200} onChange={(e) => set({ from_name: e.target.value })} required />}</Field>
        <Field label={t("sequences.field.fromAddress")}>
          {(p) => <Input {...p} type="email" value={draft.from_address} maxLength={320} onChange={(e) => set({ from_address: e.target.value })} required />}
        </Field>
      </div>
      <Field label={t("sequences.field.replyTo")} optionalText={t("common.optional")}>
        {(p) => <Input {...p} type="email" value={draft.reply_to ?? ""} maxLength={320} onChange={(e) => set({ reply_to: e.target.value })} />}
      </Field>
      <label className="flex items-center gap-2 text-sm">
        <Checkbox checked={draft.exit_on_reply ?? true} onCheckedChange={(v) => set({ exit_on_reply: v === true })} />
        {t("sequences.field.exitOnReply")}
      </label>
      <fieldset className="space-y-2">
        <legend className="text-sm font-medium">{t("sequences.field.exitStages")}</legend>
        <div className="flex flex-wrap gap-3">
          {STAGES.map((stage) => (
            <label key={stage} className="flex items-center gap-2 text-sm">
              <Checkbox
                checked={exitStages.includes(stage)}
                onCheckedChange={(v) => set({ exit_stages: v === true ? [...exitStages, stage] : exitStages.filter((s) => s !== stage) })}
              />
              {t(`sequences.stage.${stage}`)}
            </label>
          ))}
        </div>
      </fieldset>
    </FormDialog>
  );
}
