import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { AlertTriangle } from "lucide-react";
import { useEffect, useState } from "react";
import { api, unwrap } from "@/api/client";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { NativeSelect } from "@/components/ui/native-select";
import { Textarea } from "@/components/ui/textarea";
import { useI18n } from "@/i18n";
import { cn } from "@/lib/utils";
import { MERGE_FIELDS } from "./types";

export interface Content {
  subject: string;
  html: string;
  text: string;
}

/** `value`, once it has stopped changing for `ms`. */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = window.setTimeout(() => setSettled(value), ms);
    return () => window.clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/** The content rendered by the server for a sample recipient (merge fields filled and escaped), refreshed as it is typed. */
export function usePreview(content: Content, contactId: string, delayMs = 400) {
  const settled = useDebounced(content, delayMs);
  return useQuery({
    queryKey: ["email", "preview", settled, contactId],
    queryFn: () => unwrap(api.POST("/api/email/preview", { body: { subject: settled.subject, html: settled.html, text: settled.text, contact_id: contactId || null } })),
    enabled: Boolean(settled.html || settled.text || settled.subject),
    placeholderData: keepPreviousData,
    staleTime: 60_000,
  });
}

/** The latest recipients, to preview the content as one of them would get it. */
function useRecentContacts() {
  return useQuery({
    queryKey: ["email", "contacts", "recent"],
    queryFn: () => unwrap(api.GET("/api/email/contacts", { params: { query: { page: 1, page_size: 50 } } })),
    staleTime: 60_000,
  });
}

/** The merge fields one can type, each as `{{ field }}`. */
function MergeFields() {
  const { t } = useI18n();
  return (
    <div className="grid gap-1.5 text-sm" data-testid="merge-fields">
      <p className="font-medium">{t("email.content.mergeFields")}</p>
      <ul className="flex flex-wrap gap-1.5">
        {MERGE_FIELDS.map((f) => (
          <li key={f}>
            <code className="rounded bg-muted px-1.5 py-0.5 text-xs">{`{{ ${f} }}`}</code>
          </li>
        ))}
      </ul>
      <p className="text-xs text-muted-foreground">{t("email.content.mergeHint")}</p>
    </div>
  );
}

/**
 * The subject, HTML and text of a template or campaign, with the merge fields listed and a
 * live preview beside it (HTML in a frame where nothing runs, or the text part).
 */
export function ContentEditor({ value, onChange, disabled, subjectRequired = true }: { value: Content; onChange: (next: Content) => void; disabled?: boolean; subjectRequired?: boolean }) {
  const { t } = useI18n();
  const [view, setView] = useState<"html" | "text">("html");
  const [contactId, setContactId] = useState("");
  const contacts = useRecentContacts();
  const preview = usePreview(value, contactId);
  const unknown = preview.data?.unknown_fields ?? [];
  return (
    <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
      <div className="grid content-start gap-4">
        <Field label={t("email.content.subject")}>
          {(p) => <Input {...p} value={value.subject} maxLength={300} required={subjectRequired} disabled={disabled} onChange={(e) => onChange({ ...value, subject: e.target.value })} data-testid="content-subject" />}
        </Field>
        <Field label={t("email.content.html")} hint={t("email.content.htmlHint")}>
          {(p) => (
            <Textarea
              {...p}
              rows={14}
              spellCheck={false}
              className="font-mono text-xs"
              value={value.html}
              maxLength={500_000}
              disabled={disabled}
              onChange={(e) => onChange({ ...value, html: e.target.value })}
              data-testid="content-html"
            />
          )}
        </Field>
        <Field label={t("email.content.text")} hint={t("email.content.textHint")} optionalText={t("common.optional")}>
          {(p) => <Textarea {...p} rows={6} value={value.text} maxLength={200_000} disabled={disabled} onChange={(e) => onChange({ ...value, text: e.target.value })} data-testid="content-text" />}
        </Field>
        <MergeFields />
      </div>
      <Card className="min-w-0">
        <CardHeader className="flex-row flex-wrap items-center justify-between gap-2 space-y-0 pb-3">
          <CardTitle className="text-base">{t("email.preview.title")}</CardTitle>
          <div role="radiogroup" aria-label={t("email.preview.part")} className="flex gap-1 rounded-md bg-muted p-1">
            {(["html", "text"] as const).map((part) => (
              <button
                key={part}
                type="button"
                role="radio"
                aria-checked={view === part}
                onClick={() => setView(part)}
                className={cn("rounded px-2.5 py-1 text-xs font-medium", view === part ? "bg-background text-foreground shadow-sm" : "text-muted-foreground hover:text-foreground")}
              >
                {t(part === "html" ? "email.content.html" : "email.content.text")}
              </button>
            ))}
          </div>
        </CardHeader>
        <CardContent className="grid gap-2">
          <div className="grid gap-1">
            <Label htmlFor="preview-contact" className="text-xs text-muted-foreground">
              {t("email.preview.as")}
            </Label>
            <NativeSelect id="preview-contact" value={contactId} onChange={(e) => setContactId(e.target.value)} className="h-9" data-testid="preview-contact">
              <option value="">{t("email.preview.sample")}</option>
              {(contacts.data?.items ?? []).map((c) => (
                <option key={c.contact_id} value={c.contact_id}>
                  {c.name ? `${c.name} · ${c.email}` : c.email}
                </option>
              ))}
            </NativeSelect>
          </div>
          {preview.data ? (
            <>
              <p className="text-xs text-muted-foreground">{t("email.preview.for", { email: preview.data.recipient })}</p>
              <p className="break-words text-sm font-medium" data-testid="preview-subject">
                {preview.data.subject}
              </p>
            </>
          ) : (
            <p className="text-sm text-muted-foreground">{t("email.preview.empty")}</p>
          )}
          {unknown.length > 0 ? (
            <p className="flex items-start gap-1.5 text-xs text-destructive" role="status" data-testid="unknown-fields">
              <AlertTriangle className="mt-0.5 h-3.5 w-3.5 shrink-0" aria-hidden />
              {t("email.preview.unknown", { fields: unknown.map((f) => `{{ ${f} }}`).join(", ") })}
            </p>
          ) : null}
          {view === "html" ? (
            // Nothing runs in the frame (no scripts, no forms, no navigation): the preview is for looking.
            <iframe title={t("email.preview.title")} sandbox="" srcDoc={preview.data?.html ?? ""} className="h-[480px] w-full rounded-md border bg-white" data-testid="content-preview" />
          ) : (
            <pre className="h-[480px] overflow-auto whitespace-pre-wrap break-words rounded-md border bg-muted/40 p-3 text-xs" data-testid="content-preview-text">
              {preview.data?.text ?? ""}
            </pre>
          )}
        </CardContent>
      </Card>
    </div>
  );
}
