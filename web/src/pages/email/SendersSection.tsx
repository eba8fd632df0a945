import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Plus } from "lucide-react";
import { useState } from "react";
import { Link } from "react-router";
import { api, unwrap } from "@/api/client";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { CopyButton } from "@/components/ui/copy-button";
import { Field } from "@/components/ui/field";
import { FormDialog } from "@/components/ui/form-dialog";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { QueryStates } from "@/components/ui/query-states";
import { SortableTable, type SortableColumn } from "@/components/ui/sortable-table";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { formatDate, formatNumber } from "@/lib/format";
import { API_KINDS, credentialBody, EMPTY_KEY, isApiKind, keyComplete, PROVIDER_NAMES, type ProviderKey, ProviderKeyFields } from "./ProviderKeyFields";
import { useSenders } from "./queries";
import { SectionTitle } from "./shared";
import { SENDERS_KEY, type Sender, type SenderCreate } from "./types";

/** The providers whose webhook URL a sender offers (each shown when the API gives it). */
const WEBHOOK_PROVIDERS: [string, string][] = [
  ["ses", "Amazon SES"],
  ["postmark", "Postmark"],
  ["sendgrid", "SendGrid"],
  ["mailgun", "Mailgun"],
];

function CreateSenderDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const blank = { name: "", kind: "simulated" as SenderCreate["kind"], credential_id: "", rate: "10" };
  const [draft, setDraft] = useState(blank);
  const [typed, setTyped] = useState<ProviderKey>(EMPTY_KEY);
  const service = draft.kind === "simulated" ? null : draft.kind;
  const credentials = useQuery({
    queryKey: ["credentials", service],
    queryFn: () => unwrap(api.GET("/api/credentials", { params: { query: { service: service!, page: 1, page_size: 100 } } })),
    enabled: open && service !== null,
  });
  const create = useMutation({
    mutationFn: async (body: SenderCreate) => {
      // A key typed here becomes a vault credential first (the API masks it from then on).
      if (isApiKind(body.kind) && !body.credential_id) {
        const credential = await unwrap(api.POST("/api/credentials", { body: credentialBody(body.kind, body.name, typed) }));
        body = { ...body, credential_id: credential.id };
      }
      return unwrap(api.POST("/api/email/senders", { body }));
    },
    onSuccess: (s) => {
      void qc.invalidateQueries({ queryKey: SENDERS_KEY });
      void qc.invalidateQueries({ queryKey: ["credentials"] });
      toast(t("email.sender.created", { name: s.name }));
      setDraft(blank);
      setTyped(EMPTY_KEY);
      onClose();
    },
  });
  const smtp = draft.kind === "smtp";
  const provider = isApiKind(draft.kind) ? draft.kind : null;
  const noCredential = smtp && credentials.data?.items.length === 0;
  const typingKey = provider !== null && !draft.credential_id;
  const ready = smtp ? !!draft.credential_id : provider ? !!draft.credential_id || keyComplete(provider, typed) : true;
  const kindHint = provider ? t("email.sender.kind.apiHint", { provider: PROVIDER_NAMES[provider] }) : t(smtp ? "email.sender.kind.smtpHint" : "email.sender.kind.simulatedHint");
  return (
    <FormDialog
      open={open}
      onClose={onClose}
      title={t("email.sender.new")}
      testId="sender-create"
      form={{
        onSubmit: () => create.mutate({ name: draft.name.trim(), kind: draft.kind, credential_id: service ? draft.credential_id || null : null, rate_per_second: Number(draft.rate) || 10 }),
        submitLabel: t("email.sender.create"),
        busy: create.isPending,
        disabled: !draft.name.trim() || !ready,
        error: create.error,
        submitTestId: "sender-submit",
      }}
    >
      <Field label={t("email.sender.name")}>{(p) => <Input {...p} value={draft.name} maxLength={200} required onChange={(e) => setDraft({ ...draft, name: e.target.value })} data-testid="sender-name" />}</Field>
      <Field label={t("email.sender.kind")} hint={kindHint}>
        {(p) => (
          <NativeSelect {...p} value={draft.kind} onChange={(e) => setDraft({ ...draft, kind: e.target.value as SenderCreate["kind"], credential_id: "" })} data-testid="sender-kind">
            <option value="simulated">{t("email.sender.kind.simulated")}</option>
            <option value="smtp">{t("email.sender.kind.smtp")}</option>
            {API_KINDS.map((kind) => (
              <option key={kind} value={kind}>
                {t(`email.sender.kind.${kind}`)}
              </option>
            ))}
          </NativeSelect>
        )}
      </Field>
      {smtp ? (
        <Field
          label={t("email.sender.credential")}
          hint={
            noCredential ? (
              <>
                {t("email.sender.noCredential")}{" "}
                <Link to="/settings/credentials" className="text-primary hover:underline">
                  {t("email.sender.addCredential")}
                </Link>
              </>
            ) : undefined
          }
        >
          {(p) => (
            <NativeSelect {...p} value={draft.credential_id} onChange={(e) => setDraft({ ...draft, credential_id: e.target.value })} required data-testid="sender-credential">
              <option value="">{t("email.sender.chooseCredential")}</option>
              {(credentials.data?.items ?? []).map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </NativeSelect>
          )}
        </Field>
      ) : null}
      {provider && (credentials.data?.items.length ?? 0) > 0 ? (
        <Field label={t("email.provider.credential", { provider: PROVIDER_NAMES[provider] })}>
          {(p) => (
            <NativeSelect {...p} value={draft.credential_id} onChange={(e) => setDraft({ ...draft, credential_id: e.target.value })} data-testid="sender-credential">
              <option value="">{t("email.provider.newKey")}</option>
              {(credentials.data?.items ?? []).map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </NativeSelect>
          )}
        </Field>
      ) : null}
      {provider && typingKey ? <ProviderKeyFields kind={provider} value={typed} onChange={setTyped} /> : null}
      <Field label={t("email.sender.rate")} hint={t("email.sender.rateHint")}>
        {(p) => <Input {...p} type="number" min={1} max={1000} value={draft.rate} onChange={(e) => setDraft({ ...draft, rate: e.target.value })} />}
      </Field>
    </FormDialog>
  );
}

/** How campaigns leave: simulated, SMTP or provider API (Amazon SES, SendGrid, Postmark, Mailgun) senders, with the webhook URLs to give Amazon SES and Postmark for bounces and complaints. */
export default function SendersSection() {
  const { t, locale } = useI18n();
  const senders = useSenders();
  const [creating, setCreating] = useState(false);
  const kindLabel = (s: Sender) => t(`email.sender.kind.${s.kind}`);
  const columns: SortableColumn<Sender>[] = [
    { id: "name", header: t("email.sender.name"), value: (s) => s.name, render: (s) => <span className="break-words font-medium">{s.name}</span> },
    { id: "kind", header: t("email.sender.kind"), value: kindLabel, render: (s) => <Badge variant={s.kind === "simulated" ? "secondary" : "default"}>{kindLabel(s)}</Badge> },
    { id: "rate", header: t("email.sender.rate"), numeric: true, value: (s) => s.rate_per_second, render: (s) => formatNumber(s.rate_per_second, locale) },
    { id: "created", header: t("email.common.created"), value: (s) => s.created_at, render: (s) => formatDate(s.created_at, locale) },
    {
      id: "webhooks",
      header: t("email.sender.webhooks"),
      value: () => null,
      csv: false,
      render: (s) => {
        const urls = (s.webhooks ?? {}) as Record<string, string | undefined>;
        return (
          <div className="flex flex-wrap gap-2">
            {WEBHOOK_PROVIDERS.filter(([key]) => urls[key]).map(([key, provider]) => (
              <span key={key} className="inline-flex items-center gap-1 text-xs">
                {provider} <CopyButton value={urls[key]!} label={t("email.sender.copyWebhook", { provider })} />
              </span>
            ))}
          </div>
        );
      },
    },
  ];
  if (!senders.admin) return <p className="text-sm text-muted-foreground">{t("settings.noPermission")}</p>;
  const newButton = (
    <Button onClick={() => setCreating(true)} data-testid="sender-new">
      <Plus aria-hidden />
      {t("email.sender.new")}
    </Button>
  );
  return (
    <section className="grid grid-cols-1 gap-4">
      <div className="flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
        <SectionTitle title={t("email.senders.title")} subtitle={t("email.senders.intro")} />
        {newButton}
      </div>
      <QueryStates query={senders} isEmpty={(d) => d.length === 0} empty={t("email.senders.empty")} emptyAction={newButton}>
        {(list) => (
          <div className="grid gap-2">
            <SortableTable columns={columns} rows={list} rowKey={(s) => s.sender_id} csvFilename="remetentes-email" testId="senders-table" />
            <p className="text-xs text-muted-foreground">{t("email.senders.webhooksHint")}</p>
          </div>
        )}
      </QueryStates>
      <CreateSenderDialog open={creating} onClose={() => setCreating(false)} />
    </section>
  );
}
