import { useQueries } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { api, unwrap } from "@/api/client";
import { Field } from "@/components/ui/field";
import { FormDialog } from "@/components/ui/form-dialog";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { useI18n, type MessageKey } from "@/i18n";
import { fieldErrors } from "@/lib/errors";
import { platformName } from "@/pages/conversions/shared";
import { CREDENTIAL_SERVICES, SPEND_PLATFORMS, type AdAccountCreate, type SpendPlatform } from "./types";

const DEFAULT_TIMEZONE = "America/Sao_Paulo";

/**
 * Connect an ad account: the platform, its id there, a vault credential of one of the
 * platform's services (`GET /api/credentials?service=`), its timezone and currency.
 */
export function AdAccountDialog({ open, onClose, onSubmit, busy, error }: { open: boolean; onClose: () => void; onSubmit: (body: AdAccountCreate) => void; busy: boolean; error: unknown }) {
  const { t } = useI18n();
  const [platform, setPlatform] = useState<SpendPlatform>("meta");
  const [accountId, setAccountId] = useState("");
  const [name, setName] = useState("");
  const [credentialId, setCredentialId] = useState("");
  const [timezone, setTimezone] = useState(DEFAULT_TIMEZONE);
  const [currency, setCurrency] = useState("BRL");
  const fe = fieldErrors(error);

  const lists = useQueries({
    queries: CREDENTIAL_SERVICES[platform].map((service) => ({
      queryKey: ["credentials", "service", service],
      queryFn: () => unwrap(api.GET("/api/credentials", { params: { query: { service, page: 1, page_size: 200 } } })),
      enabled: open,
    })),
  });
  const loading = lists.some((q) => q.isPending);
  // One credential once, though the platform has two service names (meta_ads, meta).
  const credentials = [...new Map(lists.flatMap((q) => q.data?.items ?? []).map((c) => [c.id, c])).values()];

  const submit = () =>
    onSubmit({
      platform,
      account_id: accountId.trim(),
      name: name.trim() || null,
      credential_id: credentialId,
      timezone: timezone.trim(),
      currency: currency.trim().toUpperCase(),
    });

  return (
    <FormDialog
      open={open}
      onClose={onClose}
      title={t("spend.accounts.addTitle")}
      description={t("spend.accounts.addDescription")}
      testId="ad-account-dialog"
      form={{
        onSubmit: submit,
        submitLabel: t("spend.accounts.add"),
        busy,
        error,
        disabled: !accountId.trim() || !credentialId || !timezone.trim() || currency.trim().length !== 3,
        submitTestId: "ad-account-submit",
      }}
    >
      <Field label={t("spend.col.platform")} error={fe.platform}>
        {(p) => (
          <NativeSelect
            {...p}
            value={platform}
            onChange={(e) => {
              setPlatform(e.target.value as SpendPlatform);
              setCredentialId("");
            }}
            data-testid="ad-account-platform"
          >
            {SPEND_PLATFORMS.map((x) => (
              <option key={x} value={x}>
                {platformName(x)}
              </option>
            ))}
          </NativeSelect>
        )}
      </Field>
      <Field label={t("spend.col.accountId")} hint={t(`spend.accounts.idHint.${platform}` as MessageKey)} error={fe.account_id}>
        {(p) => <Input {...p} value={accountId} onChange={(e) => setAccountId(e.target.value)} maxLength={64} required data-testid="ad-account-id" />}
      </Field>
      <Field label={t("spend.col.name")} optionalText={t("common.optional")} error={fe.name}>
        {(p) => <Input {...p} value={name} onChange={(e) => setName(e.target.value)} maxLength={255} />}
      </Field>
      <Field
        label={t("spend.col.credential")}
        error={fe.credential_id}
        hint={
          !loading && credentials.length === 0 ? (
            <>
              {t("spend.accounts.noCredential", { services: CREDENTIAL_SERVICES[platform].join(", ") })}{" "}
              <Link to="/settings/credentials" className="text-primary underline">
                {t("settings.credentials")}
              </Link>
            </>
          ) : undefined
        }
      >
        {(p) => (
          <NativeSelect {...p} value={credentialId} onChange={(e) => setCredentialId(e.target.value)} data-testid="ad-account-credential">
            <option value="">{loading ? t("common.loading") : t("spend.accounts.chooseCredential")}</option>
            {credentials.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
                {c.is_active ? "" : ` (${t("common.inactive")})`}
              </option>
            ))}
          </NativeSelect>
        )}
      </Field>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label={t("spend.col.timezone")} hint={t("spend.accounts.timezoneHint")} error={fe.timezone}>
          {(p) => <Input {...p} value={timezone} onChange={(e) => setTimezone(e.target.value)} maxLength={64} data-testid="ad-account-timezone" />}
        </Field>
        <Field label={t("spend.col.currency")} error={fe.currency}>
          {(p) => <Input {...p} value={currency} onChange={(e) => setCurrency(e.target.value)} maxLength={3} className="uppercase" data-testid="ad-account-currency" />}
        </Field>
      </div>
    </FormDialog>
  );
}
