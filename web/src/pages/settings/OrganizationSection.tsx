import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState, type FormEvent } from "react";
import { api, unwrap } from "@/api/client";
import { useCurrentUser } from "@/auth/session";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { QueryStates } from "@/components/ui/query-states";
import { FormError } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast";
import { LOCALES, useI18n, type Locale } from "@/i18n";
import { fieldErrors } from "@/lib/errors";
import { formatDateTime, formatMoney } from "@/lib/format";
import type { paths } from "@/api/schema";

type Json<T> = T extends { content: { "application/json": infer J } } ? J : never;
type Organization = Json<paths["/api/organization"]["get"]["responses"][200]>;

const COMMON_CURRENCIES = ["BRL", "USD", "EUR", "ARS", "MXN", "COP", "CLP", "PEN", "UYU", "PYG", "GBP"];

/** Every IANA time zone the browser knows (the usual Brazilian ones first). */
export function timeZones(): string[] {
  const first = ["America/Sao_Paulo", "America/Manaus", "America/Fortaleza", "America/Recife", "America/Belem", "America/Cuiaba", "America/Rio_Branco", "America/Noronha"];
  const all = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return [...first, ...all.filter((z) => !first.includes(z))];
}

function OrganizationForm({ org, canWrite }: { org: Organization; canWrite: boolean }) {
  const { t, locale } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const [draft, setDraft] = useState({ name: org.name, timezone: org.timezone, currency: org.currency, locale: org.locale as Locale, country: org.country });
  const zones = useMemo(() => timeZones(), []);
  const save = useMutation({
    mutationFn: () => unwrap(api.PATCH("/api/organization", { body: { ...draft, name: draft.name.trim(), currency: draft.currency.toUpperCase(), country: draft.country.toUpperCase() } })),
    onSuccess: () => {
      toast(t("common.saved"));
      void qc.invalidateQueries();
    },
  });
  const fe = fieldErrors(save.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  const set = (key: keyof typeof draft) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [key]: e.target.value }));
  return (
    <form onSubmit={submit} className="grid max-w-lg gap-4" data-testid="organization-form">
      <fieldset disabled={!canWrite || save.isPending} className="contents">
        <Field label={t("org.name")} error={fe.name}>
          {(p) => <Input {...p} value={draft.name} onChange={set("name")} required maxLength={200} />}
        </Field>
        <Field label={t("org.timezone")} error={fe.timezone} hint={t("org.timezoneHint", { now: formatDateTime(new Date(), locale, draft.timezone) })}>
          {(p) => (
            <NativeSelect {...p} value={draft.timezone} onChange={set("timezone")}>
              {(zones.includes(draft.timezone) ? zones : [draft.timezone, ...zones]).map((z) => (
                <option key={z} value={z}>
                  {z.replace(/_/g, " ")}
                </option>
              ))}
            </NativeSelect>
          )}
        </Field>
        <Field label={t("org.currency")} error={fe.currency} hint={t("org.currencyHint", { sample: formatMoney(1234.5, locale, draft.currency) })}>
          {(p) => (
            <NativeSelect {...p} value={draft.currency} onChange={set("currency")}>
              {(COMMON_CURRENCIES.includes(draft.currency) ? COMMON_CURRENCIES : [draft.currency, ...COMMON_CURRENCIES]).map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </NativeSelect>
          )}
        </Field>
        <Field label={t("org.locale")} error={fe.locale}>
          {(p) => (
            <NativeSelect {...p} value={draft.locale} onChange={set("locale")}>
              {LOCALES.map((l) => (
                <option key={l} value={l}>
                  {t(`locale.${l}`)}
                </option>
              ))}
            </NativeSelect>
          )}
        </Field>
        <Field label={t("org.country")} error={fe.country}>
          {(p) => <Input {...p} value={draft.country} onChange={set("country")} maxLength={2} pattern="[A-Za-z]{2}" />}
        </Field>
        {canWrite ? (
          <div className="grid gap-2">
            <FormError error={save.error} />
            <Button type="submit" className="justify-self-start" data-testid="organization-save">
              {save.isPending ? t("common.saving") : t("common.save")}
            </Button>
          </div>
        ) : (
          <p className="text-sm text-muted-foreground">{t("org.readOnly")}</p>
        )}
      </fieldset>
    </form>
  );
}

/** The organization: name, time zone (the reports' days), currency (revenue and spend), language, country. */
export default function OrganizationSection() {
  const { t } = useI18n();
  const me = useCurrentUser();
  const org = useQuery({ queryKey: ["organization"], queryFn: () => unwrap(api.GET("/api/organization")) });
  return (
    <Card>
      <CardHeader>
        <CardTitle>{t("org.title")}</CardTitle>
        <CardDescription>{t("org.description")}</CardDescription>
      </CardHeader>
      <CardContent>
        <QueryStates query={org}>{(data) => <OrganizationForm key={`${data.id}-${data.name}-${data.timezone}-${data.currency}-${data.locale}-${data.country}`} org={data} canWrite={me.permissions.includes("organization:write")} />}</QueryStates>
      </CardContent>
    </Card>
  );
}
