import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { MessageSquareReply, Square } from "lucide-react";
import { useState } from "react";
import { api, unwrap } from "@/api/client";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { NativeSelect } from "@/components/ui/native-select";
import { Pagination } from "@/components/ui/pagination";
import { QueryStates } from "@/components/ui/query-states";
import { SortableTable, type SortableColumn } from "@/components/ui/sortable-table";
import { EmptyState } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { errorMessage } from "@/lib/errors";
import { formatDateTime } from "@/lib/format";
import { SEQUENCES_KEY } from "./SequenceForm";
import type { Enrollment, EnrollmentStatus } from "./types";

const PAGE_SIZE = 50;
const STATUS_VARIANT = { active: "default", completed: "success", exited: "outline" } as const;

/** Who went (or is going) through the sequence: where each one is, or why they stopped;
 * writers mark a reply (which stops every sequence that stops on replies) or end one. */
export function EnrollmentTable({ sequenceId, canWrite }: { sequenceId: string; canWrite: boolean }) {
  const { t, locale } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const done = (message: string) => {
    void qc.invalidateQueries({ queryKey: SEQUENCES_KEY });
    toast(message);
  };
  const reply = useMutation({
    mutationFn: (contactId: string) => unwrap(api.POST("/api/email/sequences/replies", { body: { contact_id: contactId } })),
    onSuccess: (result) => done(t("sequences.enrollments.replied", { count: result.exited })),
    onError: (e) => toast(errorMessage(e, t), "error"),
  });
  const end = useMutation({
    mutationFn: (enrollmentId: string) =>
      unwrap(api.POST("/api/email/sequences/{sequence_id}/enrollments/{enrollment_id}/exit", { params: { path: { sequence_id: sequenceId, enrollment_id: enrollmentId } } })),
    onSuccess: () => done(t("sequences.enrollments.ended")),
    onError: (e) => toast(errorMessage(e, t), "error"),
  });
  const [status, setStatus] = useState<EnrollmentStatus | "">("");
  const [page, setPage] = useState(1);
  const query = useQuery({
    queryKey: [...SEQUENCES_KEY, sequenceId, "enrollments", status, page],
    queryFn: () =>
      unwrap(
        api.GET("/api/email/sequences/{sequence_id}/enrollments", {
          params: { path: { sequence_id: sequenceId }, query: { page, page_size: PAGE_SIZE, status: status || null } },
        }),
      ),
  });
  const columns: SortableColumn<Enrollment>[] = [
    { id: "email", header: t("sequences.enrollments.col.email"), value: (e) => e.email ?? "" },
    {
      id: "status",
      header: t("sequences.col.status"),
      value: (e) => t(`sequences.enrollments.status.${e.status}`),
      render: (e) => <Badge variant={STATUS_VARIANT[e.status]}>{t(`sequences.enrollments.status.${e.status}`)}</Badge>,
    },
    { id: "position", header: t("sequences.enrollments.col.step"), value: (e) => e.position, numeric: true },
    { id: "reason", header: t("sequences.enrollments.col.reason"), value: (e) => (e.exit_reason ? t(`sequences.exitReason.${e.exit_reason}`) : "") },
    { id: "next", header: t("sequences.enrollments.col.next"), value: (e) => e.next_run_at ?? "", render: (e) => (e.next_run_at ? formatDateTime(e.next_run_at, locale) : "—") },
    { id: "enrolled", header: t("sequences.enrollments.col.enrolled"), value: (e) => e.enrolled_at, render: (e) => formatDateTime(e.enrolled_at, locale) },
  ];
  if (canWrite) {
    columns.push({
      id: "actions",
      header: "",
      value: () => "",
      render: (e) =>
        e.status === "active" ? (
          <div className="flex justify-end gap-1">
            <Button variant="ghost" size="icon" aria-label={t("sequences.enrollments.markReplied", { email: e.email ?? "" })} onClick={() => reply.mutate(e.contact_id)} disabled={reply.isPending}>
              <MessageSquareReply aria-hidden />
            </Button>
            <Button variant="ghost" size="icon" aria-label={t("sequences.enrollments.end", { email: e.email ?? "" })} onClick={() => end.mutate(e.enrollment_id)} disabled={end.isPending}>
              <Square aria-hidden />
            </Button>
          </div>
        ) : null,
    });
  }
  return (
    <Card>
      <CardHeader className="flex flex-row flex-wrap items-center justify-between gap-2 space-y-0">
        <CardTitle className="text-base">{t("sequences.enrollments.title")}</CardTitle>
        <NativeSelect
          aria-label={t("sequences.enrollments.filter")}
          className="w-auto"
          value={status}
          onChange={(e) => {
            setStatus(e.target.value as EnrollmentStatus | "");
            setPage(1);
          }}
        >
          <option value="">{t("sequences.enrollments.all")}</option>
          {(["active", "completed", "exited"] as const).map((s) => (
            <option key={s} value={s}>
              {t(`sequences.enrollments.status.${s}`)}
            </option>
          ))}
        </NativeSelect>
      </CardHeader>
      <CardContent className="space-y-3">
        <QueryStates query={query}>
          {(data) =>
            data.items.length === 0 ? (
              <EmptyState message={t("sequences.enrollments.empty")} />
            ) : (
              <>
                <SortableTable columns={columns} rows={data.items} rowKey={(e) => e.enrollment_id} csvFilename="sequence-enrollments.csv" testId="enrollments-table" />
                <Pagination page={data.page} pageSize={data.page_size} total={data.total} onPageChange={setPage} />
              </>
            )
          }
        </QueryStates>
      </CardContent>
    </Card>
  );
}
