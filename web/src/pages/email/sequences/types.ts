/** Shapes of the sequences API, derived from `paths`, and the editor's pure helpers. */
import type { paths } from "@/api/schema";
import type { TFunction } from "@/i18n";

type Json<T> = T extends { content: { "application/json": infer J } } ? J : never;
type ReqBody<T> = T extends { requestBody?: infer B } ? Json<NonNullable<B>> : never;

export type Sequence = Json<paths["/api/email/sequences"]["get"]["responses"][200]>[number];
export type SequenceIn = ReqBody<paths["/api/email/sequences"]["post"]>;
export type SequenceStep = NonNullable<Sequence["steps"]>[number];
export type SequenceStepIn = ReqBody<paths["/api/email/sequences/{sequence_id}/steps"]["post"]>;
export type SequenceReport = Json<paths["/api/email/sequences/{sequence_id}/report"]["get"]["responses"][200]>;
export type StepFigures = SequenceReport["steps"][number];
export type Enrollment = Json<paths["/api/email/sequences/{sequence_id}/enrollments"]["get"]["responses"][200]>["items"][number];
export type EnrollmentStatus = Enrollment["status"];
export type Trigger = SequenceIn["trigger"];
export type Stage = NonNullable<SequenceIn["trigger_stage"]>;
export type Reentry = NonNullable<SequenceIn["reentry"]>;
export type Condition = NonNullable<SequenceStepIn["condition"]>;

export const EMAIL_WRITE = "email:write";
export const TRIGGERS: Trigger[] = ["lead_created", "stage_changed", "deal_won", "pix_unpaid", "checkout_abandoned"];
export const REENTRY: Reentry[] = ["after_exit", "always", "never"];
export const STAGES: Stage[] = ["new", "qualified", "proposal", "negotiation", "won", "lost"];
export const GRADES = ["A", "B", "C", "D"] as const;
export const STATUS_VARIANT = { draft: "secondary", active: "success", paused: "outline" } as const;

export type WaitUnit = "minutes" | "hours" | "days";
const MINUTES: Record<WaitUnit, number> = { minutes: 1, hours: 60, days: 1440 };

/** A wait in minutes as the largest whole unit: 2880 → 2 days, 90 → 90 minutes. */
export function splitWait(minutes: number): { amount: number; unit: WaitUnit } {
  if (minutes > 0 && minutes % MINUTES.days === 0) return { amount: minutes / MINUTES.days, unit: "days" };
  if (minutes > 0 && minutes % MINUTES.hours === 0) return { amount: minutes / MINUTES.hours, unit: "hours" };
  return { amount: minutes, unit: "minutes" };
}

export function toMinutes(amount: number, unit: WaitUnit): number {
  return Math.max(0, Math.round(amount * MINUTES[unit]));
}

export function describeWait(minutes: number, t: TFunction): string {
  if (minutes <= 0) return t("sequences.step.waitNone");
  const { amount, unit } = splitWait(minutes);
  return t("sequences.step.wait", { amount: t(`sequences.unit.${unit}`, { count: amount }) });
}

export function describeTrigger(sequence: Pick<Sequence, "trigger" | "trigger_stage" | "trigger_minutes">, t: TFunction): string {
  if (sequence.trigger === "stage_changed") {
    return sequence.trigger_stage ? t("sequences.trigger.stage_changed", { stage: t(`sequences.stage.${sequence.trigger_stage}`) }) : t("sequences.trigger.stage_changed.any");
  }
  if (sequence.trigger === "pix_unpaid") return t("sequences.trigger.pix_unpaid", { minutes: sequence.trigger_minutes });
  return t(`sequences.trigger.${sequence.trigger}`);
}

/** The condition in words ("Only if the lead is in Qualified, Won"). */
export function describeCondition(condition: Condition | null | undefined, t: TFunction): string {
  if (!condition) return t("sequences.step.always");
  switch (condition.kind) {
    case "stage": {
      const stages = condition.stages.map((s) => t(`sequences.stage.${s}`)).join(", ");
      return t(condition.negate ? "sequences.condition.describe.stageNot" : "sequences.condition.describe.stage", { stages });
    }
    case "score":
      return t("sequences.condition.describe.score", { grades: condition.grades.join(", ") });
    case "tag":
      return t(condition.negate ? "sequences.condition.describe.tagNot" : "sequences.condition.describe.tag", { tag: condition.tag });
    case "previous_email":
      return t("sequences.condition.describe.previous", { event: t(`sequences.condition.${condition.event}`) });
  }
}
