import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Plug } from "lucide-react";
import { useState } from "react";
import { api, unwrap } from "@/api/client";
import type { Credential, CredentialCreate, CredentialUpdate } from "@/api/types";
import { PERM } from "@/auth/permissions";
import { useCurrentUser } from "@/auth/session";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { CopyButton } from "@/components/ui/copy-button";
import { FormDialog } from "@/components/ui/form-dialog";
import { Pagination } from "@/components/ui/pagination";
import { QueryStates } from "@/components/ui/query-states";
import { DeleteButton, EditButton } from "@/components/ui/row-actions";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useToast } from "@/components/ui/toast";
import { serviceLabel } from "./serviceLabels";
import { useI18n } from "@/i18n";
import { errorMessage } from "@/lib/errors";
import { formatDateTime } from "@/lib/format";
import { PAGE_SIZE, usePageParam } from "@/lib/usePage";
import { AccountPicker, ConnectButtons, SERVICE_OF, startConnection, type ConnectPlatform } from "./ConnectAccounts";
import { CredentialForm } from "./CredentialForm";
import { platformWebhookUrl } from "./platformWebhooks";
import { SectionHeader } from "./SectionHeader";

type Editing = { mode: "create" } | { mode: "edit"; credential: Credential } | null;

export default function CredentialsSection() {
  const { t, locale } = useI18n();
  const me = useCurrentUser();
  const canWrite = me.permissions.includes(PERM.credentialsWrite);
  const [page, setPage] = usePageParam();
  const [editing, setEditing] = useState<Editing>(null);
  const { toast } = useToast();
  const qc = useQueryClient();

  const services = useQuery({
    queryKey: ["credential-services"],
    queryFn: () => unwrap(api.GET("/api/credentials/services")),
    staleTime: 10 * 60_000,
  });
  const query = useQuery({
    queryKey: ["credentials", page],
    queryFn: () => unwrap(api.GET("/api/credentials", { params: { query: { page, page_size: PAGE_SIZE } } })),
    placeholderData: keepPreviousData,
  });

  const save = useMutation({
    mutationFn: (body: CredentialCreate | CredentialUpdate) =>
      editing?.mode === "edit"
        ? unwrap(api.PUT("/api/credentials/{credential_id}", { params: { path: { credential_id: editing.credential.id } }, body: body as CredentialUpdate }))
        : unwrap(api.POST("/api/credentials", { body: body as CredentialCreate })),
    onSuccess: (cred) => {
      toast(t(editing?.mode === "edit" ? "credentials.updated" : "credentials.created", { name: cred.name }));
      void qc.invalidateQueries({ queryKey: ["credentials"] });
      setEditing(null);
    },
  });
  const remove = useMutation({
    mutationFn: (c: Credential) => unwrap(api.DELETE("/api/credentials/{credential_id}", { params: { path: { credential_id: c.id } } })),
    onSuccess: (_d, c) => {
      toast(t("credentials.deleted", { name: c.name }));
      void qc.invalidateQueries({ queryKey: ["credentials"] });
    },
    onError: (e) => toast(errorMessage(e, t), "error"),
  });

  const close = () => {
    setEditing(null);
    save.reset();
  };
  const reconnectable = (c: Credential) => (c.settings as Record<string, unknown> | undefined)?.connected_by_oauth === "true";
  const reconnect = async (c: Credential) => {
    const platform = (Object.keys(SERVICE_OF) as ConnectPlatform[]).find((p) => SERVICE_OF[p] === c.service);
    if (!platform) return;
    try {
      await startConnection(platform, c.id);
    } catch (e) {
      toast(t("connect.startFailed", { reason: errorMessage(e, t) }), "error");
    }
  };
  const labelOf = (s: string) => serviceLabel(t, s, services.data?.find((d) => d.service === s)?.label);
  const addButton = canWrite ? (
    <Button onClick={() => setEditing({ mode: "create" })} disabled={!services.data} data-testid="add-credential">
      <Plug aria-hidden />
      {t("credentials.add")}
    </Button>
  ) : null;

  return (
    <section className="grid grid-cols-1 gap-4">
      <SectionHeader title={t("credentials.title")} description={t("credentials.description")} action={addButton} />
      <AccountPicker />
      {canWrite ? <ConnectButtons /> : null}
      <QueryStates query={query} isEmpty={(d) => d.items.length === 0} empty={t("credentials.empty")} emptyAction={addButton}>
        {(data) => (
          <div>
            <Table>
              <THead>
                <TR>
                  <TH>{t("credentials.name")}</TH>
                  <TH>{t("credentials.service")}</TH>
                  <TH>{t("credentials.apiKey")}</TH>
                  <TH>{t("credentials.apiSecret")}</TH>
                  <TH>{t("members.status")}</TH>
                  <TH>{t("credentials.updatedAt")}</TH>
                  {canWrite ? <TH className="text-right">{t("common.actions")}</TH> : null}
                </TR>
              </THead>
              <TBody>
                {data.items.map((c) => (
                  <TR key={c.id} data-testid="credential-row">
                    <TD className="font-medium">
                      {c.name}
                      {c.api_url ? <div className="break-all text-xs font-normal text-muted-foreground">{c.api_url}</div> : null}
                      <WebhookUrl url={platformWebhookUrl(c.service, c.id, window.location.origin)} />
                    </TD>
                    <TD>{labelOf(c.service)}</TD>
                    <TD>
                      <code className="font-mono text-xs">{c.api_key_masked}</code>
                    </TD>
                    <TD>{c.api_secret_masked ? <code className="font-mono text-xs">{c.api_secret_masked}</code> : <span className="text-muted-foreground">—</span>}</TD>
                    <TD>
                      <Badge variant={c.is_active ? "success" : "secondary"}>{c.is_active ? t("common.active") : t("common.inactive")}</Badge>
                    </TD>
                    <TD className="whitespace-nowrap">{formatDateTime(c.updated_at, locale)}</TD>
                    {canWrite ? (
                      <TD className="text-right">
                        <div className="flex justify-end gap-1">
                          {reconnectable(c) ? (
                            <Button variant="ghost" size="sm" onClick={() => void reconnect(c)} data-testid="reconnect-credential">
                              {t("connect.reconnect")}
                            </Button>
                          ) : null}
                          <EditButton name={c.name} onClick={() => setEditing({ mode: "edit", credential: c })} disabled={!services.data} />
                          <DeleteButton
                            name={c.name}
                            title={t("credentials.deleteTitle", { name: c.name })}
                            description={t("credentials.deleteConfirm")}
                            onConfirm={() => remove.mutateAsync(c)}
                          />
                        </div>
                      </TD>
                    ) : null}
                  </TR>
                ))}
              </TBody>
            </Table>
            <Pagination page={page} pageSize={PAGE_SIZE} total={data.total} onPageChange={setPage} />
          </div>
        )}
      </QueryStates>
      <FormDialog
        open={editing !== null}
        onClose={close}
        title={editing?.mode === "edit" ? t("credentials.editTitle", { name: editing.credential.name }) : t("credentials.addTitle")}
        description={t("credentials.description")}
      >
        {editing && services.data ? (
          <CredentialForm
            key={editing.mode === "edit" ? editing.credential.id : "new"}
            services={services.data}
            credential={editing.mode === "edit" ? editing.credential : undefined}
            onSubmit={(body) => save.mutate(body)}
            onCancel={close}
            error={save.error}
            busy={save.isPending}
          />
        ) : null}
      </FormDialog>
    </section>
  );
}

/** Where a checkout platform posts its sales: shown under the credential, with a copy button. */
function WebhookUrl({ url }: { url: string | null }) {
  const { t } = useI18n();
  if (!url) return null;
  return (
    <div className="mt-1 grid gap-1 text-xs font-normal" data-testid="platform-webhook-url">
      <span className="text-muted-foreground">{t("credentials.webhookUrl")}</span>
      <div className="flex flex-wrap items-center gap-2">
        <code className="select-all break-all font-mono">{url}</code>
        <CopyButton value={url} label={t("credentials.webhookUrl")} />
      </div>
    </div>
  );
}
