import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ArrowLeft } from "lucide-react";
import { useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { api, unwrap } from "@/api/client";
import { useCurrentUser } from "@/auth/session";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { QueryStates } from "@/components/ui/query-states";
import { FormError } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { fieldErrors } from "@/lib/errors";
import { ContentEditor } from "./ContentEditor";
import { SectionTitle } from "./shared";
import { EMAIL_WRITE, TEMPLATES_KEY, type Template, type TemplateIn } from "./types";

const STARTER = `<html><body>
<p>Olá {{ first_name }},</p>
<p><a href="https://exemplo.com.br/oferta">Ver a oferta</a></p>
<p style="font-size:12px"><a href="{{ unsubscribe_url }}">Descadastrar</a></p>
</body></html>`;

function TemplateForm({ template }: { template?: Template }) {
  const { t } = useI18n();
  const { toast } = useToast();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const me = useCurrentUser();
  const canWrite = me.permissions.includes(EMAIL_WRITE);
  const [draft, setDraft] = useState<TemplateIn>(() => ({ name: template?.name ?? "", subject: template?.subject ?? "", html: template?.html ?? STARTER, text: template?.text ?? "" }));
  const save = useMutation({
    mutationFn: (body: TemplateIn) =>
      template ? unwrap(api.PUT("/api/email/templates/{template_id}", { params: { path: { template_id: template.template_id } }, body })) : unwrap(api.POST("/api/email/templates", { body })),
    onSuccess: (saved) => {
      qc.setQueryData([...TEMPLATES_KEY, saved.template_id], saved);
      void qc.invalidateQueries({ queryKey: TEMPLATES_KEY });
      toast(t(template ? "email.template.saved" : "email.template.created", { name: saved.name }));
      if (!template) navigate(`/email/templates/${saved.template_id}`, { replace: true });
    },
  });
  const errors = fieldErrors(save.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate({ ...draft, name: draft.name.trim() });
  };
  return (
    <form onSubmit={submit} className="grid gap-4" data-testid="template-form">
      <fieldset disabled={!canWrite} className="grid min-w-0 gap-4">
        <div className="max-w-md">
          <Field label={t("email.template.name")} error={errors.name}>
            {(p) => <Input {...p} value={draft.name} maxLength={200} required onChange={(e) => setDraft({ ...draft, name: e.target.value })} data-testid="template-name" />}
          </Field>
        </div>
        <ContentEditor value={draft} onChange={(c) => setDraft({ ...draft, ...c })} disabled={!canWrite} />
      </fieldset>
      {canWrite ? (
        <>
          <FormError error={save.error} />
          <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
            <Button asChild variant="outline">
              <Link to="/email/templates">{t("common.cancel")}</Link>
            </Button>
            <Button type="submit" disabled={save.isPending || !draft.name.trim() || !draft.subject.trim() || !draft.html.trim()} data-testid="template-save">
              {save.isPending ? t("common.saving") : template ? t("common.save") : t("email.template.create")}
            </Button>
          </div>
        </>
      ) : null}
    </form>
  );
}

/** A new template (`/email/templates/new`) or one being edited, with its live preview. */
export default function TemplateEditor() {
  const { templateId } = useParams();
  const { t } = useI18n();
  const template = useQuery({
    queryKey: [...TEMPLATES_KEY, templateId],
    queryFn: () => unwrap(api.GET("/api/email/templates/{template_id}", { params: { path: { template_id: templateId! } } })),
    enabled: Boolean(templateId),
  });
  return (
    <section className="grid grid-cols-1 gap-4">
      <Link to="/email/templates" className="inline-flex items-center gap-1 text-sm text-muted-foreground hover:text-foreground">
        <ArrowLeft className="h-4 w-4" aria-hidden />
        {t("email.templates.back")}
      </Link>
      {templateId ? (
        <QueryStates query={template}>
          {(tpl) => (
            <>
              <SectionTitle title={tpl.name} subtitle={t("email.template.intro")} />
              <TemplateForm key={tpl.template_id} template={tpl} />
            </>
          )}
        </QueryStates>
      ) : (
        <>
          <SectionTitle title={t("email.template.new")} subtitle={t("email.template.intro")} />
          <TemplateForm />
        </>
      )}
    </section>
  );
}
