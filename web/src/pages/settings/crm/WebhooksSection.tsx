import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { KeyRound, Plus, RefreshCw, Trash2 } from "lucide-react";
import { useState } from "react";
import { api, unwrap } from "@/api/client";
import { ConfirmDialog } from "@/components/ui/alert-dialog";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { SecretValue } from "@/components/ui/copy-button";
import { FormDialog } from "@/components/ui/form-dialog";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { QueryStates } from "@/components/ui/query-states";
import { FormError } from "@/components/ui/states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useToast } from "@/components/ui/toast";
import { hasKey, useI18n, type MessageKey } from "@/i18n";
import { errorMessage } from "@/lib/errors";
import { formatDateTime } from "@/lib/format";
import { stageKey, StageOptions } from "@/pages/crm/shared";
import { STAGES, type IssuedGenericSecret, type IssuedWebhookToken, type Stage, type StageMappings, type WebhookConfig } from "@/pages/crm/types";
import { SectionHeader } from "../SectionHeader";
import { integrationKey } from "./DestinationForm";

const PROVIDERS = ["hubspot", "pipedrive", "rdstation", "generic"] as const;

/** The per-provider URLs (with `{token}` where the token goes) and how each delivery is verified. */
export function ProviderTable({ config }: { config: WebhookConfig }) {
  const { t } = useI18n();
  return (
    <Table>
      <THead>
        <TR>
          <TH>{t("crm.hooks.provider")}</TH>
          <TH>{t("crm.hooks.url")}</TH>
          <TH>{t("crm.hooks.verification")}</TH>
        </TR>
      </THead>
      <TBody>
        {config.providers.map((p) => (
          <TR key={p.provider} data-testid="webhook-provider">
            <TD className="font-medium">{t(integrationKey(p.provider))}</TD>
            <TD className="max-w-[28rem]">
              <code className="break-all text-xs">{p.url_template}</code>
            </TD>
            <TD className="text-xs">
              <div className="break-words">{hasKey(`crm.hooks.verification.${p.provider}`) ? t(`crm.hooks.verification.${p.provider}` as MessageKey) : p.verification}</div>
              <Badge variant={p.credential_configured ? "success" : "secondary"} className="mt-1">
                {p.credential_configured ? t("crm.hooks.credentialSet") : t("crm.hooks.credentialMissing", { service: p.credential_service })}
              </Badge>
            </TD>
          </TR>
        ))}
      </TBody>
    </Table>
  );
}

type Row = { theirs: string; ours: Stage };

function toRows(m: Record<string, string> | undefined): Row[] {
  return Object.entries(m ?? {}).map(([theirs, ours]) => ({ theirs, ours: ours as Stage }));
}

/**
 * The organization's own stage mappings per provider (their stage id or name → our stage),
 * over the defaults shown beside them; Save replaces them all (`PUT /api/crm/stage-mappings`).
 */
export function StageMappingsEditor({ mappings, onSave, busy, error }: { mappings: StageMappings; onSave: (m: Record<string, Record<string, string>>) => void; busy?: boolean; error?: unknown }) {
  const { t } = useI18n();
  const [provider, setProvider] = useState<(typeof PROVIDERS)[number]>("hubspot");
  const [rows, setRows] = useState<Record<string, Row[]>>(() => Object.fromEntries(PROVIDERS.map((p) => [p, toRows(mappings.mappings[p])])));
  const current = rows[provider] ?? [];
  const defaults = Object.entries(mappings.defaults[provider] ?? {});
  const update = (i: number, row: Partial<Row>) => setRows((prev) => ({ ...prev, [provider]: (prev[provider] ?? []).map((r, j) => (j === i ? { ...r, ...row } : r)) }));
  const save = () => {
    const out: Record<string, Record<string, string>> = {};
    for (const p of PROVIDERS) {
      const entries = (rows[p] ?? []).filter((r) => r.theirs.trim() !== "").map((r) => [r.theirs.trim(), r.ours] as const);
      if (entries.length) out[p] = Object.fromEntries(entries);
    }
    onSave(out);
  };
  return (
    <div className="grid gap-3">
      <div className="grid max-w-xs gap-1.5">
        <label htmlFor="mapping-provider" className="text-sm font-medium">
          {t("crm.hooks.provider")}
        </label>
        <NativeSelect id="mapping-provider" value={provider} onChange={(e) => setProvider(e.target.value as (typeof PROVIDERS)[number])}>
          {PROVIDERS.map((p) => (
            <option key={p} value={p}>
              {t(integrationKey(p))}
            </option>
          ))}
        </NativeSelect>
      </div>
      <ul className="grid gap-2" data-testid="mapping-rows">
        {current.map((row, i) => (
          <li key={i} className="grid grid-cols-[1fr_10rem_auto] items-center gap-2" data-testid="mapping-row">
            <Input aria-label={t("crm.hooks.theirStage", { n: i + 1 })} value={row.theirs} onChange={(e) => update(i, { theirs: e.target.value })} maxLength={255} placeholder="closedwon" />
            <NativeSelect aria-label={t("crm.hooks.ourStage", { n: i + 1 })} value={row.ours} onChange={(e) => update(i, { ours: e.target.value as Stage })}>
              <StageOptions />
            </NativeSelect>
            <Button variant="ghost" size="icon" aria-label={t("crm.hooks.removeMapping", { n: i + 1 })} onClick={() => setRows((prev) => ({ ...prev, [provider]: current.filter((_, j) => j !== i) }))}>
              <Trash2 aria-hidden />
            </Button>
          </li>
        ))}
      </ul>
      <div className="flex flex-wrap gap-2">
        <Button variant="outline" size="sm" onClick={() => setRows((prev) => ({ ...prev, [provider]: [...current, { theirs: "", ours: "qualified" }] }))} data-testid="add-mapping">
          <Plus aria-hidden />
          {t("crm.hooks.addMapping")}
        </Button>
        <Button size="sm" onClick={save} disabled={busy} data-testid="save-mappings">
          {busy ? t("common.saving") : t("common.save")}
        </Button>
      </div>
      {error ? <FormError error={error} /> : null}
      {defaults.length ? (
        <details className="text-sm">
          <summary className="cursor-pointer text-muted-foreground">{t("crm.hooks.defaults")}</summary>
          <ul className="mt-1 grid gap-0.5 text-xs">
            {defaults.map(([theirs, ours]) => (
              <li key={theirs}>
                <code className="break-all">{theirs}</code> → {(STAGES as readonly string[]).includes(ours) ? t(stageKey(ours)) : ours}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </div>
  );
}

type Shown = { kind: "token"; issued: IssuedWebhookToken } | { kind: "secret"; issued: IssuedGenericSecret } | null;

/** Settings → CRM webhooks: URLs per provider, token and generic secret (shown once), stage mappings. */
export default function WebhooksSection() {
  const { t, locale } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const [shown, setShown] = useState<Shown>(null);
  const config = useQuery({ queryKey: ["crm", "webhooks"], queryFn: () => unwrap(api.GET("/api/crm/webhooks")) });
  const mappings = useQuery({ queryKey: ["crm", "stage-mappings"], queryFn: () => unwrap(api.GET("/api/crm/stage-mappings")) });
  const rotateToken = useMutation({
    mutationFn: () => unwrap(api.POST("/api/crm/webhooks/rotate-token")),
    onSuccess: (issued) => {
      setShown({ kind: "token", issued });
      void qc.invalidateQueries({ queryKey: ["crm", "webhooks"] });
    },
    onError: (e) => toast(errorMessage(e, t), "error"),
  });
  const rotateSecret = useMutation({
    mutationFn: () => unwrap(api.POST("/api/crm/webhooks/rotate-generic-secret")),
    onSuccess: (issued) => {
      setShown({ kind: "secret", issued });
      void qc.invalidateQueries({ queryKey: ["crm", "webhooks"] });
    },
    onError: (e) => toast(errorMessage(e, t), "error"),
  });
  const saveMappings = useMutation({
    mutationFn: (m: Record<string, Record<string, string>>) => unwrap(api.PUT("/api/crm/stage-mappings", { body: { mappings: m } })),
    onSuccess: (data) => {
      qc.setQueryData(["crm", "stage-mappings"], data);
      toast(t("crm.hooks.mappingsSaved"));
    },
  });

  return (
    <section className="grid gap-4">
      <SectionHeader title={t("crm.hooks.title")} description={t("crm.hooks.description")} />
      <QueryStates query={config}>
        {(c) => (
          <Card>
            <CardContent className="grid gap-4 pt-5">
              <div className="flex flex-wrap items-center justify-between gap-3">
                <p className="text-sm" data-testid="webhook-token-state">
                  {c.token_configured
                    ? t("crm.hooks.tokenSet", { hint: c.token_hint ?? "…", date: c.token_rotated_at ? formatDateTime(c.token_rotated_at, locale) : "—" })
                    : t("crm.hooks.tokenMissing")}
                </p>
                <div className="flex flex-wrap gap-2">
                  <ConfirmDialog
                    trigger={
                      <Button variant="outline" data-testid="rotate-token">
                        <RefreshCw aria-hidden />
                        {c.token_configured ? t("crm.hooks.rotateToken") : t("crm.hooks.createToken")}
                      </Button>
                    }
                    title={t("crm.hooks.rotateTokenTitle")}
                    description={t("crm.hooks.rotateTokenConfirm")}
                    confirmLabel={t("crm.hooks.rotateToken")}
                    destructive={c.token_configured}
                    onConfirm={() => rotateToken.mutateAsync()}
                  />
                  <ConfirmDialog
                    trigger={
                      <Button variant="outline" data-testid="rotate-secret">
                        <KeyRound aria-hidden />
                        {t("crm.hooks.rotateSecret")}
                      </Button>
                    }
                    title={t("crm.hooks.rotateSecretTitle")}
                    description={t("crm.hooks.rotateSecretConfirm")}
                    confirmLabel={t("crm.hooks.rotateSecret")}
                    onConfirm={() => rotateSecret.mutateAsync()}
                  />
                </div>
              </div>
              <ProviderTable config={c} />
            </CardContent>
          </Card>
        )}
      </QueryStates>
      <Card>
        <CardHeader className="pb-3">
          <CardTitle className="text-base">{t("crm.hooks.mappings")}</CardTitle>
          <p className="text-sm text-muted-foreground">{t("crm.hooks.mappingsDescription")}</p>
        </CardHeader>
        <CardContent>
          <QueryStates query={mappings}>
            {(m) => <StageMappingsEditor mappings={m} onSave={(x) => saveMappings.mutate(x)} busy={saveMappings.isPending} error={saveMappings.error} />}
          </QueryStates>
        </CardContent>
      </Card>

      <FormDialog
        open={shown !== null}
        onClose={() => setShown(null)}
        title={shown?.kind === "secret" ? t("crm.hooks.secretTitle") : t("crm.hooks.tokenTitle")}
        description={t("crm.hooks.shownOnce")}
        testId="shown-once"
      >
        {shown?.kind === "token" ? (
          <div className="grid gap-3">
            <SecretValue value={shown.issued.token} testId="issued-token" />
            <ul className="grid gap-2">
              {Object.entries(shown.issued.urls).map(([provider, url]) => (
                <li key={provider} className="grid gap-1 text-sm">
                  <span className="font-medium">{t(integrationKey(provider))}</span>
                  <SecretValue value={url} />
                </li>
              ))}
            </ul>
          </div>
        ) : shown?.kind === "secret" ? (
          <div className="grid gap-3 text-sm">
            <SecretValue value={shown.issued.secret} testId="issued-secret" />
            <dl className="grid gap-1 text-xs">
              <div>
                <dt className="inline font-medium">{t("crm.hooks.signatureHeader")}: </dt>
                <dd className="inline font-mono">{shown.issued.signature_header}</dd>
              </div>
              <div>
                <dt className="inline font-medium">{t("crm.hooks.timestampHeader")}: </dt>
                <dd className="inline font-mono">{shown.issued.timestamp_header}</dd>
              </div>
              <div>
                <dt className="inline font-medium">{t("crm.hooks.scheme")}: </dt>
                <dd className="inline break-all font-mono">{shown.issued.scheme}</dd>
              </div>
            </dl>
          </div>
        ) : null}
        <div className="flex justify-end">
          <Button onClick={() => setShown(null)}>{t("crm.hooks.savedIt")}</Button>
        </div>
      </FormDialog>
    </section>
  );
}
