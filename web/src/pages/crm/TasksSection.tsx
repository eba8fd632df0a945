import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId } from "react";
import { Link, useSearchParams } from "react-router";
import { api, unwrap } from "@/api/client";
import { useCurrentUser } from "@/auth/session";
import { Checkbox } from "@/components/ui/checkbox";
import { Label } from "@/components/ui/label";
import { QueryStates } from "@/components/ui/query-states";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { errorMessage } from "@/lib/errors";
import { formatDate } from "@/lib/format";
import { cn } from "@/lib/utils";
import { ChoiceGroup } from "@/pages/analytics/ChoiceGroup";
import { CRM_WRITE, type Task } from "./types";

type Whose = "mine" | "all";
const TASKS_KEY = ["crm", "tasks", "due"] as const;

/** Local midnight `days` after today's, in the viewer's time zone. */
function midnight(days: number, now: Date = new Date()): Date {
  return new Date(now.getFullYear(), now.getMonth(), now.getDate() + days);
}

/** The exclusive end of today in the viewer's time zone (tomorrow's local midnight). */
export function endOfToday(now: Date = new Date()): string {
  return midnight(1, now).toISOString();
}

/** Open tasks due today or overdue, across every lead: mine (the default) or everyone's. */
export default function TasksSection() {
  const { t, locale } = useI18n();
  const me = useCurrentUser();
  const { toast } = useToast();
  const qc = useQueryClient();
  const id = useId();
  const [params, setParams] = useSearchParams();
  const whose: Whose = params.get("whose") === "all" ? "all" : "mine";
  const canWrite = me.permissions.includes(CRM_WRITE);
  const query = { done: false, due_before: endOfToday(), page: 1, page_size: 100, ...(whose === "mine" ? { assignee_id: me.id } : {}) };
  const tasks = useQuery({
    queryKey: [...TASKS_KEY, whose],
    queryFn: () => unwrap(api.GET("/api/tasks", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const done = useMutation({
    mutationFn: (task: Task) => unwrap(api.PATCH("/api/tasks/{task_id}", { params: { path: { task_id: task.task_id } }, body: { done: true } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ["crm"] }),
    onError: (e) => toast(errorMessage(e, t), "error"),
  });
  const today = midnight(0).getTime();
  return (
    <div className="grid grid-cols-1 gap-4">
      <p className="text-sm text-muted-foreground">{t("crm.due.description")}</p>
      <ChoiceGroup
        label={t("crm.due.whose")}
        value={whose}
        options={[
          { value: "mine", label: t("crm.due.mine") },
          { value: "all", label: t("crm.due.all") },
        ]}
        onChange={(next) => setParams(next === "all" ? { whose: "all" } : {}, { replace: true })}
        testId="tasks-whose"
      />
      <QueryStates query={tasks} isEmpty={(d) => d.items.length === 0} empty={t("crm.due.empty")}>
        {(data) => (
          <ul className="grid gap-2">
            {data.items.map((task) => {
              const overdue = task.due_at !== null && new Date(task.due_at).getTime() < today;
              return (
                <li key={task.task_id} className="flex flex-wrap items-start gap-3 rounded-md border p-3 text-sm" data-testid="due-task">
                  <Checkbox id={`${id}-${task.task_id}`} checked={false} disabled={!canWrite || done.isPending} onCheckedChange={() => done.mutate(task)} className="mt-0.5" aria-label={t("crm.due.markDone", { title: task.title })} />
                  <div className="grid min-w-0 flex-1 gap-0.5">
                    <Label htmlFor={`${id}-${task.task_id}`} className="break-words font-medium">
                      {task.title}
                    </Label>
                    {task.lead_id ? (
                      <Link to={`/leads/${task.lead_id}`} className="break-words text-xs text-primary hover:underline">
                        {task.lead_name || t("crm.lead.unnamed")}
                      </Link>
                    ) : null}
                  </div>
                  {task.due_at ? (
                    <span className={cn("whitespace-nowrap text-xs", overdue ? "font-medium text-destructive" : "text-muted-foreground")}>
                      {overdue ? t("crm.due.overdue", { date: formatDate(task.due_at, locale) }) : t("crm.due.today")}
                    </span>
                  ) : null}
                </li>
              );
            })}
          </ul>
        )}
      </QueryStates>
    </div>
  );
}
