import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { api, unwrap } from "@/api/client";
import { PERM } from "@/auth/permissions";
import { useCurrentUser } from "@/auth/session";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Checkbox } from "@/components/ui/checkbox";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { QueryStates } from "@/components/ui/query-states";
import { FormError } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast";
import { useI18n, type MessageKey } from "@/i18n";
import type { paths } from "@/api/schema";

type Json<T> = T extends { content: { "application/json": infer J } } ? J : never;
type ReqBody<T> = T extends { requestBody?: infer B } ? Json<NonNullable<B>> : never;
type LeadRules = Json<paths["/api/crm/settings"]["get"]["responses"][200]>;
type Sample = NonNullable<ReqBody<paths["/api/crm/settings/score-preview"]["post"]>["sample"]>;
type Preview = Json<paths["/api/crm/settings/score-preview"]["post"]["responses"][200]>;
type Rules = Record<string, Record<string, number>>;

const PARTS = ["thresholds", "weights", "demographic", "behavioral", "firmographic"] as const;
const SAMPLE_FLAGS = ["has_name", "has_email", "has_phone", "business_email", "disposable_email", "has_company", "has_message", "returning", "paid_click"] as const;
const SAMPLE_NUMBERS = ["page_views", "events", "seconds_on_site"] as const;

/** Only the values that differ from the defaults: what is stored as the organization's overrides. */
export function overrides(effective: Rules, defaults: Rules): Rules {
  const out: Rules = {};
  for (const [part, values] of Object.entries(effective)) {
    for (const [key, value] of Object.entries(values)) {
      if (defaults[part]?.[key] !== value) (out[part] ??= {})[key] = value;
    }
  }
  return out;
}

function ScorePreviewCard({ rules }: { rules: Rules }) {
  const { t } = useI18n();
  const [sample, setSample] = useState<Sample>({
    has_name: true,
    has_email: true,
    has_phone: true,
    business_email: false,
    disposable_email: false,
    has_company: false,
    has_message: false,
    page_views: 3,
    events: 2,
    seconds_on_site: 120,
    returning: false,
    paid_click: false,
  });
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const id = setTimeout(() => {
      unwrap(api.POST("/api/crm/settings/score-preview", { body: { scoring_rules: rules, sample } }))
        .then((p) => {
          setPreview(p);
          setError(null);
        })
        .catch(setError);
    }, 250);
    return () => clearTimeout(id);
  }, [rules, sample]);
  return (
    <div className="grid gap-3 rounded-md border p-3" data-testid="score-preview">
      <p className="text-sm font-medium">{t("leadRules.preview.title")}</p>
      <div className="grid gap-2 sm:grid-cols-3">
        {SAMPLE_FLAGS.map((flag) => (
          <label key={flag} className="flex items-center gap-2 text-sm">
            <Checkbox checked={Boolean(sample[flag])} onCheckedChange={(v) => setSample((s) => ({ ...s, [flag]: v === true }))} />
            {t(`leadRules.sample.${flag}` as MessageKey)}
          </label>
        ))}
        {SAMPLE_NUMBERS.map((n) => (
          <div key={n} className="grid gap-1">
            <Label htmlFor={`sample-${n}`}>{t(`leadRules.sample.${n}` as MessageKey)}</Label>
            <Input id={`sample-${n}`} type="number" min={0} value={sample[n] ?? 0} onChange={(e) => setSample((s) => ({ ...s, [n]: Math.max(0, Number(e.target.value) || 0) }))} />
          </div>
        ))}
      </div>
      <FormError error={error} />
      {preview ? (
        <p className="text-sm" data-testid="score-preview-result">
          {t("leadRules.preview.result", { grade: preview.grade, total: preview.total, demographic: preview.demographic, behavioral: preview.behavioral, firmographic: preview.firmographic })}
        </p>
      ) : null}
    </div>
  );
}

function LeadRulesForm({ saved, canWrite }: { saved: LeadRules; canWrite: boolean }) {
  const { t } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const [country, setCountry] = useState(saved.default_country);
  const [credit, setCredit] = useState(saved.attribution_credit);
  const [rules, setRules] = useState<Rules>(saved.effective_scoring_rules as Rules);
  const base = saved.default_scoring_rules as Rules;
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PUT("/api/crm/settings", {
          body: { default_country: country.trim().toUpperCase(), attribution_credit: credit, scoring_rules: overrides(rules, base) },
        }),
      ),
    onSuccess: () => {
      toast(t("common.saved"));
      void qc.invalidateQueries({ queryKey: ["crm", "settings"] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit} className="grid gap-5" data-testid="lead-rules-form">
      <fieldset disabled={!canWrite || save.isPending} className="contents">
        <div className="grid max-w-xs gap-1.5">
          <Label htmlFor="rules-country">{t("leadRules.country")}</Label>
          <Input id="rules-country" value={country} onChange={(e) => setCountry(e.target.value)} maxLength={2} required />
          <p className="text-xs text-muted-foreground">{t("leadRules.countryHint")}</p>
        </div>
        <div className="grid gap-2" role="radiogroup" aria-label={t("leadRules.credit")}>
          <span className="text-sm font-medium">{t("leadRules.credit")}</span>
          {(["first_touch", "last_touch"] as const).map((c) => (
            <label key={c} className="flex items-start gap-2 text-sm">
              <input type="radio" name="credit" value={c} checked={credit === c} onChange={() => setCredit(c)} className="mt-1" />
              <span>
                <span className="font-medium">{t(`leadRules.credit.${c}`)}</span> — {t(`leadRules.credit.${c}.hint`)}
              </span>
            </label>
          ))}
        </div>
        <div className="grid gap-3">
          <span className="text-sm font-medium">{t("leadRules.scoring")}</span>
          {PARTS.map((part) => (
            <fieldset key={part} className="grid gap-2 rounded-md border p-3">
              <legend className="px-1 text-sm font-medium">{t(`leadRules.part.${part}` as MessageKey)}</legend>
              <div className="grid gap-2 sm:grid-cols-3">
                {Object.entries(rules[part] ?? {}).map(([key, value]) => (
                  <div key={key} className="grid gap-1">
                    <Label htmlFor={`rule-${part}-${key}`}>{t(`leadRules.rule.${part}.${key}` as MessageKey)}</Label>
                    <Input id={`rule-${part}-${key}`} type="number" step="any" value={value} onChange={(e) => setRules((r) => ({ ...r, [part]: { ...r[part], [key]: Number(e.target.value) } }))} />
                  </div>
                ))}
              </div>
            </fieldset>
          ))}
        </div>
        <ScorePreviewCard rules={overrides(rules, base)} />
        {canWrite ? (
          <div className="grid gap-2">
            <FormError error={save.error} />
            <Button type="submit" className="justify-self-start" data-testid="lead-rules-save">
              {save.isPending ? t("common.saving") : t("common.save")}
            </Button>
          </div>
        ) : null}
      </fieldset>
    </form>
  );
}

/** The lead rules: phone country, which touch is credited, the scoring rules with a live preview. */
export default function LeadRulesSection() {
  const { t } = useI18n();
  const me = useCurrentUser();
  const rules = useQuery({ queryKey: ["crm", "settings"], queryFn: () => unwrap(api.GET("/api/crm/settings")) });
  return (
    <Card>
      <CardHeader>
        <CardTitle>{t("leadRules.title")}</CardTitle>
        <CardDescription>{t("leadRules.description")}</CardDescription>
      </CardHeader>
      <CardContent>
        <QueryStates query={rules}>{(data) => <LeadRulesForm key={JSON.stringify(data)} saved={data} canWrite={me.permissions.includes(PERM.crmAdmin)} />}</QueryStates>
      </CardContent>
    </Card>
  );
}
