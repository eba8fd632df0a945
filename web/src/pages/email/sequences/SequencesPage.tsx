import { useQuery } from "@tanstack/react-query";
import { Plus } from "lucide-react";
import { useState } from "react";
import { Link, Route, Routes, useNavigate } from "react-router";
import { api, unwrap } from "@/api/client";
import { useCurrentUser } from "@/auth/session";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { QueryStates } from "@/components/ui/query-states";
import { SortableTable, type SortableColumn } from "@/components/ui/sortable-table";
import { EmptyState } from "@/components/ui/states";
import { useI18n } from "@/i18n";
import { formatDate } from "@/lib/format";
import SequenceEditor from "./SequenceEditor";
import { SEQUENCES_KEY, SequenceFormDialog } from "./SequenceForm";
import { describeTrigger, EMAIL_WRITE, STATUS_VARIANT, type Sequence } from "./types";

/** The sequences as a sortable table with CSV; an empty state that says what to do. */
export function SequenceList() {
  const { t, locale } = useI18n();
  const me = useCurrentUser();
  const canWrite = me.permissions.includes(EMAIL_WRITE);
  const navigate = useNavigate();
  const [creating, setCreating] = useState(false);
  const query = useQuery({ queryKey: [...SEQUENCES_KEY, "list"], queryFn: () => unwrap(api.GET("/api/email/sequences")) });
  const columns: SortableColumn<Sequence>[] = [
    {
      id: "name",
      header: t("sequences.col.name"),
      value: (s) => s.name,
      render: (s) => (
        <Link className="font-medium text-primary hover:underline" to={`/email/sequences/${s.sequence_id}`}>
          {s.name}
        </Link>
      ),
    },
    { id: "trigger", header: t("sequences.col.trigger"), value: (s) => describeTrigger(s, t) },
    { id: "steps", header: t("sequences.col.steps"), value: (s) => s.steps?.length ?? 0, numeric: true },
    { id: "active", header: t("sequences.col.active"), value: (s) => s.active_enrollments ?? 0, numeric: true },
    {
      id: "status",
      header: t("sequences.col.status"),
      value: (s) => t(`sequences.status.${s.status}`),
      render: (s) => <Badge variant={STATUS_VARIANT[s.status]}>{t(`sequences.status.${s.status}`)}</Badge>,
    },
    { id: "created", header: t("sequences.col.created"), value: (s) => s.created_at, render: (s) => formatDate(s.created_at, locale) },
  ];
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <h1 className="text-2xl font-semibold">{t("sequences.title")}</h1>
          <p className="max-w-2xl text-sm text-muted-foreground">{t("sequences.intro")}</p>
        </div>
        {canWrite ? (
          <Button onClick={() => setCreating(true)} data-testid="sequence-new">
            <Plus aria-hidden />
            {t("sequences.new")}
          </Button>
        ) : null}
      </div>
      <QueryStates query={query}>
        {(items) =>
          items.length === 0 ? (
            <EmptyState message={t("sequences.empty")} action={canWrite ? <Button onClick={() => setCreating(true)}>{t("sequences.new")}</Button> : undefined} />
          ) : (
            <SortableTable columns={columns} rows={items} rowKey={(s) => s.sequence_id} csvFilename="email-sequences.csv" testId="sequences-table" />
          )
        }
      </QueryStates>
      {creating ? <SequenceFormDialog onClose={() => setCreating(false)} onSaved={(s) => navigate(`/email/sequences/${s.sequence_id}`)} /> : null}
    </div>
  );
}

export default function SequencesPage() {
  return (
    <Routes>
      <Route index element={<SequenceList />} />
      <Route path=":sequenceId" element={<SequenceEditor />} />
    </Routes>
  );
}
