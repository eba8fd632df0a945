import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Plus, Trash2 } from "lucide-react";
import { useState, type FormEvent } from "react";
import { api, unwrap } from "@/api/client";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { QueryStates } from "@/components/ui/query-states";
import { FormError } from "@/components/ui/states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useToast } from "@/components/ui/toast";
import { useI18n, type MessageKey } from "@/i18n";
import { fieldErrors } from "@/lib/errors";
import { formatNumber } from "@/lib/format";
import { emptyMapping, formFromSettings, settingsFromForm, type ActionMapping, type ActionRow, type SettingsForm } from "./settingsForm";
import { platformName } from "./shared";
import { ACTION_FIELDS, ACTION_SOURCES, AD_PLATFORMS, DEFAULT_WINDOWS, type ActionSource, type AdPlatform, type ConversionSettingsIn, type ConversionSettingsOut } from "./types";
import { CONVERSIONS_KEY } from "./useConversionActions";

const NAME_PATTERN = "[a-z0-9][a-z0-9_.\\-]*";
const SETTINGS_KEY = [...CONVERSIONS_KEY, "settings"] as const;

function MappingTable({ mapping, onChange, disabled }: { mapping: ActionMapping; onChange: (next: ActionMapping) => void; disabled: boolean }) {
  const { t } = useI18n();
  const set = (p: AdPlatform, field: keyof ActionRow, value: string) => onChange({ ...mapping, platforms: { ...mapping.platforms, [p]: { ...mapping.platforms[p], [field]: value } } });
  const label = (p: AdPlatform, field: string) => `${platformName(p)} · ${t(`conversions.settings.field.${field}` as MessageKey)}`;
  return (
    <Table>
      <THead>
        <TR>
          <TH>{t("conversions.col.platform")}</TH>
          <TH>{t("conversions.settings.field.name")}</TH>
          <TH>{t("conversions.settings.field.action_source")}</TH>
          <TH>{t("conversions.settings.field.window_days")}</TH>
        </TR>
      </THead>
      <TBody>
        {AD_PLATFORMS.map((p) => {
          const row = mapping.platforms[p];
          const nameField = ACTION_FIELDS[p].includes("action_id") ? "action_id" : "event_name";
          return (
            <TR key={p} data-testid="mapping-row" data-platform={p}>
              <TD className="font-medium">{platformName(p)}</TD>
              <TD>
                <Input
                  aria-label={label(p, nameField)}
                  value={row[nameField]}
                  onChange={(e) => set(p, nameField, e.target.value)}
                  maxLength={100}
                  disabled={disabled}
                  placeholder={t(`conversions.settings.placeholder.${p}` as MessageKey)}
                />
              </TD>
              <TD>
                {ACTION_FIELDS[p].includes("action_source") ? (
                  <NativeSelect aria-label={label(p, "action_source")} value={row.action_source} onChange={(e) => set(p, "action_source", e.target.value as ActionSource | "")} disabled={disabled}>
                    <option value="">{t("conversions.settings.defaultSource")}</option>
                    {ACTION_SOURCES.map((s) => (
                      <option key={s} value={s}>
                        {s}
                      </option>
                    ))}
                  </NativeSelect>
                ) : (
                  <span className="text-xs text-muted-foreground">{t("conversions.none")}</span>
                )}
              </TD>
              <TD>
                <Input
                  aria-label={label(p, "window_days")}
                  type="number"
                  inputMode="numeric"
                  min={1}
                  max={365}
                  step={1}
                  className="w-28"
                  value={row.window_days}
                  onChange={(e) => set(p, "window_days", e.target.value)}
                  disabled={disabled}
                />
              </TD>
            </TR>
          );
        })}
      </TBody>
    </Table>
  );
}

/** The form over loaded settings: the won conversion, windows per platform, names per platform. */
export function ConversionSettingsForm({ settings, onSave, busy, error }: { settings: ConversionSettingsOut; onSave: (body: ConversionSettingsIn) => void; busy: boolean; error: unknown }) {
  const { t, locale } = useI18n();
  const [form, setForm] = useState<SettingsForm>(() => formFromSettings(settings));
  const [newName, setNewName] = useState("");
  const fe = fieldErrors(error);
  const names = form.actions.map((a) => a.name.trim());
  const duplicate = names.find((n, i) => n && names.indexOf(n) !== i);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (duplicate) return;
    onSave(settingsFromForm(form));
  };
  const addMapping = () => {
    const name = newName.trim();
    if (!name || names.includes(name) || !new RegExp(`^${NAME_PATTERN}$`).test(name)) return;
    setForm({ ...form, actions: [...form.actions, emptyMapping(name)] });
    setNewName("");
  };

  return (
    <form className="grid gap-4" onSubmit={submit} data-testid="conversion-settings-form">
      <Card>
        <CardHeader>
          <CardTitle className="text-base">{t("conversions.settings.won.title")}</CardTitle>
          <CardDescription>{t("conversions.settings.won.description")}</CardDescription>
        </CardHeader>
        <CardContent className="max-w-sm">
          <Field label={t("conversions.settings.won.label")} hint={t("conversions.settings.nameHint")} error={fe.won_conversion_name}>
            {(props) => (
              <Input
                {...props}
                required
                pattern={NAME_PATTERN}
                maxLength={100}
                value={form.wonName}
                onChange={(e) => setForm({ ...form, wonName: e.target.value })}
                disabled={busy}
              />
            )}
          </Field>
        </CardContent>
      </Card>

      <Card>
        <CardHeader>
          <CardTitle className="text-base">{t("conversions.settings.windows.title")}</CardTitle>
          <CardDescription>{t("conversions.settings.windows.description")}</CardDescription>
        </CardHeader>
        <CardContent className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
          {AD_PLATFORMS.map((p) => (
            <Field key={p} label={platformName(p)} hint={t("conversions.settings.windows.default", { days: formatNumber(DEFAULT_WINDOWS[p], locale) })} error={fe[`windows.${p}`]}>
              {(props) => (
                <Input
                  {...props}
                  type="number"
                  inputMode="numeric"
                  min={1}
                  max={365}
                  step={1}
                  placeholder={String(DEFAULT_WINDOWS[p])}
                  value={form.windows[p]}
                  onChange={(e) => setForm({ ...form, windows: { ...form.windows, [p]: e.target.value } })}
                  disabled={busy}
                  data-testid={`window-${p}`}
                />
              )}
            </Field>
          ))}
        </CardContent>
      </Card>

      <Card>
        <CardHeader>
          <CardTitle className="text-base">{t("conversions.settings.actions.title")}</CardTitle>
          <CardDescription>{t("conversions.settings.actions.description")}</CardDescription>
        </CardHeader>
        <CardContent className="grid gap-4">
          {form.actions.length === 0 ? <p className="text-sm text-muted-foreground">{t("conversions.settings.actions.empty")}</p> : null}
          {form.actions.map((mapping) => (
            <section key={mapping.key} className="grid gap-2 rounded-md border p-3" data-testid="mapping" aria-label={mapping.name}>
              <div className="flex flex-wrap items-end justify-between gap-2">
                <Field label={t("conversions.settings.actions.conversion")}>
                  {(props) => (
                    <Input
                      {...props}
                      className="w-64"
                      required
                      pattern={NAME_PATTERN}
                      maxLength={100}
                      value={mapping.name}
                      onChange={(e) => setForm({ ...form, actions: form.actions.map((m) => (m.key === mapping.key ? { ...m, name: e.target.value } : m)) })}
                      disabled={busy}
                    />
                  )}
                </Field>
                <Button
                  variant="ghost"
                  size="sm"
                  onClick={() => setForm({ ...form, actions: form.actions.filter((m) => m.key !== mapping.key) })}
                  disabled={busy}
                  aria-label={t("conversions.settings.actions.remove", { name: mapping.name })}
                >
                  <Trash2 aria-hidden />
                  {t("common.delete")}
                </Button>
              </div>
              <MappingTable mapping={mapping} onChange={(next) => setForm({ ...form, actions: form.actions.map((m) => (m.key === mapping.key ? next : m)) })} disabled={busy} />
            </section>
          ))}
          {duplicate ? (
            <p role="alert" className="text-sm text-destructive">
              {t("conversions.settings.actions.duplicate", { name: duplicate })}
            </p>
          ) : null}
          <div className="flex flex-wrap items-end gap-2">
            <Field label={t("conversions.settings.actions.add")}>
              {(props) => (
                <Input
                  {...props}
                  className="w-64"
                  pattern={NAME_PATTERN}
                  maxLength={100}
                  value={newName}
                  placeholder={form.wonName}
                  onChange={(e) => setNewName(e.target.value)}
                  onKeyDown={(e) => {
                    if (e.key === "Enter") {
                      e.preventDefault();
                      addMapping();
                    }
                  }}
                  disabled={busy}
                  data-testid="new-mapping-name"
                />
              )}
            </Field>
            <Button variant="outline" onClick={addMapping} disabled={busy || !newName.trim()} data-testid="add-mapping">
              <Plus aria-hidden />
              {t("conversions.settings.actions.addButton")}
            </Button>
          </div>
        </CardContent>
      </Card>

      <FormError error={error} />
      <div>
        <Button type="submit" disabled={busy || Boolean(duplicate)} data-testid="settings-save">
          {busy ? t("common.saving") : t("common.save")}
        </Button>
      </div>
    </form>
  );
}

/** Conversion settings (`GET/PUT /api/conversions/settings`), for conversions:admin. */
export default function ConversionSettingsSection() {
  const { t } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const settings = useQuery({ queryKey: SETTINGS_KEY, queryFn: () => unwrap(api.GET("/api/conversions/settings")) });
  const save = useMutation({
    mutationFn: (body: ConversionSettingsIn) => unwrap(api.PUT("/api/conversions/settings", { body })),
    onSuccess: (saved) => {
      qc.setQueryData(SETTINGS_KEY, saved);
      toast(t("common.saved"));
    },
  });
  return (
    <QueryStates query={settings}>
      {(data) => <ConversionSettingsForm key={JSON.stringify(data)} settings={data} onSave={(body) => save.mutate(body)} busy={save.isPending} error={save.error} />}
    </QueryStates>
  );
}
