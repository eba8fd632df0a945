import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Plus } from "lucide-react";
import { useState } from "react";
import { api, unwrap } from "@/api/client";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { CopyButton } from "@/components/ui/copy-button";
import { Field } from "@/components/ui/field";
import { FormDialog } from "@/components/ui/form-dialog";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { QueryStates } from "@/components/ui/query-states";
import { DeleteButton, EditButton } from "@/components/ui/row-actions";
import { Textarea } from "@/components/ui/textarea";
import { useToast } from "@/components/ui/toast";
import { usePermissions } from "@/auth/session";
import { useI18n } from "@/i18n";
import { fieldErrors } from "@/lib/errors";
import { AUDIENCES_KEY, FORMS_KEY, type FormIn, type SubscriptionForm } from "./types";

const EMPTY: FormIn = { name: "", from_name: "", from_address: "", language: "pt-BR", audience_id: null, tags: [], redirect_url: null };

/** The tags typed in one box, separated by commas. */
export function parseTags(text: string): string[] {
  return [...new Set(text.split(",").map((tag) => tag.trim()).filter(Boolean))];
}

function FormEditor({ editing, onClose }: { editing: SubscriptionForm | "new"; onClose: () => void }) {
  const { t } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const initial: FormIn = editing === "new" ? EMPTY : { ...editing };
  const [value, setValue] = useState<FormIn>(initial);
  const [tags, setTags] = useState((initial.tags ?? []).join(", "));
  const audiences = useQuery({ queryKey: AUDIENCES_KEY, queryFn: () => unwrap(api.GET("/api/email/audiences")) });
  // Senders (with their webhook credentials) are listed to admins only.
  const canPickSender = usePermissions()("email:admin");
  const senders = useQuery({
    queryKey: ["email", "senders"],
    queryFn: () => unwrap(api.GET("/api/email/senders")),
    enabled: canPickSender,
  });
  const save = useMutation({
    mutationFn: () => {
      const body: FormIn = { ...value, tags: parseTags(tags), redirect_url: value.redirect_url?.trim() || null };
      return editing === "new"
        ? unwrap(api.POST("/api/email/forms", { body }))
        : unwrap(api.PUT("/api/email/forms/{form_id}", { params: { path: { form_id: editing.form_id } }, body }));
    },
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: FORMS_KEY });
      toast(t("emailContacts.forms.saved"));
      onClose();
    },
  });
  const errors = fieldErrors(save.error);
  const set = (patch: Partial<FormIn>) => setValue((prev) => ({ ...prev, ...patch }));
  return (
    <FormDialog
      open
      onClose={onClose}
      title={editing === "new" ? t("emailContacts.forms.add") : t("emailContacts.forms.edit")}
      testId="subscription-form-dialog"
      form={{ onSubmit: () => save.mutate(), submitLabel: t("common.save"), busy: save.isPending, error: save.error, disabled: !value.name || !value.from_name || !value.from_address }}
    >
      <Field label={t("emailContacts.forms.name")} error={errors.name}>
        {(ids) => <Input {...ids} value={value.name} maxLength={200} required onChange={(e) => set({ name: e.target.value })} />}
      </Field>
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label={t("emailContacts.forms.fromName")} error={errors.from_name}>
          {(ids) => <Input {...ids} value={value.from_name} maxLength={200} required onChange={(e) => set({ from_name: e.target.value })} />}
        </Field>
        <Field label={t("emailContacts.forms.fromAddress")} error={errors.from_address}>
          {(ids) => <Input {...ids} type="email" value={value.from_address} maxLength={320} required onChange={(e) => set({ from_address: e.target.value })} />}
        </Field>
      </div>
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label={t("emailContacts.forms.language")}>
          {(ids) => (
            <NativeSelect {...ids} value={value.language ?? "pt-BR"} onChange={(e) => set({ language: e.target.value === "en" ? "en" : "pt-BR" })}>
              <option value="pt-BR">{t("emailContacts.forms.language.pt-BR")}</option>
              <option value="en">{t("emailContacts.forms.language.en")}</option>
            </NativeSelect>
          )}
        </Field>
        <Field label={t("emailContacts.forms.audience")} error={errors.audience_id}>
          {(ids) => (
            <NativeSelect {...ids} value={value.audience_id ?? ""} onChange={(e) => set({ audience_id: e.target.value || null })}>
              <option value="">{t("emailContacts.import.noAudience")}</option>
              {(audiences.data ?? [])
                .filter((a) => a.kind === "static")
                .map((a) => (
                  <option key={a.audience_id} value={a.audience_id}>
                    {a.name}
                  </option>
                ))}
            </NativeSelect>
          )}
        </Field>
      </div>
      {canPickSender ? (
        <Field label={t("emailContacts.forms.sender")} error={errors.sender_id}>
          {(ids) => (
            <NativeSelect {...ids} value={value.sender_id ?? ""} onChange={(e) => set({ sender_id: e.target.value || null })}>
              <option value="">{t("emailContacts.forms.simulatedSender")}</option>
              {(senders.data ?? []).map((s) => (
                <option key={s.sender_id} value={s.sender_id}>
                  {s.name}
                </option>
              ))}
            </NativeSelect>
          )}
        </Field>
      ) : null}
      <Field label={t("emailContacts.forms.tags")} hint={t("emailContacts.forms.tagsHint")} error={errors.tags}>
        {(ids) => <Input {...ids} value={tags} onChange={(e) => setTags(e.target.value)} />}
      </Field>
      <Field label={t("emailContacts.forms.redirect")} hint={t("emailContacts.forms.redirectHint")} error={errors.redirect_url}>
        {(ids) => <Input {...ids} type="url" value={value.redirect_url ?? ""} maxLength={2000} onChange={(e) => set({ redirect_url: e.target.value })} />}
      </Field>
    </FormDialog>
  );
}

function FormCard({ form, onEdit }: { form: SubscriptionForm; onEdit: () => void }) {
  const { t } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const remove = async () => {
    await unwrap(api.DELETE("/api/email/forms/{form_id}", { params: { path: { form_id: form.form_id } } }));
    void qc.invalidateQueries({ queryKey: FORMS_KEY });
    toast(t("emailContacts.forms.deleted"));
  };
  return (
    <Card data-testid="subscription-form">
      <CardHeader className="flex flex-row items-start justify-between gap-2 space-y-0">
        <div className="min-w-0">
          <CardTitle className="break-words text-base">{form.name}</CardTitle>
          <CardDescription className="break-all">{form.action_url}</CardDescription>
        </div>
        <div className="flex shrink-0">
          <EditButton name={form.name} onClick={onEdit} />
          <DeleteButton
            name={form.name}
            title={t("emailContacts.forms.deleteTitle", { name: form.name })}
            description={t("emailContacts.forms.deleteDescription")}
            onConfirm={remove}
          />
        </div>
      </CardHeader>
      <CardContent className="grid gap-2">
        <div className="flex items-center justify-between gap-2">
          <span className="text-sm font-medium">{t("emailContacts.forms.snippet")}</span>
          <CopyButton value={form.snippet} />
        </div>
        <Textarea readOnly value={form.snippet} rows={8} className="font-mono text-xs" aria-label={t("emailContacts.forms.snippet")} data-testid="form-snippet" />
        <p className="text-xs text-muted-foreground">{t("emailContacts.forms.snippetHint")}</p>
      </CardContent>
    </Card>
  );
}

/** Subscription forms (double opt-in): settings and the HTML snippet to paste. */
export default function FormsSection() {
  const { t } = useI18n();
  const [editing, setEditing] = useState<SubscriptionForm | "new" | null>(null);
  const forms = useQuery({ queryKey: FORMS_KEY, queryFn: () => unwrap(api.GET("/api/email/forms")) });
  const add = (
    <Button onClick={() => setEditing("new")} data-testid="add-subscription-form">
      <Plus aria-hidden />
      {t("emailContacts.forms.add")}
    </Button>
  );
  return (
    <div className="grid grid-cols-1 gap-4">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="max-w-3xl">
          <h2 className="text-lg font-semibold">{t("emailContacts.forms.title")}</h2>
          <p className="text-sm text-muted-foreground">{t("emailContacts.forms.description")}</p>
        </div>
        {add}
      </div>
      <QueryStates query={forms} isEmpty={(d) => d.length === 0} empty={t("emailContacts.forms.empty")}>
        {(data) => (
          <div className="grid gap-4 lg:grid-cols-2">
            {data.map((f) => (
              <FormCard key={f.form_id} form={f} onEdit={() => setEditing(f)} />
            ))}
          </div>
        )}
      </QueryStates>
      {editing ? <FormEditor editing={editing} onClose={() => setEditing(null)} /> : null}
    </div>
  );
}
