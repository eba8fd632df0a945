import { Plus, X } from "lucide-react";
import { useId, useMemo, useState, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { Field } from "@/components/ui/field";
import { FormActions } from "@/components/ui/form-dialog";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { useI18n } from "@/i18n";
import { fieldErrors } from "@/lib/errors";
import type { Domain, DomainCreate, DomainUpdate } from "./types";

const ANALYTICS = [
  ["googleAnalyticsId", "tracking.domains.ga"],
  ["facebookPixelId", "tracking.domains.fbPixel"],
  ["googleAdsId", "tracking.domains.googleAds"],
  ["tiktokPixelId", "tracking.domains.tiktok"],
] as const;
type AnalyticsKey = (typeof ANALYTICS)[number][0];

const LANGUAGES = ["pt-BR", "en", "es"];

function obj(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** "https://www.example.com:8443/path" → "https://www.example.com:8443"; null when not an http(s) URL. */
export function toOrigin(value: string): string | null {
  try {
    const url = new URL(value.trim());
    if (url.protocol !== "http:" && url.protocol !== "https:") return null;
    if (!url.hostname) return null;
    return url.origin;
  } catch {
    return null;
  }
}

/** The origins the server uses when none are given: the site's host with and without www. */
export function defaultOrigins(domainUrl: string): string[] {
  const origin = toOrigin(domainUrl);
  if (!origin) return [];
  const url = new URL(origin);
  const other = new URL(origin);
  other.hostname = url.hostname.startsWith("www.") ? url.hostname.slice(4) : `www.${url.hostname}`;
  return [origin, other.origin].sort();
}

function timeZones(): string[] {
  try {
    const fn = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf;
    return fn ? fn("timeZone") : [];
  } catch {
    return [];
  }
}

/**
 * Create or edit a tracked domain: URL (create only), name, allowed origins as an
 * editable list, settings (time zone, language, cookie days) and the site's own tags.
 * Validation issues from the server (422) are shown under the matching input.
 */
export function DomainForm({
  domain,
  onSubmit,
  onCancel,
  error,
  busy,
}: {
  domain?: Domain;
  onSubmit: (body: DomainCreate | DomainUpdate) => void;
  onCancel: () => void;
  error?: unknown;
  busy?: boolean;
}) {
  const { t } = useI18n();
  const editing = domain !== undefined;
  const meta = obj(domain?.metadata);
  const initialSettings = obj(meta.settings);
  const initialAnalytics = obj(meta.analytics);
  const [url, setUrl] = useState(domain?.domain_url ?? "");
  const [name, setName] = useState(domain?.domain_name ?? "");
  const [origins, setOrigins] = useState<string[]>(() => (domain?.allowed_origins.length ? [...domain.allowed_origins] : []));
  const [timezone, setTimezone] = useState(String(initialSettings.timezone ?? "America/Sao_Paulo"));
  const [language, setLanguage] = useState(String(initialSettings.language ?? "pt-BR"));
  const [cookieDays, setCookieDays] = useState(String(initialSettings.cookie_days ?? 90));
  const [analytics, setAnalytics] = useState<Record<AnalyticsKey, string>>(() => ({
    googleAnalyticsId: String(initialAnalytics.googleAnalyticsId ?? ""),
    facebookPixelId: String(initialAnalytics.facebookPixelId ?? ""),
    googleAdsId: String(initialAnalytics.googleAdsId ?? ""),
    tiktokPixelId: String(initialAnalytics.tiktokPixelId ?? ""),
  }));
  const [isActive, setIsActive] = useState(domain?.is_active ?? true);
  const [local, setLocal] = useState<Record<string, string>>({});
  const zones = useMemo(timeZones, []);
  const listId = useId();

  const server = fieldErrors(error);
  const fe = { ...server, ...local };

  const validate = (): Record<string, string> => {
    const out: Record<string, string> = {};
    if (!editing && !toOrigin(url)) out.domain_url = t("tracking.domains.invalidUrl");
    origins.forEach((o, i) => {
      if (o.trim() !== "" && !toOrigin(o)) out[`allowed_origins.${i}`] = t("tracking.domains.invalidOrigin");
    });
    const days = Number(cookieDays);
    if (!Number.isInteger(days) || days < 1 || days > 400) out["metadata.settings.cookie_days"] = t("tracking.domains.invalidCookieDays");
    return out;
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const problems = validate();
    setLocal(problems);
    if (Object.keys(problems).length > 0) return;
    const cleanOrigins = origins.map((o) => o.trim()).filter((o) => o !== "");
    const cleanAnalytics: Record<string, unknown> = { ...initialAnalytics };
    for (const [k] of ANALYTICS) {
      const v = analytics[k].trim();
      if (v === "") delete cleanAnalytics[k];
      else cleanAnalytics[k] = v;
    }
    const metadata = {
      analytics: cleanAnalytics,
      settings: {
        timezone: timezone.trim() || "America/Sao_Paulo",
        language: language.trim() || "pt-BR",
        cookie_days: Number(cookieDays),
        // Chosen in Settings › Privacy › Consent; kept as it is when the domain is edited here.
        consent_mode: initialSettings.consent_mode === "required" ? ("required" as const) : ("off" as const),
      },
    };
    if (editing) {
      const body: DomainUpdate = {
        domain_name: name.trim() === "" ? undefined : name.trim(),
        allowed_origins: cleanOrigins.length > 0 ? cleanOrigins : defaultOrigins(domain.domain_url),
        metadata,
        is_active: isActive,
      };
      onSubmit(body);
    } else {
      const body: DomainCreate = { domain_url: url.trim(), metadata, is_active: isActive };
      if (name.trim() !== "") body.domain_name = name.trim();
      if (cleanOrigins.length > 0) body.allowed_origins = cleanOrigins;
      onSubmit(body);
    }
  };

  const setOrigin = (i: number, v: string) => setOrigins((prev) => prev.map((o, j) => (j === i ? v : o)));
  const removeOrigin = (i: number) => {
    setOrigins((prev) => prev.filter((_, j) => j !== i));
    setLocal({});
  };

  return (
    <form onSubmit={submit} noValidate className="grid gap-4" aria-label={editing ? t("tracking.domains.editTitle", { name: domain.domain_name }) : t("tracking.domains.addTitle")}>
      <Field label={t("tracking.domains.url")} error={fe.domain_url} hint={editing ? t("tracking.domains.urlReadOnly") : t("tracking.domains.urlHint")}>
        {(p) => (
          <Input
            {...p}
            name="domain_url"
            type="url"
            inputMode="url"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            placeholder="https://"
            readOnly={editing}
            disabled={editing}
            required
          />
        )}
      </Field>
      <Field label={t("tracking.domains.name")} optionalText={t("common.optional")} hint={t("tracking.domains.nameHint")} error={fe.domain_name}>
        {(p) => <Input {...p} name="domain_name" value={name} onChange={(e) => setName(e.target.value)} maxLength={255} />}
      </Field>

      <fieldset className="grid gap-2 rounded-md border p-3" data-testid="origins-editor">
        <legend className="px-1 text-sm font-medium">
          {t("tracking.domains.origins")} <span className="font-normal text-muted-foreground">({t("common.optional")})</span>
        </legend>
        <p className="text-xs text-muted-foreground">{t("tracking.domains.originsHint")}</p>
        {origins.map((o, i) => {
          const err = fe[`allowed_origins.${i}`];
          const errId = `${listId}-origin-${i}-error`;
          return (
            <div key={i} className="grid gap-1">
              <div className="flex gap-2">
                <Input
                  name={`allowed_origins.${i}`}
                  aria-label={t("tracking.domains.origin", { n: i + 1 })}
                  aria-invalid={err ? true : undefined}
                  aria-describedby={err ? errId : undefined}
                  value={o}
                  placeholder="https://www.example.com"
                  onChange={(e) => setOrigin(i, e.target.value)}
                />
                <Button variant="ghost" size="icon" aria-label={t("tracking.domains.removeOrigin", { n: i + 1 })} onClick={() => removeOrigin(i)}>
                  <X aria-hidden />
                </Button>
              </div>
              {err ? (
                <p id={errId} className="text-xs font-medium text-destructive">
                  {err}
                </p>
              ) : null}
            </div>
          );
        })}
        {fe.allowed_origins ? <p className="text-xs font-medium text-destructive">{fe.allowed_origins}</p> : null}
        <div>
          <Button variant="outline" size="sm" onClick={() => setOrigins((prev) => [...prev, ""])} data-testid="add-origin">
            <Plus aria-hidden />
            {t("tracking.domains.addOrigin")}
          </Button>
        </div>
      </fieldset>

      <fieldset className="grid gap-3 rounded-md border p-3 sm:grid-cols-3">
        <legend className="px-1 text-sm font-medium">{t("tracking.domains.settings")}</legend>
        <Field label={t("tracking.domains.timezone")} error={fe["metadata.settings.timezone"]}>
          {(p) => <Input {...p} name="timezone" list={`${listId}-tz`} value={timezone} onChange={(e) => setTimezone(e.target.value)} maxLength={64} />}
        </Field>
        <Field label={t("tracking.domains.language")} error={fe["metadata.settings.language"]}>
          {(p) => <Input {...p} name="language" list={`${listId}-lang`} value={language} onChange={(e) => setLanguage(e.target.value)} maxLength={10} />}
        </Field>
        <Field label={t("tracking.domains.cookieDays")} error={fe["metadata.settings.cookie_days"]} hint={t("tracking.domains.cookieDaysHint")}>
          {(p) => <Input {...p} name="cookie_days" type="number" min={1} max={400} step={1} value={cookieDays} onChange={(e) => setCookieDays(e.target.value)} />}
        </Field>
        <datalist id={`${listId}-tz`}>
          {zones.map((z) => (
            <option key={z} value={z} />
          ))}
        </datalist>
        <datalist id={`${listId}-lang`}>
          {LANGUAGES.map((l) => (
            <option key={l} value={l} />
          ))}
        </datalist>
      </fieldset>

      <fieldset className="grid gap-3 rounded-md border p-3 sm:grid-cols-2">
        <legend className="px-1 text-sm font-medium">{t("tracking.domains.analytics")}</legend>
        {ANALYTICS.map(([key, label]) => (
          <Field key={key} label={t(label)} optionalText={t("common.optional")} error={fe[`metadata.analytics.${key}`]}>
            {(p) => <Input {...p} name={key} value={analytics[key]} onChange={(e) => setAnalytics((prev) => ({ ...prev, [key]: e.target.value }))} maxLength={50} />}
          </Field>
        ))}
      </fieldset>

      <div className="flex items-center gap-2">
        <Checkbox id={`${listId}-active`} checked={isActive} onCheckedChange={(c) => setIsActive(c === true)} />
        <Label htmlFor={`${listId}-active`}>{t("tracking.domains.active")}</Label>
      </div>
      <FormActions onCancel={onCancel} submitLabel={t("common.save")} busy={busy} disabled={!editing && url.trim() === ""} error={error} submitTestId="domain-submit" />
    </form>
  );
}
