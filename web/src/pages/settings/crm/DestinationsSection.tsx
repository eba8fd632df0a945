import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Plus, Send } from "lucide-react";
import { useState } from "react";
import { api, unwrap } from "@/api/client";
import { useCurrentUser } from "@/auth/session";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { FormDialog } from "@/components/ui/form-dialog";
import { Pagination } from "@/components/ui/pagination";
import { QueryStates } from "@/components/ui/query-states";
import { DeleteButton, EditButton } from "@/components/ui/row-actions";
import { FormError } from "@/components/ui/states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { errorMessage } from "@/lib/errors";
import { PAGE_SIZE, usePageParam } from "@/lib/usePage";
import { StatusChip } from "@/pages/crm/shared";
import { CRM_ADMIN, type Destination, type DestinationCreate, type DestinationTestResult, type DestinationUpdate } from "@/pages/crm/types";
import { SectionHeader } from "../SectionHeader";
import { DestinationForm, integrationKey } from "./DestinationForm";

type Editing = { mode: "create" } | { mode: "edit"; destination: Destination } | null;

/** What a test send did: status, HTTP status, the error, and the request/response as JSON text. */
export function TestResultView({ result }: { result: DestinationTestResult }) {
  const { t } = useI18n();
  return (
    <div className="grid gap-3 text-sm" data-testid="destination-test-result">
      <div className="flex flex-wrap items-center gap-2">
        <StatusChip status={result.ok ? "success" : "failed"} />
        {result.http_status ? <span className="font-mono">HTTP {result.http_status}</span> : null}
        {result.external_id ? <span className="break-all text-muted-foreground">{t("crm.dest.externalId", { id: result.external_id })}</span> : null}
      </div>
      {result.error ? <p className="break-words text-destructive">{result.error}</p> : null}
      <details>
        <summary className="cursor-pointer font-medium">{t("crm.dest.request")}</summary>
        <pre className="mt-1 max-h-60 overflow-auto whitespace-pre-wrap break-all rounded bg-muted p-2 text-xs">{JSON.stringify(result.request, null, 2)}</pre>
      </details>
      <details>
        <summary className="cursor-pointer font-medium">{t("crm.dest.response")}</summary>
        <pre className="mt-1 max-h-60 overflow-auto whitespace-pre-wrap break-all rounded bg-muted p-2 text-xs">{JSON.stringify(result.response, null, 2)}</pre>
      </details>
    </div>
  );
}

/** Settings → CRM destinations: where new leads and stage changes are pushed. */
export default function DestinationsSection() {
  const { t } = useI18n();
  const me = useCurrentUser();
  const canAdmin = me.permissions.includes(CRM_ADMIN);
  const [page, setPage] = usePageParam();
  const [editing, setEditing] = useState<Editing>(null);
  const [tested, setTested] = useState<{ destination: Destination; result?: DestinationTestResult; error?: unknown } | null>(null);
  const { toast } = useToast();
  const qc = useQueryClient();

  const list = useQuery({
    queryKey: ["crm", "destinations", page],
    queryFn: () => unwrap(api.GET("/api/crm/destinations", { params: { query: { page, page_size: PAGE_SIZE } } })),
    placeholderData: keepPreviousData,
  });
  const invalidate = () => void qc.invalidateQueries({ queryKey: ["crm", "destinations"] });
  const save = useMutation({
    mutationFn: (body: DestinationCreate | DestinationUpdate) =>
      editing?.mode === "edit"
        ? unwrap(api.PATCH("/api/crm/destinations/{destination_id}", { params: { path: { destination_id: editing.destination.destination_id } }, body: body as DestinationUpdate }))
        : unwrap(api.POST("/api/crm/destinations", { body: body as DestinationCreate })),
    onSuccess: (d) => {
      toast(t(editing?.mode === "edit" ? "crm.dest.updated" : "crm.dest.created", { name: d.name }));
      invalidate();
      setEditing(null);
    },
  });
  const remove = useMutation({
    mutationFn: (d: Destination) => unwrap(api.DELETE("/api/crm/destinations/{destination_id}", { params: { path: { destination_id: d.destination_id } } })),
    onSuccess: (_r, d) => {
      toast(t("crm.dest.deleted", { name: d.name }));
      invalidate();
    },
    onError: (e) => toast(errorMessage(e, t), "error"),
  });
  const test = useMutation({
    mutationFn: (d: Destination) => unwrap(api.POST("/api/crm/destinations/{destination_id}/test", { params: { path: { destination_id: d.destination_id } } })),
    onMutate: (d) => setTested({ destination: d }),
    onSuccess: (result, d) => setTested({ destination: d, result }),
    onError: (error, d) => setTested({ destination: d, error }),
  });

  const addButton = canAdmin ? (
    <Button onClick={() => setEditing({ mode: "create" })} data-testid="add-destination">
      <Plus aria-hidden />
      {t("crm.dest.add")}
    </Button>
  ) : null;

  return (
    <section className="grid gap-4">
      <SectionHeader title={t("crm.dest.title")} description={t("crm.dest.description")} action={addButton} />
      <QueryStates query={list} isEmpty={(d) => d.items.length === 0} empty={t("crm.dest.empty")}>
        {(data) => (
          <div>
            <Table>
              <THead>
                <TR>
                  <TH>{t("crm.dest.name")}</TH>
                  <TH>{t("crm.dest.integration")}</TH>
                  <TH>{t("crm.dest.events")}</TH>
                  <TH>{t("members.status")}</TH>
                  {canAdmin ? <TH className="text-right">{t("common.actions")}</TH> : null}
                </TR>
              </THead>
              <TBody>
                {data.items.map((d) => (
                  <TR key={d.destination_id} data-testid="destination-row">
                    <TD className="max-w-[16rem] break-words font-medium">{d.name}</TD>
                    <TD>{t(integrationKey(d.integration_name))}</TD>
                    <TD className="text-xs">
                      {d.events.map((ev) => (
                        <code key={ev} className="mr-1 rounded bg-muted px-1">
                          {ev}
                        </code>
                      ))}
                    </TD>
                    <TD>
                      <Badge variant={d.is_active ? "success" : "secondary"}>{d.is_active ? t("common.active") : t("common.inactive")}</Badge>
                    </TD>
                    {canAdmin ? (
                      <TD className="text-right">
                        <div className="flex justify-end gap-1">
                          <Button variant="outline" size="sm" onClick={() => test.mutate(d)} disabled={test.isPending} data-testid="destination-test">
                            <Send aria-hidden />
                            {t("crm.dest.test")}
                          </Button>
                          <EditButton name={d.name} onClick={() => setEditing({ mode: "edit", destination: d })} />
                          <DeleteButton
                            name={d.name}
                            title={t("crm.dest.deleteTitle", { name: d.name })}
                            description={t("crm.dest.deleteConfirm")}
                            onConfirm={() => remove.mutateAsync(d)}
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
        onClose={() => {
          setEditing(null);
          save.reset();
        }}
        title={editing?.mode === "edit" ? t("crm.dest.editTitle", { name: editing.destination.name }) : t("crm.dest.addTitle")}
        description={t("crm.dest.description")}
      >
        {editing ? (
          <DestinationForm
            key={editing.mode === "edit" ? editing.destination.destination_id : "new"}
            destination={editing.mode === "edit" ? editing.destination : undefined}
            onSubmit={(body) => save.mutate(body)}
            onCancel={() => setEditing(null)}
            error={save.error}
            busy={save.isPending}
          />
        ) : null}
      </FormDialog>

      <FormDialog open={tested !== null} onClose={() => setTested(null)} title={tested ? t("crm.dest.testTitle", { name: tested.destination.name }) : ""} description={t("crm.dest.testDescription")}>
        {tested?.result ? <TestResultView result={tested.result} /> : tested?.error ? <FormError error={tested.error} /> : <p className="text-sm text-muted-foreground">{t("crm.dest.testing")}</p>}
      </FormDialog>
    </section>
  );
}
