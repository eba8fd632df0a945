import { useQuery } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { api, unwrap } from "@/api/client";
import { Checkbox } from "@/components/ui/checkbox";
import { Field } from "@/components/ui/field";
import { FormActions } from "@/components/ui/form-dialog";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { NativeSelect } from "@/components/ui/native-select";
import { Textarea } from "@/components/ui/textarea";
import { useI18n, type MessageKey } from "@/i18n";
import { fieldErrors } from "@/lib/errors";
import type { Destination, DestinationCreate, DestinationUpdate, IntegrationName } from "@/pages/crm/types";

export const INTEGRATIONS = ["hubspot", "salesforce", "pipedrive", "rdstation", "webhook"] as const satisfies readonly IntegrationName[];
export const PUSH_EVENTS = ["lead.created", "lead.stage_changed"] as const;
type PushEvent = (typeof PUSH_EVENTS)[number];

export const integrationKey = (name: string): MessageKey => `crm.integration.${name}` as MessageKey;

/** Parse the advanced-settings box: empty → {}, else a JSON object (null when it is not one). */
export function parseSettings(text: string): Record<string, unknown> | null {
  if (text.trim() === "") return {};
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Create or edit a push destination. The credential picker lists the organization's
 * credentials of the chosen service (`GET /api/credentials?service=`); a webhook needs
 * its URL; other settings go in a JSON box.
 */
export function DestinationForm({
  destination,
  onSubmit,
  onCancel,
  error,
  busy,
}: {
  destination?: Destination;
  onSubmit: (body: DestinationCreate | DestinationUpdate) => void;
  onCancel: () => void;
  error?: unknown;
  busy?: boolean;
}) {
  const { t } = useI18n();
  const id = useId();
  const editing = destination !== undefined;
  const [name, setName] = useState(destination?.name ?? "");
  const [integration, setIntegration] = useState<IntegrationName>((destination?.integration_name as IntegrationName | undefined) ?? "hubspot");
  const [credentialId, setCredentialId] = useState(destination?.credential_id ?? "");
  const initialSettings = { ...(destination?.settings ?? {}) };
  const [url, setUrl] = useState(typeof initialSettings.url === "string" ? initialSettings.url : "");
  delete initialSettings.url;
  const [settingsText, setSettingsText] = useState(Object.keys(initialSettings).length ? JSON.stringify(initialSettings, null, 2) : "");
  const [events, setEvents] = useState<PushEvent[]>((destination?.events as PushEvent[] | undefined) ?? ["lead.created"]);
  const [active, setActive] = useState(destination?.is_active ?? true);
  const [local, setLocal] = useState<Record<string, string>>({});
  const fe = { ...fieldErrors(error), ...local };

  const credentials = useQuery({
    queryKey: ["credentials", "service", integration],
    queryFn: () => unwrap(api.GET("/api/credentials", { params: { query: { service: integration, page: 1, page_size: 200 } } })),
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const problems: Record<string, string> = {};
    const settings = parseSettings(settingsText);
    if (settings === null) problems.settings = t("crm.dest.invalidSettings");
    if (!credentialId) problems.credential_id = t("crm.dest.pickCredential");
    if (events.length === 0) problems.events = t("crm.dest.pickEvent");
    if (integration === "webhook" && url.trim() !== "" && !/^https?:\/\/\S+$/.test(url.trim())) problems["settings.url"] = t("crm.dest.invalidUrl");
    setLocal(problems);
    if (Object.keys(problems).length || settings === null) return;
    const fullSettings = integration === "webhook" && url.trim() ? { ...settings, url: url.trim() } : settings;
    const common = { name: name.trim(), credential_id: credentialId, settings: fullSettings, events, is_active: active };
    if (editing) onSubmit(common satisfies DestinationUpdate);
    else onSubmit({ ...common, integration_name: integration } satisfies DestinationCreate);
  };

  const toggleEvent = (ev: PushEvent, on: boolean) => setEvents((prev) => (on ? [...new Set([...prev, ev])] : prev.filter((x) => x !== ev)));
  const creds = credentials.data?.items ?? [];

  return (
    <form onSubmit={submit} noValidate className="grid gap-4" aria-label={editing ? t("crm.dest.editTitle", { name: destination.name }) : t("crm.dest.addTitle")}>
      <Field label={t("crm.dest.name")} error={fe.name}>
        {(p) => <Input {...p} name="name" value={name} onChange={(e) => setName(e.target.value)} maxLength={255} required />}
      </Field>
      <Field label={t("crm.dest.integration")} error={fe.integration_name}>
        {(p) => (
          <NativeSelect
            {...p}
            name="integration_name"
            value={integration}
            disabled={editing}
            onChange={(e) => {
              setIntegration(e.target.value as IntegrationName);
              setCredentialId("");
            }}
          >
            {INTEGRATIONS.map((i) => (
              <option key={i} value={i}>
                {t(integrationKey(i))}
              </option>
            ))}
          </NativeSelect>
        )}
      </Field>
      <Field
        label={t("crm.dest.credential")}
        error={fe.credential_id}
        hint={
          credentials.isSuccess && creds.length === 0 ? (
            <>
              {t("crm.dest.noCredential")} <Link to="/settings/credentials" className="text-primary underline">{t("settings.credentials")}</Link>
            </>
          ) : undefined
        }
      >
        {(p) => (
          <NativeSelect {...p} name="credential_id" value={credentialId} onChange={(e) => setCredentialId(e.target.value)} data-testid="destination-credential">
            <option value="">{credentials.isPending ? t("common.loading") : t("crm.dest.chooseCredential")}</option>
            {creds.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
                {c.is_active ? "" : ` (${t("common.inactive")})`}
              </option>
            ))}
          </NativeSelect>
        )}
      </Field>
      {integration === "webhook" ? (
        <Field label={t("crm.dest.url")} hint={t("crm.dest.urlHint")} error={fe["settings.url"]}>
          {(p) => <Input {...p} name="url" type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://" />}
        </Field>
      ) : null}
      <fieldset className="grid gap-2">
        <legend className="mb-1 text-sm font-medium">{t("crm.dest.events")}</legend>
        {PUSH_EVENTS.map((ev) => (
          <div key={ev} className="flex items-center gap-2">
            <Checkbox id={`${id}-${ev}`} checked={events.includes(ev)} onCheckedChange={(c) => toggleEvent(ev, c === true)} />
            <Label htmlFor={`${id}-${ev}`} className="font-normal">
              {t(`crm.event.${ev === "lead.created" ? "created" : "stageChanged"}`)}
            </Label>
          </div>
        ))}
        {fe.events ? <p className="text-xs font-medium text-destructive">{fe.events}</p> : null}
      </fieldset>
      <Field label={t("crm.dest.settings")} optionalText={t("common.optional")} hint={t("crm.dest.settingsHint")} error={fe.settings}>
        {(p) => <Textarea {...p} name="settings" className="font-mono text-xs" rows={4} value={settingsText} onChange={(e) => setSettingsText(e.target.value)} placeholder='{"lead_status": "NEW"}' />}
      </Field>
      <div className="flex items-center gap-2">
        <Checkbox id={`${id}-active`} checked={active} onCheckedChange={(c) => setActive(c === true)} />
        <Label htmlFor={`${id}-active`}>{t("crm.dest.active")}</Label>
      </div>
      <FormActions onCancel={onCancel} submitLabel={t("common.save")} busy={busy} disabled={name.trim() === ""} error={error} submitTestId="destination-submit" />
    </form>
  );
}
