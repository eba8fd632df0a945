import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { useI18n, type MessageKey, type TFunction } from "@/i18n";
import { useCampaigns } from "./queries";
import type { Audience, AudienceCreate } from "./types";

type Filter = NonNullable<AudienceCreate["filter"]>;
type Grade = NonNullable<Filter["lead_grades"]>[number];
type Engagement = NonNullable<Filter["email_engagement"]>;

export const LEAD_STAGES = ["new", "qualified", "proposal", "negotiation", "won", "lost"] as const;
export const LEAD_GRADES: readonly Grade[] = ["A", "B", "C", "D"];

/** The CRM and e-mail conditions of a saved filter, as the form holds them. */
export interface CriteriaDraft {
  stage: string;
  grades: Grade[];
  sources: string;
  campaigns: string;
  emailCampaignId: string;
  engagement: Engagement;
  activeWithin: string;
  inactive: string;
}

export const EMPTY_CRITERIA: CriteriaDraft = { stage: "", grades: [], sources: "", campaigns: "", emailCampaignId: "", engagement: "received", activeWithin: "", inactive: "" };

function list(text: string): string[] {
  return [...new Set(text.split(",").map((s) => s.trim()).filter(Boolean))];
}

function days(text: string): number | null {
  const n = Number.parseInt(text, 10);
  return Number.isFinite(n) && n > 0 ? n : null;
}

/** The draft as the API's filter fields (empty conditions left out). */
export function criteriaFilter(d: CriteriaDraft): Partial<Filter> & { email_engagement: Engagement } {
  return {
    email_engagement: d.engagement,
    ...(d.stage ? { lead_stages: [d.stage] } : {}),
    ...(d.grades.length ? { lead_grades: d.grades } : {}),
    ...(list(d.sources).length ? { lead_sources: list(d.sources) } : {}),
    ...(list(d.campaigns).length ? { lead_campaigns: list(d.campaigns) } : {}),
    ...(d.emailCampaignId ? { email_campaign_ids: [d.emailCampaignId] } : {}),
    ...(days(d.activeWithin) ? { active_within_days: days(d.activeWithin) } : {}),
    ...(days(d.inactive) ? { inactive_days: days(d.inactive) } : {}),
  };
}

/** The CRM and e-mail conditions of a saved filter in words. */
export function describeCriteria(filter: Audience["filter"], t: TFunction, campaignName: (id: string) => string = (id) => id): string[] {
  const f = filter as Partial<Filter>;
  const parts: string[] = [];
  if (f.lead_stages?.length) parts.push(t("email.audience.rule.stage", { stages: f.lead_stages.map((s) => t(`crm.stage.${s}` as MessageKey)).join(", ") }));
  if (f.lead_grades?.length) parts.push(t("email.audience.rule.grade", { grades: f.lead_grades.join(", ") }));
  if (f.lead_sources?.length) parts.push(t("email.audience.rule.source", { sources: f.lead_sources.join(", ") }));
  if (f.lead_campaigns?.length) parts.push(t("email.audience.rule.campaign", { campaigns: f.lead_campaigns.join(", ") }));
  if (f.email_campaign_ids?.length)
    parts.push(t(`email.audience.rule.email.${f.email_engagement ?? "received"}` as MessageKey, { campaigns: f.email_campaign_ids.map(campaignName).join(", ") }));
  if (f.active_within_days) parts.push(t("email.audience.rule.active", { days: f.active_within_days }));
  if (f.inactive_days) parts.push(t("email.audience.rule.inactive", { days: f.inactive_days }));
  return parts;
}

/** Form fields for the lead (stage, score, source, campaign), e-mail and activity conditions. */
export function CriteriaFields({ draft, onChange }: { draft: CriteriaDraft; onChange: (d: CriteriaDraft) => void }) {
  const { t } = useI18n();
  const campaigns = useCampaigns();
  const set = (patch: Partial<CriteriaDraft>) => onChange({ ...draft, ...patch });
  return (
    <>
      <Field label={t("email.audience.leadStage")} optionalText={t("common.optional")}>
        {(p) => (
          <NativeSelect {...p} value={draft.stage} onChange={(e) => set({ stage: e.target.value })} data-testid="audience-stage">
            <option value="">{t("email.audience.anyStage")}</option>
            {LEAD_STAGES.map((s) => (
              <option key={s} value={s}>
                {t(`crm.stage.${s}` as MessageKey)}
              </option>
            ))}
          </NativeSelect>
        )}
      </Field>
      <fieldset className="grid gap-1.5">
        <legend className="text-sm font-medium">{t("email.audience.leadGrades")}</legend>
        <div className="flex flex-wrap gap-3">
          {LEAD_GRADES.map((g) => (
            <label key={g} className="flex items-center gap-1.5 text-sm">
              <input
                type="checkbox"
                checked={draft.grades.includes(g)}
                onChange={(e) => set({ grades: e.target.checked ? [...draft.grades, g] : draft.grades.filter((x) => x !== g) })}
                data-testid={`audience-grade-${g}`}
              />
              {g}
            </label>
          ))}
        </div>
      </fieldset>
      <Field label={t("email.audience.leadSources")} hint={t("email.audience.tagsHint")} optionalText={t("common.optional")}>
        {(p) => <Input {...p} value={draft.sources} onChange={(e) => set({ sources: e.target.value })} data-testid="audience-sources" />}
      </Field>
      <Field label={t("email.audience.leadCampaigns")} hint={t("email.audience.tagsHint")} optionalText={t("common.optional")}>
        {(p) => <Input {...p} value={draft.campaigns} onChange={(e) => set({ campaigns: e.target.value })} />}
      </Field>
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label={t("email.audience.emailCampaign")} optionalText={t("common.optional")}>
          {(p) => (
            <NativeSelect {...p} value={draft.emailCampaignId} onChange={(e) => set({ emailCampaignId: e.target.value })} data-testid="audience-email-campaign">
              <option value="">{t("email.audience.anyCampaign")}</option>
              {(campaigns.data ?? []).map((c) => (
                <option key={c.campaign_id} value={c.campaign_id}>
                  {c.name}
                </option>
              ))}
            </NativeSelect>
          )}
        </Field>
        <Field label={t("email.audience.engagement")}>
          {(p) => (
            <NativeSelect {...p} value={draft.engagement} disabled={!draft.emailCampaignId} onChange={(e) => set({ engagement: e.target.value as Engagement })} data-testid="audience-engagement">
              {(["received", "opened", "clicked"] as const).map((e) => (
                <option key={e} value={e}>
                  {t(`email.audience.engagement.${e}`)}
                </option>
              ))}
            </NativeSelect>
          )}
        </Field>
      </div>
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label={t("email.audience.activeWithin")} hint={t("email.audience.activityHint")} optionalText={t("common.optional")}>
          {(p) => <Input {...p} type="number" min={1} max={3650} inputMode="numeric" value={draft.activeWithin} onChange={(e) => set({ activeWithin: e.target.value })} data-testid="audience-active" />}
        </Field>
        <Field label={t("email.audience.inactiveFor")} hint={t("email.audience.activityHint")} optionalText={t("common.optional")}>
          {(p) => <Input {...p} type="number" min={1} max={3650} inputMode="numeric" value={draft.inactive} onChange={(e) => set({ inactive: e.target.value })} data-testid="audience-inactive" />}
        </Field>
      </div>
    </>
  );
}
