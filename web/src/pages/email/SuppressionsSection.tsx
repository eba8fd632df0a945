import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Plus } from "lucide-react";
import { useState } from "react";
import { api, unwrap } from "@/api/client";
import { useCurrentUser } from "@/auth/session";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { FormDialog } from "@/components/ui/form-dialog";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { Pagination } from "@/components/ui/pagination";
import { QueryStates } from "@/components/ui/query-states";
import { DeleteButton } from "@/components/ui/row-actions";
import { SortableTable, type SortableColumn } from "@/components/ui/sortable-table";
import { useToast } from "@/components/ui/toast";
import { useI18n, type MessageKey } from "@/i18n";
import { errorMessage } from "@/lib/errors";
import { formatDateTime } from "@/lib/format";
import { PAGE_SIZE, usePageParam } from "@/lib/usePage";
import { SectionTitle } from "./shared";
import { EMAIL_WRITE, type Suppression, type SuppressionIn } from "./types";

const SUPPRESSIONS_KEY = ["email", "suppressions"] as const;

function AddSuppressionDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const [draft, setDraft] = useState<SuppressionIn>({ email: "", reason: "manual", note: "" });
  const add = useMutation({
    mutationFn: (body: SuppressionIn) => unwrap(api.POST("/api/email/suppressions", { body })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: SUPPRESSIONS_KEY });
      toast(t("email.suppression.added"));
      setDraft({ email: "", reason: "manual", note: "" });
      onClose();
    },
  });
  return (
    <FormDialog
      open={open}
      onClose={onClose}
      title={t("email.suppression.new")}
      description={t("email.suppression.newDescription")}
      testId="suppression-create"
      form={{
        onSubmit: () => add.mutate({ email: draft.email.trim(), reason: draft.reason, note: draft.note?.trim() || null }),
        submitLabel: t("email.suppression.add"),
        busy: add.isPending,
        disabled: !draft.email.trim(),
        error: add.error,
        submitTestId: "suppression-submit",
      }}
    >
      <Field label={t("email.suppression.email")}>{(p) => <Input {...p} type="email" value={draft.email} maxLength={320} required onChange={(e) => setDraft({ ...draft, email: e.target.value })} data-testid="suppression-email" />}</Field>
      <Field label={t("email.suppression.reason")}>
        {(p) => (
          <NativeSelect {...p} value={draft.reason} onChange={(e) => setDraft({ ...draft, reason: e.target.value as SuppressionIn["reason"] })}>
            <option value="manual">{t("email.suppression.reason.manual")}</option>
            <option value="imported">{t("email.suppression.reason.imported")}</option>
          </NativeSelect>
        )}
      </Field>
      <Field label={t("email.suppression.note")} optionalText={t("common.optional")}>
        {(p) => <Input {...p} value={draft.note ?? ""} maxLength={500} onChange={(e) => setDraft({ ...draft, note: e.target.value })} />}
      </Field>
    </FormDialog>
  );
}

/** The addresses never sent to (manual, hard bounces, complaints, repeated soft bounces, imported), each liftable; CSV of the page shown. */
export default function SuppressionsSection() {
  const { t, locale } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const me = useCurrentUser();
  const canWrite = me.permissions.includes(EMAIL_WRITE);
  const [page, setPage] = usePageParam();
  const [adding, setAdding] = useState(false);
  const list = useQuery({
    queryKey: [...SUPPRESSIONS_KEY, page],
    queryFn: () => unwrap(api.GET("/api/email/suppressions", { params: { query: { page, page_size: PAGE_SIZE } } })),
    placeholderData: keepPreviousData,
  });
  const lift = useMutation({
    mutationFn: (s: Suppression) => unwrap(api.DELETE("/api/email/suppressions/{suppression_id}", { params: { path: { suppression_id: s.suppression_id } } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: SUPPRESSIONS_KEY });
      toast(t("email.suppression.lifted"));
    },
    onError: (e) => toast(errorMessage(e, t), "error"),
  });
  const reason = (s: Suppression) => t(`email.suppression.reason.${s.reason}` as MessageKey);
  const columns: SortableColumn<Suppression>[] = [
    { id: "email", header: t("email.suppression.email"), value: (s) => s.email ?? "", render: (s) => <span className="break-all">{s.email ?? "—"}</span> },
    { id: "reason", header: t("email.suppression.reason"), value: reason, render: (s) => <Badge variant={s.reason === "manual" || s.reason === "imported" ? "secondary" : "destructive"}>{reason(s)}</Badge> },
    { id: "note", header: t("email.suppression.note"), value: (s) => s.note ?? "", render: (s) => <span className="break-words">{s.note ?? ""}</span> },
    { id: "created", header: t("email.suppression.since"), value: (s) => s.created_at, render: (s) => formatDateTime(s.created_at, locale) },
    ...(canWrite
      ? [
          {
            id: "actions",
            header: t("common.actions"),
            value: () => null,
            csv: false as const,
            render: (s: Suppression) => (
              <DeleteButton name={s.email ?? ""} title={t("email.suppression.liftTitle", { email: s.email ?? "" })} description={t("email.suppression.liftDescription")} onConfirm={() => lift.mutateAsync(s)} testId="suppression-lift" />
            ),
          },
        ]
      : []),
  ];
  const addButton = canWrite ? (
    <Button onClick={() => setAdding(true)} data-testid="suppression-new">
      <Plus aria-hidden />
      {t("email.suppression.new")}
    </Button>
  ) : null;
  return (
    <section className="grid grid-cols-1 gap-4">
      <div className="flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
        <SectionTitle title={t("email.suppressions.title")} subtitle={t("email.suppressions.intro")} />
        {addButton}
      </div>
      <QueryStates query={list} isEmpty={(d) => d.total === 0} empty={t("email.suppressions.empty")} emptyAction={addButton}>
        {(data) => (
          <div>
            <SortableTable columns={columns} rows={data.items} rowKey={(s) => s.suppression_id} csvFilename="supressoes-email" testId="suppressions-table" />
            <Pagination page={page} pageSize={PAGE_SIZE} total={data.total} onPageChange={setPage} />
          </div>
        )}
      </QueryStates>
      <AddSuppressionDialog open={adding} onClose={() => setAdding(false)} />
    </section>
  );
}
