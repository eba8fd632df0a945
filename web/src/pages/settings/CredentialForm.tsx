import { useState, type FormEvent } from "react";
import type { Credential, CredentialCreate, CredentialService, CredentialUpdate } from "@/api/types";
import { Checkbox } from "@/components/ui/checkbox";
import { Field } from "@/components/ui/field";
import { FormActions } from "@/components/ui/form-dialog";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { useI18n } from "@/i18n";
import { fieldErrors } from "@/lib/errors";
import { serviceLabel, settingLabel } from "./serviceLabels";

function settingsToStrings(settings: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(settings ?? {})) out[k] = v === null || v === undefined ? "" : String(v);
  return out;
}

/**
 * Create or edit a credential. Secrets are write-only: the API key and secret inputs
 * start empty (the masked value is only a placeholder) and an empty input on edit is
 * not sent, which the server reads as "keep the current value".
 */
export function CredentialForm({
  services,
  credential,
  onSubmit,
  onCancel,
  error,
  busy,
}: {
  services: CredentialService[];
  credential?: Credential;
  onSubmit: (body: CredentialCreate | CredentialUpdate) => void;
  onCancel: () => void;
  error?: unknown;
  busy?: boolean;
}) {
  const { t } = useI18n();
  const editing = credential !== undefined;
  const [name, setName] = useState(credential?.name ?? "");
  const [service, setService] = useState(credential?.service ?? "");
  const [apiKey, setApiKey] = useState("");
  const [apiSecret, setApiSecret] = useState("");
  const [apiUrl, setApiUrl] = useState(credential?.api_url ?? "");
  const [isActive, setIsActive] = useState(credential?.is_active ?? true);
  // Secret settings are write-only like the key: they start empty (the masked value is the
  // placeholder) and an empty one is not sent, which keeps the stored value.
  const secretFields = new Set(services.find((s) => s.service === credential?.service)?.settings_fields.filter((f) => f.secret).map((f) => f.name));
  const [settings, setSettings] = useState<Record<string, string>>(() => {
    const shown = settingsToStrings(credential?.settings as Record<string, unknown> | undefined);
    for (const name of secretFields) delete shown[name];
    return shown;
  });

  const def = services.find((s) => s.service === service);
  const fe = fieldErrors(error);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const cleanSettings: Record<string, string> = {};
    for (const f of def?.settings_fields ?? []) {
      const v = (settings[f.name] ?? "").trim();
      if (v !== "") cleanSettings[f.name] = v;
    }
    if (editing) {
      const body: CredentialUpdate = {
        name: name.trim(),
        api_url: apiUrl.trim() === "" ? null : apiUrl.trim(),
        settings: cleanSettings,
        is_active: isActive,
      };
      if (apiKey !== "") body.api_key = apiKey;
      if (apiSecret !== "") body.api_secret = apiSecret;
      onSubmit(body);
    } else {
      const body: CredentialCreate = {
        name: name.trim(),
        service,
        api_key: apiKey,
        settings: cleanSettings,
        is_active: isActive,
      };
      if (apiSecret !== "") body.api_secret = apiSecret;
      if (apiUrl.trim() !== "") body.api_url = apiUrl.trim();
      onSubmit(body);
    }
  };

  const missingRequired =
    !name.trim() ||
    !service ||
    (!editing && apiKey === "") ||
    (!editing && def?.needs_secret && apiSecret === "") ||
    (def?.settings_fields ?? []).some((f) => f.required && !(f.secret && editing) && !(settings[f.name] ?? "").trim());

  return (
    <form onSubmit={submit} className="grid gap-4" aria-label={editing ? t("credentials.editTitle", { name: credential.name }) : t("credentials.addTitle")}>
      <Field label={t("credentials.service")} error={fe.service}>
        {(p) =>
          editing ? (
            <Input {...p} value={serviceLabel(t, service, def?.label)} readOnly disabled />
          ) : (
            <Select value={service} onValueChange={setService}>
              <SelectTrigger id={p.id} aria-describedby={p["aria-describedby"]} data-testid="credential-service">
                <SelectValue placeholder={t("credentials.chooseService")} />
              </SelectTrigger>
              <SelectContent>
                {services.map((s) => (
                  <SelectItem key={s.service} value={s.service}>
                    {serviceLabel(t, s.service, s.label)}
                  </SelectItem>
                ))}
              </SelectContent>
            </Select>
          )
        }
      </Field>
      <Field label={t("credentials.name")} error={fe.name}>
        {(p) => <Input {...p} name="name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />}
      </Field>
      <Field label={t("credentials.apiKey")} error={fe.api_key} hint={editing ? t("credentials.keepSecret") : undefined}>
        {(p) => (
          <Input
            {...p}
            name="api_key"
            type="password"
            autoComplete="off"
            value={apiKey}
            onChange={(e) => setApiKey(e.target.value)}
            placeholder={editing ? credential.api_key_masked : undefined}
            required={!editing}
          />
        )}
      </Field>
      {def?.needs_secret || credential?.api_secret_masked ? (
        <Field
          label={t("credentials.apiSecret")}
          error={fe.api_secret}
          hint={editing ? t("credentials.keepSecret") : undefined}
          optionalText={def?.needs_secret ? undefined : t("common.optional")}
        >
          {(p) => (
            <Input
              {...p}
              name="api_secret"
              type="password"
              autoComplete="off"
              value={apiSecret}
              onChange={(e) => setApiSecret(e.target.value)}
              placeholder={editing ? (credential.api_secret_masked ?? undefined) : undefined}
              required={!editing && def?.needs_secret}
            />
          )}
        </Field>
      ) : null}
      {def ? (
        <Field
          label={t("credentials.apiUrl")}
          optionalText={t("common.optional")}
          error={fe.api_url}
          hint={t("credentials.apiUrlHint", { default: def.default_api_url ? ` (${def.default_api_url})` : "" })}
        >
          {(p) => (
            <Input {...p} name="api_url" type="url" value={apiUrl} onChange={(e) => setApiUrl(e.target.value)} placeholder={def.default_api_url ?? "https://"} />
          )}
        </Field>
      ) : null}
      {def && def.settings_fields.length > 0 ? (
        <fieldset className="grid gap-3 rounded-md border p-3">
          <legend className="px-1 text-sm font-medium">{t("credentials.settings")}</legend>
          {def.settings_fields.map((f) => (
            <Field key={f.name} label={settingLabel(t, service, f.name, f.label)} optionalText={f.required ? undefined : t("common.optional")} error={fe[`settings.${f.name}`]}>
              {(p) => (
                <Input
                  {...p}
                  name={`settings.${f.name}`}
                  type={f.secret ? "password" : undefined}
                  autoComplete={f.secret ? "off" : undefined}
                  placeholder={f.secret && editing ? String(credential.settings[f.name] ?? "") || undefined : undefined}
                  value={settings[f.name] ?? ""}
                  onChange={(e) => setSettings((prev) => ({ ...prev, [f.name]: e.target.value }))}
                  required={f.required && !(f.secret && editing)}
                />
              )}
            </Field>
          ))}
        </fieldset>
      ) : null}
      <div className="flex items-center gap-2">
        <Checkbox id="credential-active" checked={isActive} onCheckedChange={(c) => setIsActive(c === true)} />
        <Label htmlFor="credential-active">{t("credentials.active")}</Label>
      </div>
      {editing ? <p className="text-xs text-muted-foreground">{t("credentials.secretWriteOnly")}</p> : null}
      <FormActions onCancel={onCancel} submitLabel={t("common.save")} busy={busy} disabled={Boolean(missingRequired)} error={error} submitTestId="credential-submit" />
    </form>
  );
}
