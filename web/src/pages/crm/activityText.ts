/**
 * A timeline entry in the viewer's language, from its type and data (the stored `summary`
 * is English for API clients and is never shown): stage and field names translated,
 * collected names kept as they are.
 */
import { hasKey, type MessageKey, type TFunction } from "@/i18n";
import { stageKey } from "./shared";
import type { Activity } from "./types";

type Data = Record<string, unknown>;

const text = (v: unknown): string => (typeof v === "string" ? v : v === null || v === undefined ? "" : String(v));

function stage(t: TFunction, v: unknown): string {
  const s = text(v);
  return s && hasKey(stageKey(s)) ? t(stageKey(s)) : s;
}

/** The translated names of the fields a change touched. */
export function fieldNames(t: TFunction, changes: unknown): string {
  if (!changes || typeof changes !== "object") return "";
  return Object.keys(changes)
    .sort()
    .map((name) => {
      const key = `crm.field.${name}`;
      return hasKey(key) ? t(key) : name;
    })
    .join(", ");
}

/** The entry's type as a short label. */
export function activityLabel(t: TFunction, type: string): string {
  const key = `crm.activityType.${type}`;
  return hasKey(key) ? t(key) : t("crm.activityType.other");
}

/** Who did it: a member's e-mail as it is, the system and API keys named. */
export function actorLabel(t: TFunction, actor: string): string {
  if (actor === "system") return t("crm.actor.system");
  if (actor.startsWith("api_key:")) return t("crm.actor.apiKey", { name: actor.slice(8) });
  if (actor.startsWith("webhook:")) return t("crm.actor.webhook", { name: actor.slice(8) });
  return actor;
}

/** The entry's sentence. */
export function activityText(t: TFunction, a: Pick<Activity, "activity_type" | "data">): string {
  const d = (a.data ?? {}) as Data;
  const vars: Record<string, string> = {
    name: text(d.name),
    title: text(d.title),
    from: stage(t, d.from),
    to: stage(t, d.to),
    stage: stage(t, d.stage),
    fields: fieldNames(t, d.changes),
    integration: text(d.integration),
    error: text(d.error),
    where: text(d.where),
    provider: text(d.provider),
    theirStage: text(d.their_stage),
  };
  const type = a.activity_type;
  // A variant without the name when an older entry lacks it.
  const withName = (key: string) => (vars.name || vars.title ? key : `${key}.anonymous`);
  const keys: Record<string, string> = {
    lead_created: vars.where ? "crm.activity.lead_created" : "crm.activity.lead_created.anonymous",
    stage_changed: "crm.activity.stage_changed",
    lead_updated: "crm.activity.lead_updated",
    contact_created: withName("crm.activity.contact_created"),
    contact_updated: "crm.activity.contact_updated",
    deal_created: withName("crm.activity.deal_created"),
    deal_updated: withName("crm.activity.deal_updated"),
    deal_stage_changed: withName("crm.activity.deal_stage_changed"),
    deal_deleted: withName("crm.activity.deal_deleted"),
    note_added: "crm.activity.note_added",
    note_deleted: "crm.activity.note_deleted",
    task_created: withName("crm.activity.task_created"),
    task_updated: withName("crm.activity.task_updated"),
    task_done: withName("crm.activity.task_done"),
    task_reopened: withName("crm.activity.task_reopened"),
    task_deleted: withName("crm.activity.task_deleted"),
    integration_sent: "crm.activity.integration_sent",
    integration_failed: vars.error ? "crm.activity.integration_failed" : "crm.activity.integration_failed.anonymous",
    webhook_received: vars.stage ? "crm.activity.webhook_received" : "crm.activity.webhook_received.anonymous",
  };
  const key = keys[type];
  return key && hasKey(key) ? t(key as MessageKey, vars) : t("crm.activity.other");
}
