import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { History, Plus } from "lucide-react";
import { useState } from "react";
import { api, unwrap } from "@/api/client";
import { usePermissions } from "@/auth/session";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { FormDialog } from "@/components/ui/form-dialog";
import { NativeSelect } from "@/components/ui/native-select";
import { QueryStates } from "@/components/ui/query-states";
import { DeleteButton } from "@/components/ui/row-actions";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { errorMessage } from "@/lib/errors";
import { formatDateTime } from "@/lib/format";
import { platformName } from "@/pages/conversions/shared";
import { SectionHeader } from "../SectionHeader";
import { AdAccountDialog } from "./AdAccountForm";
import { ImportLog, RunStatus } from "./ImportLog";
import { ACCOUNTS_KEY, IMPORTS_KEY, isActive, POLL_MS, SPEND_ADMIN, type AdAccount, type AdAccountCreate } from "./types";

const MONTHS = Array.from({ length: 13 }, (_, i) => i + 1);

function accountLabel(account: AdAccount): string {
  return account.name ? `${account.name} (${account.account_id})` : account.account_id;
}

/** Start a backfill of 1 to 13 months of an account. */
function BackfillDialog({ account, onClose }: { account: AdAccount | null; onClose: () => void }) {
  const { t } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const [months, setMonths] = useState(13);
  const start = useMutation({
    mutationFn: (a: AdAccount) => unwrap(api.POST("/api/analytics/spend/accounts/{account_id}/backfill", { params: { path: { account_id: a.id } }, body: { months } })),
    onSuccess: (_run, a) => {
      toast(t("spend.backfill.started", { account: accountLabel(a) }));
      void qc.invalidateQueries({ queryKey: IMPORTS_KEY });
      void qc.invalidateQueries({ queryKey: ACCOUNTS_KEY });
      onClose();
    },
  });
  return (
    <FormDialog
      open={account !== null}
      onClose={() => {
        start.reset();
        onClose();
      }}
      title={account ? t("spend.backfill.title", { account: accountLabel(account) }) : ""}
      description={t("spend.backfill.description")}
      testId="backfill-dialog"
      form={{ onSubmit: () => account && start.mutate(account), submitLabel: t("spend.backfill.start"), busy: start.isPending, error: start.error, submitTestId: "backfill-submit" }}
    >
      <Field label={t("spend.backfill.months")}>
        {(p) => (
          <NativeSelect {...p} value={months} onChange={(e) => setMonths(Number(e.target.value))} data-testid="backfill-months">
            {MONTHS.map((m) => (
              <option key={m} value={m}>
                {t("spend.backfill.monthsOption", { months: m })}
              </option>
            ))}
          </NativeSelect>
        )}
      </Field>
    </FormDialog>
  );
}

/** Settings → Ad accounts: the connected ad accounts, their last import and status, backfills, and the import run log. */
export default function AdAccountsSection() {
  const { t, locale } = useI18n();
  const can = usePermissions();
  const admin = can(SPEND_ADMIN);
  const { toast } = useToast();
  const qc = useQueryClient();
  const [adding, setAdding] = useState(false);
  const [backfilling, setBackfilling] = useState<AdAccount | null>(null);

  const accounts = useQuery({
    queryKey: ACCOUNTS_KEY,
    queryFn: () => unwrap(api.GET("/api/analytics/spend/accounts")),
    refetchInterval: (query) => (query.state.data?.some((a) => isActive(a.last_run)) ? POLL_MS : false),
  });
  const create = useMutation({
    mutationFn: (body: AdAccountCreate) => unwrap(api.POST("/api/analytics/spend/accounts", { body })),
    onSuccess: (a) => {
      toast(t("spend.accounts.added", { account: accountLabel(a) }));
      void qc.invalidateQueries({ queryKey: ACCOUNTS_KEY });
      setAdding(false);
    },
  });
  const remove = useMutation({
    mutationFn: (a: AdAccount) => unwrap(api.DELETE("/api/analytics/spend/accounts/{account_id}", { params: { path: { account_id: a.id } } })),
    onSuccess: (_r, a) => {
      toast(t("spend.accounts.removed", { account: accountLabel(a) }));
      void qc.invalidateQueries({ queryKey: ACCOUNTS_KEY });
    },
    onError: (e) => toast(errorMessage(e, t), "error"),
  });

  const addButton = admin ? (
    <Button onClick={() => setAdding(true)} data-testid="add-ad-account">
      <Plus aria-hidden />
      {t("spend.accounts.add")}
    </Button>
  ) : null;

  return (
    <div className="grid gap-8">
      <section className="grid gap-4">
        <SectionHeader title={t("spend.accounts.title")} description={t("spend.accounts.description")} action={addButton} />
        <QueryStates query={accounts} isEmpty={(d) => d.length === 0} empty={t("spend.accounts.empty")} emptyAction={addButton}>
          {(data) => (
            <Table aria-label={t("spend.accounts.title")}>
              <THead>
                <TR>
                  <TH>{t("spend.col.platform")}</TH>
                  <TH>{t("spend.col.account")}</TH>
                  <TH>{t("spend.col.credential")}</TH>
                  <TH>{t("spend.col.timezone")}</TH>
                  <TH>{t("spend.col.currency")}</TH>
                  <TH>{t("spend.col.lastImport")}</TH>
                  <TH>{t("spend.col.status")}</TH>
                  {admin ? <TH className="text-right">{t("common.actions")}</TH> : null}
                </TR>
              </THead>
              <TBody>
                {data.map((a) => (
                  <TR key={a.id} data-testid="ad-account-row">
                    <TD className="font-medium">{platformName(a.platform)}</TD>
                    <TD>
                      {a.name ? <div>{a.name}</div> : null}
                      <span className="font-mono text-xs text-muted-foreground">{a.account_id}</span>
                    </TD>
                    <TD className="font-mono text-xs">
                      <CredentialName id={a.credential_id} />
                    </TD>
                    <TD className="text-xs">{a.timezone}</TD>
                    <TD>{a.currency}</TD>
                    <TD className="whitespace-nowrap text-xs">{a.last_imported_at ? formatDateTime(a.last_imported_at, locale) : t("common.never")}</TD>
                    <TD>
                      {a.last_run ? <RunStatus run={a.last_run} /> : <span className="text-xs text-muted-foreground">{t("spend.accounts.noRun")}</span>}
                      {a.last_run?.error ? <p className="mt-1 max-w-xs break-words text-xs text-destructive">{a.last_run.error}</p> : null}
                    </TD>
                    {admin ? (
                      <TD className="text-right">
                        <div className="flex justify-end gap-1">
                          <Button variant="outline" size="sm" onClick={() => setBackfilling(a)} disabled={isActive(a.last_run)} data-testid="backfill-button">
                            <History aria-hidden />
                            {t("spend.backfill.button")}
                          </Button>
                          <DeleteButton
                            name={accountLabel(a)}
                            title={t("spend.accounts.removeTitle", { account: accountLabel(a) })}
                            description={t("spend.accounts.removeConfirm")}
                            onConfirm={() => remove.mutateAsync(a)}
                            testId="remove-ad-account"
                          />
                        </div>
                      </TD>
                    ) : null}
                  </TR>
                ))}
              </TBody>
            </Table>
          )}
        </QueryStates>
      </section>
      <ImportLog />
      {adding ? (
        <AdAccountDialog
          open
          onClose={() => {
            setAdding(false);
            create.reset();
          }}
          onSubmit={(body) => create.mutate(body)}
          busy={create.isPending}
          error={create.error}
        />
      ) : null}
      <BackfillDialog account={backfilling} onClose={() => setBackfilling(null)} />
    </div>
  );
}

/** A credential's name from the vault list (its id when the list cannot be read). */
function CredentialName({ id }: { id: string }) {
  const can = usePermissions();
  const list = useQuery({
    queryKey: ["credentials", "all"],
    queryFn: () => unwrap(api.GET("/api/credentials", { params: { query: { page: 1, page_size: 200 } } })),
    enabled: can("credentials:read"),
    staleTime: 60_000,
  });
  const credential = list.data?.items.find((c) => c.id === id);
  return <span className={credential ? "font-sans" : undefined}>{credential?.name ?? id.slice(0, 8)}</span>;
}
