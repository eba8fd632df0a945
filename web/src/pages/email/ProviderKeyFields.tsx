import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { useI18n } from "@/i18n";

/** Sender kinds that send through a provider's API with a key kept in the vault. */
export const API_KINDS = ["ses", "sendgrid", "postmark", "mailgun"] as const;
export type ApiKind = (typeof API_KINDS)[number];

export const PROVIDER_NAMES: Record<ApiKind, string> = {
  ses: "Amazon SES",
  sendgrid: "SendGrid",
  postmark: "Postmark",
  mailgun: "Mailgun",
};

export function isApiKind(kind: string): kind is ApiKind {
  return (API_KINDS as readonly string[]).includes(kind);
}

/** A provider key typed in the sender dialog (stored as a vault credential on submit). */
export type ProviderKey = { key: string; secret: string; region: string; stream: string; domain: string; eu: boolean };

export const EMPTY_KEY: ProviderKey = { key: "", secret: "", region: "sa-east-1", stream: "broadcast", domain: "", eu: false };

export function keyComplete(kind: ApiKind, k: ProviderKey): boolean {
  if (!k.key.trim()) return false;
  if (kind === "ses") return !!k.secret.trim() && !!k.region.trim();
  if (kind === "mailgun") return !!k.domain.trim();
  return true;
}

/** The `POST /api/credentials` body for a typed key (the API masks it from then on). */
export function credentialBody(kind: ApiKind, name: string, k: ProviderKey) {
  const settings: Record<string, string> = {};
  if (kind === "ses") settings.region = k.region.trim();
  if (kind === "postmark" && k.stream.trim()) settings.message_stream = k.stream.trim();
  if (kind === "mailgun") settings.domain = k.domain.trim();
  return {
    name: `${name} (${PROVIDER_NAMES[kind]})`,
    service: kind,
    api_key: k.key.trim(),
    api_secret: kind === "ses" ? k.secret.trim() : null,
    api_url: kind === "mailgun" && k.eu ? "https://api.eu.mailgun.net" : null,
    settings,
    is_active: true,
  };
}

/** The key fields of one provider; secrets are password inputs (masked as typed). */
export function ProviderKeyFields({ kind, value, onChange }: { kind: ApiKind; value: ProviderKey; onChange: (k: ProviderKey) => void }) {
  const { t } = useI18n();
  const set = (patch: Partial<ProviderKey>) => onChange({ ...value, ...patch });
  const secret = (label: string, field: "key" | "secret", testId: string) => (
    <Field label={label} hint={t("email.provider.maskedHint")}>
      {(p) => <Input {...p} type="password" autoComplete="off" value={value[field]} required onChange={(e) => set({ [field]: e.target.value })} data-testid={testId} />}
    </Field>
  );
  const text = (label: string, field: "region" | "stream" | "domain", testId: string, hint?: string) => (
    <Field label={label} hint={hint}>
      {(p) => <Input {...p} value={value[field]} onChange={(e) => set({ [field]: e.target.value })} data-testid={testId} />}
    </Field>
  );
  if (kind === "ses") {
    return (
      <>
        <Field label={t("email.provider.ses.keyId")}>
          {(p) => <Input {...p} autoComplete="off" value={value.key} required onChange={(e) => set({ key: e.target.value })} data-testid="provider-key" />}
        </Field>
        {secret(t("email.provider.ses.secret"), "secret", "provider-secret")}
        {text(t("email.provider.ses.region"), "region", "provider-region", t("email.provider.ses.regionHint"))}
      </>
    );
  }
  if (kind === "postmark") {
    return (
      <>
        {secret(t("email.provider.postmark.token"), "key", "provider-key")}
        {text(t("email.provider.postmark.stream"), "stream", "provider-stream", t("email.provider.postmark.streamHint"))}
      </>
    );
  }
  if (kind === "mailgun") {
    return (
      <>
        {secret(t("email.provider.apiKey"), "key", "provider-key")}
        {text(t("email.provider.mailgun.domain"), "domain", "provider-domain")}
        <Field label={t("email.provider.mailgun.region")}>
          {(p) => (
            <NativeSelect {...p} value={value.eu ? "eu" : "us"} onChange={(e) => set({ eu: e.target.value === "eu" })} data-testid="provider-mailgun-region">
              <option value="us">{t("email.provider.mailgun.us")}</option>
              <option value="eu">{t("email.provider.mailgun.eu")}</option>
            </NativeSelect>
          )}
        </Field>
      </>
    );
  }
  return secret(t("email.provider.apiKey"), "key", "provider-key");
}
