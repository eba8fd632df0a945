import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { KeyRound } from "lucide-react";
import { useState } from "react";
import { api, unwrap } from "@/api/client";
import type { ApiKey } from "@/api/types";
import { PERM } from "@/auth/permissions";
import { useCurrentUser } from "@/auth/session";
import { ConfirmDialog } from "@/components/ui/alert-dialog";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Pagination } from "@/components/ui/pagination";
import { QueryStates } from "@/components/ui/query-states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { errorMessage } from "@/lib/errors";
import { formatDate, formatDateTime, formatRelative } from "@/lib/format";
import { PAGE_SIZE, usePageParam } from "@/lib/usePage";
import { ApiKeyCreateDialog } from "./ApiKeyCreateDialog";
import { SectionHeader } from "./SectionHeader";

export default function ApiKeysSection() {
  const { t, locale } = useI18n();
  const me = useCurrentUser();
  const canWrite = me.permissions.includes(PERM.apiKeysWrite);
  const [page, setPage] = usePageParam();
  const [createOpen, setCreateOpen] = useState(false);
  const { toast } = useToast();
  const qc = useQueryClient();

  const query = useQuery({
    queryKey: ["api-keys", page],
    queryFn: () => unwrap(api.GET("/api/api-keys", { params: { query: { page, page_size: PAGE_SIZE } } })),
    placeholderData: keepPreviousData,
  });

  const revoke = useMutation({
    mutationFn: (key: ApiKey) => unwrap(api.DELETE("/api/api-keys/{api_key_id}", { params: { path: { api_key_id: key.id } } })),
    onSuccess: (_d, key) => {
      toast(t("apiKeys.revokedToast", { name: key.name }));
      void qc.invalidateQueries({ queryKey: ["api-keys"] });
    },
    onError: (e) => toast(errorMessage(e, t), "error"),
  });

  const createButton = canWrite ? (
    <Button onClick={() => setCreateOpen(true)} data-testid="create-api-key">
      <KeyRound aria-hidden />
      {t("apiKeys.create")}
    </Button>
  ) : null;

  return (
    <section className="grid grid-cols-1 gap-4">
      <SectionHeader title={t("apiKeys.title")} description={t("apiKeys.description")} action={createButton} />
      <QueryStates query={query} isEmpty={(d) => d.items.length === 0} empty={t("apiKeys.empty")} emptyAction={createButton}>
        {(data) => (
          <div>
            <Table>
              <THead>
                <TR>
                  <TH>{t("apiKeys.name")}</TH>
                  <TH>{t("apiKeys.prefix")}</TH>
                  <TH>{t("apiKeys.scopes")}</TH>
                  <TH>{t("apiKeys.createdAt")}</TH>
                  <TH>{t("apiKeys.lastUsed")}</TH>
                  <TH>{t("apiKeys.status")}</TH>
                  {canWrite ? <TH className="text-right">{t("common.actions")}</TH> : null}
                </TR>
              </THead>
              <TBody>
                {data.items.map((k) => (
                  <TR key={k.id} data-testid="api-key-row">
                    <TD className="font-medium">
                      {k.name}
                      {k.created_by ? <div className="text-xs font-normal text-muted-foreground">{t("apiKeys.createdBy")}: {k.created_by.name}</div> : null}
                    </TD>
                    <TD>
                      <code className="whitespace-nowrap font-mono text-xs" data-testid="api-key-prefix">
                        {k.prefix}…
                      </code>
                    </TD>
                    <TD>
                      <div className="flex max-w-xs flex-wrap gap-1">
                        {k.scopes.map((s) => (
                          <Badge key={s} variant="outline" className="font-mono font-normal">
                            {s}
                          </Badge>
                        ))}
                      </div>
                    </TD>
                    <TD className="whitespace-nowrap">{formatDate(k.created_at, locale)}</TD>
                    <TD className="whitespace-nowrap">
                      {k.last_used_at ? (
                        <time dateTime={k.last_used_at} title={formatDateTime(k.last_used_at, locale)}>
                          {formatRelative(k.last_used_at, locale)}
                          <span className="sr-only"> ({formatDateTime(k.last_used_at, locale)})</span>
                        </time>
                      ) : (
                        <span className="text-muted-foreground">{t("common.never")}</span>
                      )}
                    </TD>
                    <TD>
                      {k.revoked_at ? (
                        <Badge variant="destructive" title={formatDateTime(k.revoked_at, locale)}>
                          {t("apiKeys.revoked")}
                        </Badge>
                      ) : (
                        <Badge variant="success">{t("common.active")}</Badge>
                      )}
                    </TD>
                    {canWrite ? (
                      <TD className="text-right">
                        {k.revoked_at ? null : (
                          <ConfirmDialog
                            trigger={
                              <Button variant="outline" size="sm">
                                {t("apiKeys.revoke")}
                              </Button>
                            }
                            title={t("apiKeys.revokeTitle", { name: k.name })}
                            description={t("apiKeys.revokeConfirm")}
                            confirmLabel={t("apiKeys.revoke")}
                            onConfirm={() => revoke.mutateAsync(k)}
                          />
                        )}
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
      {canWrite ? (
        <ApiKeyCreateDialog open={createOpen} onOpenChange={setCreateOpen} onCreated={() => void qc.invalidateQueries({ queryKey: ["api-keys"] })} />
      ) : null}
    </section>
  );
}
