import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { api, unwrap } from "@/api/client";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Checkbox } from "@/components/ui/checkbox";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { QueryStates } from "@/components/ui/query-states";
import { FormError } from "@/components/ui/states";
import { Textarea } from "@/components/ui/textarea";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { fieldErrors } from "@/lib/errors";
import type { RecoverySettings, RecoverySettingsIn } from "./types";

const settingsKey = (funnelId: string) => ["recovery", "settings", funnelId] as const;

function draftOf(s: RecoverySettings): RecoverySettingsIn {
  return {
    enabled: s.enabled,
    pix_delay_minutes: s.pix_delay_minutes,
    boleto_delay_minutes: s.boleto_delay_minutes,
    checkout_delay_minutes: s.checkout_delay_minutes,
    link_valid_hours: s.link_valid_hours,
    language: s.language,
    whatsapp_message: s.whatsapp_message ?? null,
    webhook_credential_id: s.webhook_credential_id ?? null,
  };
}

function Form({ funnelId, settings, canWrite }: { funnelId: string; settings: RecoverySettings; canWrite: boolean }) {
  const { t } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const [draft, setDraft] = useState<RecoverySettingsIn>(() => draftOf(settings));
  useEffect(() => setDraft(draftOf(settings)), [settings]);
  const webhooks = useQuery({
    queryKey: ["credentials", "webhook"],
    queryFn: () => unwrap(api.GET("/api/credentials", { params: { query: { service: "webhook", page: 1, page_size: 200 } } })),
  });
  const save = useMutation({
    mutationFn: (body: RecoverySettingsIn) => unwrap(api.PUT("/api/funnels/{funnel_id}/recovery/settings", { params: { path: { funnel_id: funnelId } }, body })),
    onSuccess: (saved) => {
      qc.setQueryData(settingsKey(funnelId), saved);
      toast(t("recovery.settings.saved"));
    },
  });
  const errors = fieldErrors(save.error);
  const number = (name: "pix_delay_minutes" | "boleto_delay_minutes" | "checkout_delay_minutes" | "link_valid_hours", label: string, min: number, max: number) => (
    <Field label={label} error={errors[name]}>
      {(p) => (
        <Input
          {...p}
          type="number"
          inputMode="numeric"
          min={min}
          max={max}
          value={draft[name] ?? ""}
          disabled={!canWrite}
          onChange={(e) => setDraft({ ...draft, [name]: e.target.value === "" ? undefined : Number(e.target.value) })}
          required
        />
      )}
    </Field>
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate({ ...draft, whatsapp_message: draft.whatsapp_message?.trim() || null });
  };
  return (
    <form onSubmit={submit} className="grid gap-4" data-testid="recovery-settings">
      {settings.is_default ? <p className="text-sm text-muted-foreground">{t("recovery.settings.default")}</p> : null}
      <label className="flex items-center gap-2 text-sm">
        <Checkbox checked={draft.enabled ?? true} disabled={!canWrite} onCheckedChange={(v) => setDraft({ ...draft, enabled: v === true })} />
        {t("recovery.settings.enabled")}
      </label>
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        {number("pix_delay_minutes", t("recovery.settings.pixDelay"), 5, 10080)}
        {number("boleto_delay_minutes", t("recovery.settings.boletoDelay"), 5, 20160)}
        {number("checkout_delay_minutes", t("recovery.settings.checkoutDelay"), 5, 10080)}
        {number("link_valid_hours", t("recovery.settings.linkHours"), 1, 720)}
      </div>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label={t("recovery.settings.language")}>
          {(p) => (
            <NativeSelect {...p} value={draft.language ?? "pt-BR"} disabled={!canWrite} onChange={(e) => setDraft({ ...draft, language: e.target.value as RecoverySettingsIn["language"] })}>
              <option value="pt-BR">{t("recovery.settings.languagePt")}</option>
              <option value="en">{t("recovery.settings.languageEn")}</option>
            </NativeSelect>
          )}
        </Field>
        <Field label={t("recovery.settings.webhook")} hint={t("recovery.settings.webhookHint")} error={errors.webhook_credential_id}>
          {(p) => (
            <NativeSelect {...p} value={draft.webhook_credential_id ?? ""} disabled={!canWrite} onChange={(e) => setDraft({ ...draft, webhook_credential_id: e.target.value || null })}>
              <option value="">{t("recovery.settings.noWebhook")}</option>
              {(webhooks.data?.items ?? []).map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </NativeSelect>
          )}
        </Field>
      </div>
      <Field label={t("recovery.settings.message")} hint={t("recovery.settings.messageHint")} error={errors.whatsapp_message} optionalText={t("common.optional")}>
        {(p) => <Textarea {...p} rows={3} maxLength={1000} value={draft.whatsapp_message ?? ""} disabled={!canWrite} onChange={(e) => setDraft({ ...draft, whatsapp_message: e.target.value })} />}
      </Field>
      {save.error && Object.keys(errors).length === 0 ? <FormError error={save.error} /> : null}
      {canWrite ? (
        <div>
          <Button type="submit" disabled={save.isPending} data-testid="recovery-settings-save">
            {t("common.save")}
          </Button>
        </div>
      ) : null}
    </form>
  );
}

/** The funnel's recovery settings (the defaults until saved). */
export function RecoverySettingsForm({ funnelId, canWrite }: { funnelId: string; canWrite: boolean }) {
  const { t } = useI18n();
  const query = useQuery({
    queryKey: settingsKey(funnelId),
    queryFn: () => unwrap(api.GET("/api/funnels/{funnel_id}/recovery/settings", { params: { path: { funnel_id: funnelId } } })),
  });
  return (
    <Card>
      <CardHeader>
        <CardTitle className="text-base">{t("recovery.settings.title")}</CardTitle>
        <CardDescription>{t("recovery.settings.webhookHint")}</CardDescription>
      </CardHeader>
      <CardContent>
        <QueryStates query={query}>{(settings) => <Form funnelId={funnelId} settings={settings} canWrite={canWrite} />}</QueryStates>
      </CardContent>
    </Card>
  );
}
