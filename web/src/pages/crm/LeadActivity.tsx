import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Plus } from "lucide-react";
import { useId, useState, type FormEvent } from "react";
import { api, unwrap } from "@/api/client";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { EmptyState, FormError } from "@/components/ui/states";
import { Textarea } from "@/components/ui/textarea";
import { useToast } from "@/components/ui/toast";
import { actorLabel, activityLabel, activityText } from "./activityText";
import { useI18n } from "@/i18n";
import { errorMessage } from "@/lib/errors";
import { formatDate, formatDateTime } from "@/lib/format";
import { Money, StageBadge } from "./shared";
import type { Activity, LeadStage, Note, Task } from "./types";

const leadKey = (leadId: string) => ["crm", "lead", leadId] as const;

/** Stage history, oldest first: stage, when, who and from where, value and reason. */
export function StageHistory({ stages }: { stages: LeadStage[] }) {
  const { locale } = useI18n();
  return (
    <ol className="grid gap-2" data-testid="stage-history">
      {stages.map((s) => (
        <li key={s.stage_id} className="flex flex-wrap items-center gap-x-3 gap-y-1 rounded-md border p-2 text-sm" data-testid="stage-history-row">
          <StageBadge stage={s.stage_name} />
          <time className="text-muted-foreground" dateTime={s.created_at}>
            {formatDateTime(s.created_at, locale)}
          </time>
          <span className="break-all text-muted-foreground">
            {s.changed_by} · {s.source}
          </span>
          {s.stage_value !== null ? <Money value={s.stage_value} /> : null}
          {s.probability !== null ? <span className="text-xs text-muted-foreground">{s.probability}%</span> : null}
          {s.reason ? <p className="w-full break-words text-muted-foreground">{s.reason}</p> : null}
        </li>
      ))}
    </ol>
  );
}

/** A lead's tasks: open first; tick to mark done; a one-line form to add one. */
export function TasksPanel({ leadId, tasks, canWrite }: { leadId: string; tasks: Task[]; canWrite: boolean }) {
  const { t, locale } = useI18n();
  const id = useId();
  const qc = useQueryClient();
  const { toast } = useToast();
  const [title, setTitle] = useState("");
  const [due, setDue] = useState("");
  const add = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/tasks", {
          body: { title: title.trim(), lead_id: leadId, due_at: due ? new Date(`${due}T12:00:00`).toISOString() : null },
        }),
      ),
    onSuccess: () => {
      setTitle("");
      setDue("");
      void qc.invalidateQueries({ queryKey: leadKey(leadId) });
    },
  });
  const toggle = useMutation({
    mutationFn: (task: Task) => unwrap(api.PATCH("/api/tasks/{task_id}", { params: { path: { task_id: task.task_id } }, body: { done: !task.done } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: leadKey(leadId) }),
    onError: (e) => toast(errorMessage(e, t), "error"),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (title.trim()) add.mutate();
  };
  const ordered = [...tasks].sort((a, b) => Number(a.done) - Number(b.done));
  return (
    <div className="grid gap-3">
      {ordered.length === 0 ? (
        <p className="text-sm text-muted-foreground">{t("crm.tasks.empty")}</p>
      ) : (
        <ul className="grid gap-1.5">
          {ordered.map((task) => (
            <li key={task.task_id} className="flex items-start gap-2 text-sm" data-testid="task-row">
              <Checkbox
                id={`${id}-${task.task_id}`}
                checked={task.done}
                disabled={!canWrite || toggle.isPending}
                onCheckedChange={() => toggle.mutate(task)}
                className="mt-0.5"
              />
              <Label htmlFor={`${id}-${task.task_id}`} className={task.done ? "break-words font-normal text-muted-foreground line-through" : "break-words font-normal"}>
                {task.title}
                {task.due_at ? <span className="ml-2 text-xs text-muted-foreground">{t("crm.tasks.due", { date: formatDate(task.due_at, locale) })}</span> : null}
              </Label>
            </li>
          ))}
        </ul>
      )}
      {canWrite ? (
        <form onSubmit={submit} className="grid gap-2" aria-label={t("crm.tasks.add")}>
          <Input aria-label={t("crm.tasks.taskTitle")} placeholder={t("crm.tasks.taskTitle")} value={title} onChange={(e) => setTitle(e.target.value)} maxLength={255} />
          <div className="flex flex-wrap gap-2">
            <Input aria-label={t("crm.tasks.dueDate")} type="date" className="w-auto flex-1" value={due} onChange={(e) => setDue(e.target.value)} />
            <Button type="submit" variant="outline" disabled={add.isPending || title.trim() === ""} data-testid="task-add">
              <Plus aria-hidden />
              {t("crm.tasks.add")}
            </Button>
          </div>
          {add.error ? <FormError error={add.error} /> : null}
        </form>
      ) : null}
    </div>
  );
}

/** Notes, newest first, with a box to add one. */
export function NotesPanel({ leadId, notes, canWrite }: { leadId: string; notes: Note[]; canWrite: boolean }) {
  const { t, locale } = useI18n();
  const qc = useQueryClient();
  const [body, setBody] = useState("");
  const add = useMutation({
    mutationFn: () => unwrap(api.POST("/api/notes", { body: { body: body.trim(), lead_id: leadId } })),
    onSuccess: () => {
      setBody("");
      void qc.invalidateQueries({ queryKey: leadKey(leadId) });
    },
  });
  return (
    <div className="grid gap-3">
      {canWrite ? (
        <form
          className="grid gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            if (body.trim()) add.mutate();
          }}
        >
          <Textarea aria-label={t("crm.notes.add")} placeholder={t("crm.notes.placeholder")} value={body} onChange={(e) => setBody(e.target.value)} maxLength={10_000} rows={3} />
          {add.error ? <FormError error={add.error} /> : null}
          <div>
            <Button type="submit" variant="outline" size="sm" disabled={add.isPending || body.trim() === ""} data-testid="note-add">
              {t("crm.notes.add")}
            </Button>
          </div>
        </form>
      ) : null}
      {notes.length === 0 ? (
        <p className="text-sm text-muted-foreground">{t("crm.notes.empty")}</p>
      ) : (
        <ul className="grid gap-2">
          {notes.map((n) => (
            <li key={n.note_id} className="rounded-md border p-3 text-sm" data-testid="note">
              <p className="whitespace-pre-wrap break-words">{n.body}</p>
              <time className="mt-1 block text-xs text-muted-foreground" dateTime={n.created_at}>
                {formatDateTime(n.created_at, locale)}
              </time>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The timeline of everything that happened to the lead, newest first. */
export function ActivityTimeline({ activities }: { activities: Activity[] }) {
  const { t, locale } = useI18n();
  if (activities.length === 0) return <EmptyState message={t("crm.activities.empty")} />;
  return (
    <ol className="relative ml-3 grid gap-3 border-l pl-5" data-testid="activities">
      {activities.map((a) => (
        <li key={a.activity_id} className="relative text-sm" data-testid="activity">
          <span aria-hidden className="absolute -left-[26px] top-1.5 h-2.5 w-2.5 rounded-full bg-muted-foreground" />
          <div className="flex flex-wrap items-center gap-2">
            <Badge variant="secondary">{activityLabel(t, a.activity_type)}</Badge>
            <span className="break-words">{activityText(t, a)}</span>
          </div>
          <div className="text-xs text-muted-foreground">
            <time dateTime={a.created_at}>{formatDateTime(a.created_at, locale)}</time> · <span className="break-all">{actorLabel(t, a.actor)}</span>
          </div>
        </li>
      ))}
    </ol>
  );
}
