/** The conversion settings form's state and its conversion to and from the API body. */
import { ACTION_FIELDS, AD_PLATFORMS, type ActionSource, type AdPlatform, type ConversionSettingsIn, type ConversionSettingsOut, type PlatformAction } from "./types";

export interface ActionRow {
  event_name: string;
  action_id: string;
  action_source: ActionSource | "";
  window_days: string;
}

export interface ActionMapping {
  /** A stable key for React while the name is edited. */
  key: number;
  name: string;
  platforms: Record<AdPlatform, ActionRow>;
}

export interface SettingsForm {
  wonName: string;
  /** Days per platform as typed; empty = the default window. */
  windows: Record<AdPlatform, string>;
  actions: ActionMapping[];
}

let nextKey = 1;

const emptyRow = (): ActionRow => ({ event_name: "", action_id: "", action_source: "", window_days: "" });

export function emptyMapping(name = ""): ActionMapping {
  return { key: nextKey++, name, platforms: Object.fromEntries(AD_PLATFORMS.map((p) => [p, emptyRow()])) as Record<AdPlatform, ActionRow> };
}

export function formFromSettings(s: ConversionSettingsOut): SettingsForm {
  const windows = Object.fromEntries(
    AD_PLATFORMS.map((p) => {
      const days = s.windows?.[p];
      return [p, days !== undefined ? String(days) : ""];
    }),
  ) as Record<AdPlatform, string>;
  const actions = Object.entries(s.actions ?? {}).map(([name, byPlatform]) => {
    const mapping = emptyMapping(name);
    for (const p of AD_PLATFORMS) {
      const a = byPlatform[p];
      if (!a) continue;
      mapping.platforms[p] = {
        event_name: a.event_name ?? "",
        action_id: a.action_id ?? "",
        action_source: a.action_source ?? "",
        window_days: a.window_days != null ? String(a.window_days) : "",
      };
    }
    return mapping;
  });
  return { wonName: s.won_conversion_name, windows, actions };
}

/** Days as typed (the inputs' own min/max/step keep them whole numbers from 1 to 365). */
function days(value: string): number {
  return Number(value.trim());
}

/**
 * The PUT body: blank windows and fields are left out (the server's defaults apply), a
 * platform only gets the fields it reads, a conversion name without any field is dropped.
 */
export function settingsFromForm(form: SettingsForm): ConversionSettingsIn {
  const windows: Record<string, number> = {};
  for (const p of AD_PLATFORMS) if (form.windows[p].trim()) windows[p] = days(form.windows[p]);
  const actions: Record<string, Record<string, PlatformAction>> = {};
  for (const mapping of form.actions) {
    const name = mapping.name.trim();
    if (!name) continue;
    const byPlatform: Record<string, PlatformAction> = {};
    for (const p of AD_PLATFORMS) {
      const row = mapping.platforms[p];
      let action: PlatformAction = {};
      for (const field of ACTION_FIELDS[p]) {
        const v = row[field].trim();
        if (v) action = { ...action, [field]: v };
      }
      if (row.window_days.trim()) action.window_days = days(row.window_days);
      if (Object.keys(action).length) byPlatform[p] = action;
    }
    if (Object.keys(byPlatform).length) actions[name] = byPlatform;
  }
  return { won_conversion_name: form.wonName.trim(), windows, actions };
}
