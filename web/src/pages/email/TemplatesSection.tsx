import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Plus } from "lucide-react";
import { Link, useNavigate } from "react-router";
import { api, unwrap } from "@/api/client";
import { useCurrentUser } from "@/auth/session";
import { Button } from "@/components/ui/button";
import { QueryStates } from "@/components/ui/query-states";
import { DeleteButton, EditButton } from "@/components/ui/row-actions";
import { SortableTable, type SortableColumn } from "@/components/ui/sortable-table";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { errorMessage } from "@/lib/errors";
import { formatDateTime } from "@/lib/format";
import { useTemplates } from "./queries";
import { SectionTitle } from "./shared";
import { EMAIL_WRITE, TEMPLATES_KEY, type Template } from "./types";

/** Reusable subjects and contents: a list with CSV, each opened in the editor. */
export default function TemplatesSection() {
  const { t, locale } = useI18n();
  const { toast } = useToast();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const me = useCurrentUser();
  const canWrite = me.permissions.includes(EMAIL_WRITE);
  const templates = useTemplates();
  const remove = useMutation({
    mutationFn: (tpl: Template) => unwrap(api.DELETE("/api/email/templates/{template_id}", { params: { path: { template_id: tpl.template_id } } })),
    onSuccess: (_r, tpl) => {
      void qc.invalidateQueries({ queryKey: TEMPLATES_KEY });
      toast(t("email.template.deleted", { name: tpl.name }));
    },
    onError: (e) => toast(errorMessage(e, t), "error"),
  });

  const columns: SortableColumn<Template>[] = [
    {
      id: "name",
      header: t("email.template.name"),
      value: (x) => x.name,
      render: (x) => (
        <span className="grid gap-0.5">
          <Link to={`/email/templates/${x.template_id}`} className="break-words font-medium hover:underline" data-testid="template-link">
            {x.name}
          </Link>
          {canWrite ? (
            <Link to={`/email/campaigns/new?template=${x.template_id}`} className="text-xs text-primary hover:underline" data-testid="template-use">
              {t("email.template.use")}
            </Link>
          ) : null}
        </span>
      ),
    },
    { id: "subject", header: t("email.content.subject"), value: (x) => x.subject, render: (x) => <span className="break-words">{x.subject}</span> },
    { id: "updated", header: t("email.template.updated"), value: (x) => x.updated_at, render: (x) => formatDateTime(x.updated_at, locale) },
    ...(canWrite
      ? [
          {
            id: "actions",
            header: t("common.actions"),
            value: () => null,
            csv: false as const,
            render: (x: Template) => (
              <div className="flex gap-1">
                <EditButton name={x.name} onClick={() => navigate(`/email/templates/${x.template_id}`)} />
                <DeleteButton name={x.name} title={t("email.template.deleteTitle", { name: x.name })} description={t("email.template.deleteDescription")} onConfirm={() => remove.mutateAsync(x)} testId="template-delete" />
              </div>
            ),
          },
        ]
      : []),
  ];
  const newButton = canWrite ? (
    <Button asChild data-testid="template-new">
      <Link to="/email/templates/new">
        <Plus aria-hidden />
        {t("email.template.new")}
      </Link>
    </Button>
  ) : null;

  return (
    <section className="grid grid-cols-1 gap-4">
      <div className="flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
        <SectionTitle title={t("email.templates.title")} subtitle={t("email.templates.intro")} />
        {newButton}
      </div>
      <QueryStates query={templates} isEmpty={(d) => d.length === 0} empty={t("email.templates.empty")} emptyAction={newButton}>
        {(list) => <SortableTable columns={columns} rows={list} rowKey={(x) => x.template_id} csvFilename="modelos-email" testId="templates-table" />}
      </QueryStates>
    </section>
  );
}
