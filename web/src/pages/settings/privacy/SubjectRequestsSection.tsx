import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Plus } from "lucide-react";
import { useState } from "react";
import { api, unwrap } from "@/api/client";
import { ConfirmDialog } from "@/components/ui/alert-dialog";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { CsvButton } from "@/components/ui/csv-button";
import { FormDialog } from "@/components/ui/form-dialog";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { NativeSelect } from "@/components/ui/native-select";
import { Pagination } from "@/components/ui/pagination";
import { QueryStates } from "@/components/ui/query-states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useToast } from "@/components/ui/toast";
import { useI18n, type MessageKey } from "@/i18n";
import type { CsvColumn } from "@/lib/csv";
import { saveBlob } from "@/lib/csv";
import { errorMessage } from "@/lib/errors";
import { formatDate } from "@/lib/format";
import { PAGE_SIZE, usePageParam } from "@/lib/usePage";
import { SectionHeader } from "../SectionHeader";
import { RequestDetail } from "./RequestDetail";
import type { RequestKind, SubjectRequest } from "./types";

const STATUS_VARIANT = { received: "secondary", in_progress: "default", done: "success", rejected: "destructive" } as const;

/** The days left to answer, or nothing once the request is closed. */
export function DaysLeft({ request }: { request: SubjectRequest }) {
  const { t } = useI18n();
  if (request.status === "done" || request.status === "rejected") return <span className="text-muted-foreground">—</span>;
  const late = request.days_left < 0;
  return (
    <span className={late || request.days_left <= 3 ? "font-medium text-destructive" : undefined} data-testid="days-left">
      {late ? t("privacy.requests.late", { days: -request.days_left }) : t("privacy.requests.daysLeft", { days: request.days_left })}
    </span>
  );
}

function NewRequestDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const { toast } = useToast();
  const [kind, setKind] = useState<RequestKind>("export");
  const [email, setEmail] = useState("");
  const [phone, setPhone] = useState("");
  const create = useMutation({
    mutationFn: () =>
      unwrap(api.POST("/api/privacy/requests", { body: { kind, email: email.trim() || null, phone: phone.trim() || null } })),
    onSuccess: () => {
      toast(t("privacy.requests.created"));
      void qc.invalidateQueries({ queryKey: ["privacy", "requests"] });
      onClose();
    },
  });
  return (
    <FormDialog
      open={open}
      onClose={onClose}
      title={t("privacy.requests.new")}
      description={t("privacy.requests.newHint")}
      testId="new-request"
      form={{
        onSubmit: () => create.mutate(),
        submitLabel: t("privacy.requests.record"),
        busy: create.isPending,
        disabled: !email.trim() && !phone.trim(),
        error: create.error,
        submitTestId: "new-request-submit",
      }}
    >
      <div className="grid gap-1.5">
        <Label htmlFor="request-kind">{t("privacy.requests.kind")}</Label>
        <NativeSelect id="request-kind" value={kind} onChange={(e) => setKind(e.target.value as RequestKind)}>
          <option value="export">{t("privacy.kind.export")}</option>
          <option value="erase">{t("privacy.kind.erase")}</option>
        </NativeSelect>
      </div>
      <div className="grid gap-1.5">
        <Label htmlFor="request-email">{t("privacy.requests.email")}</Label>
        <Input id="request-email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="off" />
      </div>
      <div className="grid gap-1.5">
        <Label htmlFor="request-phone">{t("privacy.requests.phone")}</Label>
        <Input id="request-phone" type="tel" value={phone} onChange={(e) => setPhone(e.target.value)} autoComplete="off" />
      </div>
    </FormDialog>
  );
}

/** Settings → Privacy: a person's requests to export or erase their data, within the LGPD's 15 days. */
export default function SubjectRequestsSection() {
  const { t, locale } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const [page, setPage] = usePageParam();
  const [creating, setCreating] = useState(false);
  const [openId, setOpenId] = useState<string | null>(null);
  const [rejectReason, setRejectReason] = useState("");
  const list = useQuery({
    queryKey: ["privacy", "requests", page],
    queryFn: () => unwrap(api.GET("/api/privacy/requests", { params: { query: { page, page_size: PAGE_SIZE } } })),
    placeholderData: keepPreviousData,
  });
  const refresh = () => void qc.invalidateQueries({ queryKey: ["privacy"] });
  const run = useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/api/privacy/requests/{request_id}/run", { params: { path: { request_id: id } } })),
    onSuccess: (r) => {
      toast(t(r.kind === "erase" ? "privacy.requests.erasedToast" : "privacy.requests.exportedToast"));
      setOpenId(r.request_id);
      refresh();
    },
    onError: (e) => toast(errorMessage(e, t), "error"),
  });
  const reject = useMutation({
    mutationFn: (id: string) =>
      unwrap(api.POST("/api/privacy/requests/{request_id}/reject", { params: { path: { request_id: id } }, body: { reason: rejectReason.trim() } })),
    onSuccess: () => {
      setRejectReason("");
      refresh();
    },
    onError: (e) => toast(errorMessage(e, t), "error"),
  });
  const download = async (id: string) => {
    const { data, error } = await api.GET("/api/privacy/requests/{request_id}/export", { params: { path: { request_id: id } }, parseAs: "blob" });
    if (error || !data) toast(errorMessage(error, t), "error");
    else saveBlob(`data-subject-${id}.json`, data as Blob);
  };
  const columns: CsvColumn<SubjectRequest>[] = [
    { header: t("privacy.requests.received"), value: (r) => r.received_at },
    { header: t("privacy.requests.kind"), value: (r) => t(`privacy.kind.${r.kind}` as MessageKey) },
    { header: t("privacy.requests.person"), value: (r) => [r.email, r.phone].filter(Boolean).join(" ") },
    { header: t("privacy.requests.status"), value: (r) => t(`privacy.status.${r.status}` as MessageKey) },
    { header: t("privacy.requests.due"), value: (r) => r.due_at },
    { header: t("privacy.requests.finished"), value: (r) => r.finished_at ?? "" },
  ];
  const opened = list.data?.items.find((r) => r.request_id === openId) ?? null;
  return (
    <section className="grid gap-4" data-testid="subject-requests">
      <SectionHeader
        title={t("privacy.requests.title")}
        description={t("privacy.requests.description")}
        action={
          <div className="flex gap-2">
            <CsvButton filename="data-subject-requests" columns={columns} rows={list.data?.items ?? []} disabled={!list.data?.items.length} />
            <Button size="sm" onClick={() => setCreating(true)} data-testid="new-request-button">
              <Plus aria-hidden />
              {t("privacy.requests.new")}
            </Button>
          </div>
        }
      />
      <QueryStates query={list} isEmpty={(d) => d.items.length === 0} empty={t("privacy.requests.empty")}>
        {(data) => (
          <div className="overflow-x-auto">
            <Table>
              <THead>
                <TR>
                  <TH>{t("privacy.requests.received")}</TH>
                  <TH>{t("privacy.requests.kind")}</TH>
                  <TH>{t("privacy.requests.person")}</TH>
                  <TH>{t("privacy.requests.status")}</TH>
                  <TH>{t("privacy.requests.deadline")}</TH>
                  <TH className="text-right">{t("common.actions")}</TH>
                </TR>
              </THead>
              <TBody>
                {data.items.map((r) => (
                  <TR key={r.request_id} data-testid="request-row">
                    <TD className="whitespace-nowrap">{formatDate(r.received_at, locale)}</TD>
                    <TD>{t(`privacy.kind.${r.kind}` as MessageKey)}</TD>
                    <TD className="break-all text-xs">{[r.email, r.phone].filter(Boolean).join(" · ")}</TD>
                    <TD>
                      <Badge variant={STATUS_VARIANT[r.status]}>{t(`privacy.status.${r.status}` as MessageKey)}</Badge>
                    </TD>
                    <TD className="whitespace-nowrap">
                      <DaysLeft request={r} />
                    </TD>
                    <TD className="text-right">
                      <div className="flex flex-wrap justify-end gap-1">
                        <Button variant="ghost" size="sm" onClick={() => setOpenId(r.request_id)} data-testid="request-open">
                          {t("privacy.requests.details")}
                        </Button>
                        {r.status === "received" ? (
                          <>
                            <ConfirmDialog
                              trigger={
                                <Button variant={r.kind === "erase" ? "destructive" : "outline"} size="sm" data-testid="request-run">
                                  {t(r.kind === "erase" ? "privacy.requests.runErase" : "privacy.requests.runExport")}
                                </Button>
                              }
                              title={t(r.kind === "erase" ? "privacy.requests.runErase" : "privacy.requests.runExport")}
                              description={t(r.kind === "erase" ? "privacy.requests.confirmErase" : "privacy.requests.confirmExport")}
                              confirmLabel={t(r.kind === "erase" ? "privacy.requests.runErase" : "privacy.requests.runExport")}
                              onConfirm={() => run.mutateAsync(r.request_id)}
                            />
                            <ConfirmDialog
                              trigger={
                                <Button variant="ghost" size="sm" data-testid="request-reject">
                                  {t("privacy.requests.reject")}
                                </Button>
                              }
                              title={t("privacy.requests.reject")}
                              description={
                                <span className="grid gap-2">
                                  <span>{t("privacy.requests.rejectHint")}</span>
                                  <Input aria-label={t("privacy.requests.reason")} value={rejectReason} onChange={(e) => setRejectReason(e.target.value)} />
                                </span>
                              }
                              confirmLabel={t("privacy.requests.reject")}
                              onConfirm={() => (rejectReason.trim() ? reject.mutateAsync(r.request_id) : Promise.resolve())}
                            />
                          </>
                        ) : null}
                      </div>
                    </TD>
                  </TR>
                ))}
              </TBody>
            </Table>
            <Pagination page={page} pageSize={PAGE_SIZE} total={data.total} onPageChange={setPage} />
          </div>
        )}
      </QueryStates>
      <NewRequestDialog key={creating ? "open" : "closed"} open={creating} onClose={() => setCreating(false)} />
      <FormDialog
        open={opened !== null}
        onClose={() => setOpenId(null)}
        title={opened ? `${t(`privacy.kind.${opened.kind}` as MessageKey)} · ${t(`privacy.status.${opened.status}` as MessageKey)}` : ""}
        testId="request-dialog"
      >
        {opened ? <RequestDetail request={opened} onDownload={() => void download(opened.request_id)} /> : null}
      </FormDialog>
    </section>
  );
}
