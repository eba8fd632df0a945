import { useState } from "react";
import { Field } from "@/components/ui/field";
import { FormDialog } from "@/components/ui/form-dialog";
import { Input } from "@/components/ui/input";
import { Textarea } from "@/components/ui/textarea";
import { useI18n } from "@/i18n";
import { parseMoneyInput } from "./pipeline";
import { stageKey, toAmount } from "./shared";
import type { Stage, StageChange } from "./types";

/** A stage that asks for something before moving: the deal value (won) or the reason (lost). */
export function needsDetails(stage: Stage): stage is "won" | "lost" {
  return stage === "won" || stage === "lost";
}

/**
 * The small form shown before a move to won (deal value, required) or lost (reason,
 * optional). `onConfirm` receives the body of `POST /api/leads/{id}/stages`.
 */
export function StageDialog({
  stage,
  leadName,
  currentValue,
  onConfirm,
  onCancel,
  busy,
  error,
}: {
  stage: "won" | "lost" | null;
  leadName: string;
  currentValue?: string | null;
  onConfirm: (body: StageChange) => void;
  onCancel: () => void;
  busy?: boolean;
  error?: unknown;
}) {
  const { t, locale } = useI18n();
  const initial = toAmount(currentValue);
  const [value, setValue] = useState(initial === null ? "" : initial.toLocaleString(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }));
  const [reason, setReason] = useState("");
  const [invalid, setInvalid] = useState(false);

  const submit = () => {
    if (stage === "won") {
      const amount = parseMoneyInput(value);
      setInvalid(amount === null);
      if (amount === null) return;
      onConfirm({ stage_name: "won", stage_value: amount, probability: 100 });
    } else if (stage === "lost") {
      const r = reason.trim();
      onConfirm({ stage_name: "lost", reason: r === "" ? null : r, probability: 0 });
    }
  };

  const confirmLabel = stage ? t("crm.stageDialog.confirm", { stage: t(stageKey(stage)) }) : null;
  return (
    <FormDialog
      open={stage !== null}
      onClose={onCancel}
      title={stage ? t("crm.stageDialog.title", { stage: t(stageKey(stage)), name: leadName }) : ""}
      description={stage === "won" ? t("crm.stageDialog.wonDescription") : t("crm.stageDialog.lostDescription")}
      testId="stage-dialog"
      form={{ onSubmit: submit, noValidate: true, submitLabel: confirmLabel, busyLabel: confirmLabel, busy, error, submitTestId: "stage-dialog-submit" }}
    >
      {stage === "won" ? (
        <Field label={t("crm.stageDialog.value")} hint={t("crm.stageDialog.valueHint")} error={invalid ? t("crm.stageDialog.invalidValue") : undefined}>
          {(p) => <Input {...p} name="stage_value" inputMode="decimal" autoFocus value={value} onChange={(e) => setValue(e.target.value)} placeholder="1.500,00" />}
        </Field>
      ) : (
        <Field label={t("crm.stageDialog.reason")} optionalText={t("common.optional")}>
          {(p) => <Textarea {...p} name="reason" autoFocus rows={3} maxLength={2000} value={reason} onChange={(e) => setReason(e.target.value)} />}
        </Field>
      )}
    </FormDialog>
  );
}
