import { useMutation, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, unwrap } from "@/api/client";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { FormError } from "@/components/ui/states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useI18n } from "@/i18n";
import { AUDIENCES_KEY, type ContactImport, type ImportMapping, type ImportUpload } from "./types";

const FIELDS = ["email", "name", "phone", "tags"] as const;
type FieldName = (typeof FIELDS)[number];

/** An attribute name the API accepts, made from a column's header. */
export function attributeKey(column: string): string {
  return column
    .trim()
    .toLowerCase()
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^a-z0-9_-]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 60);
}

/** The mapping to send: the chosen field columns, and the ticked columns as attributes. */
export function buildMapping(fields: Partial<Record<FieldName, string>>, attributes: Record<string, string>): ImportMapping {
  const chosen: Record<string, string> = {};
  for (const [column, key] of Object.entries(attributes)) if (key.trim()) chosen[key.trim()] = column;
  return {
    email: fields.email ?? "",
    name: fields.name || null,
    phone: fields.phone || null,
    tags: fields.tags || null,
    attributes: chosen,
  };
}

/** Step 2: which column holds each field, which others become attributes, and where they go. */
export function MappingForm({ upload, onStarted, onCancel }: { upload: ImportUpload; onStarted: (run: ContactImport) => void; onCancel: () => void }) {
  const { t } = useI18n();
  const run = upload.contact_import;
  const suggested = upload.suggested_mapping;
  const [fields, setFields] = useState<Partial<Record<FieldName, string>>>({
    email: suggested?.email ?? "",
    name: suggested?.name ?? "",
    phone: suggested?.phone ?? "",
    tags: suggested?.tags ?? "",
  });
  const [attributes, setAttributes] = useState<Record<string, string>>(() =>
    Object.fromEntries(Object.entries(suggested?.attributes ?? {}).map(([key, column]) => [column, key])),
  );
  const [audienceId, setAudienceId] = useState("");
  const [status, setStatus] = useState<"active" | "unconfirmed">("active");
  const audiences = useQuery({ queryKey: AUDIENCES_KEY, queryFn: () => unwrap(api.GET("/api/email/audiences")) });
  const staticAudiences = (audiences.data ?? []).filter((a) => a.kind === "static");
  const used = new Set(Object.values(fields).filter(Boolean));
  const others = run.columns.filter((c) => !used.has(c));
  const start = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/email/contacts/imports/{import_id}/start", {
          params: { path: { import_id: run.import_id } },
          body: { mapping: buildMapping(fields, Object.fromEntries(Object.entries(attributes).filter(([c]) => !used.has(c)))), audience_id: audienceId || null, status, phone_country: "BR" },
        }),
      ),
    onSuccess: onStarted,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (fields.email) start.mutate();
  };
  return (
    <form className="grid gap-5" onSubmit={submit} data-testid="import-mapping-form">
      <div className="grid gap-2">
        <h3 className="font-medium">{t("emailContacts.import.previewTitle", { name: run.file_name, rows: run.total_rows })}</h3>
        <div className="overflow-x-auto">
          <Table aria-label={t("emailContacts.import.sample")}>
            <THead>
              <TR>
                {run.columns.map((c) => (
                  <TH key={c}>{c}</TH>
                ))}
              </TR>
            </THead>
            <TBody>
              {upload.sample_rows.map((row, i) => (
                <TR key={i}>
                  {run.columns.map((c) => (
                    <TD key={c} className="max-w-[12rem] truncate text-xs">
                      {row[c] ?? ""}
                    </TD>
                  ))}
                </TR>
              ))}
            </TBody>
          </Table>
        </div>
      </div>
      <fieldset className="grid gap-3 sm:grid-cols-2">
        <legend className="mb-2 font-medium">{t("emailContacts.import.mapping")}</legend>
        {FIELDS.map((name) => (
          <Field key={name} label={t(`emailContacts.import.field.${name}`)} error={name === "email" && !fields.email ? t("emailContacts.import.needEmail") : undefined}>
            {(ids) => (
              <NativeSelect {...ids} value={fields[name] ?? ""} onChange={(e) => setFields((prev) => ({ ...prev, [name]: e.target.value }))} data-testid={`map-${name}`}>
                <option value="">{t("emailContacts.import.none")}</option>
                {run.columns.map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </NativeSelect>
            )}
          </Field>
        ))}
      </fieldset>
      {others.length > 0 ? (
        <fieldset className="grid gap-2">
          <legend className="mb-2 font-medium">{t("emailContacts.import.attributes")}</legend>
          {others.map((column) => {
            const checked = column in attributes;
            return (
              <div key={column} className="grid items-center gap-2 sm:grid-cols-[auto_12rem_1fr]">
                <Checkbox
                  checked={checked}
                  onCheckedChange={(on) =>
                    setAttributes((prev) => {
                      const next = { ...prev };
                      if (on) next[column] = attributeKey(column) || "attr";
                      else delete next[column];
                      return next;
                    })
                  }
                  aria-label={column}
                />
                <span className="break-all text-sm">{column}</span>
                {checked ? (
                  <Input
                    aria-label={t("emailContacts.import.attributeName", { column })}
                    value={attributes[column]}
                    pattern="[A-Za-z0-9_\-]{1,60}"
                    maxLength={60}
                    onChange={(e) => setAttributes((prev) => ({ ...prev, [column]: e.target.value }))}
                  />
                ) : (
                  <span />
                )}
              </div>
            );
          })}
        </fieldset>
      ) : null}
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label={t("emailContacts.import.audience")}>
          {(ids) => (
            <NativeSelect {...ids} value={audienceId} onChange={(e) => setAudienceId(e.target.value)}>
              <option value="">{t("emailContacts.import.noAudience")}</option>
              {staticAudiences.map((a) => (
                <option key={a.audience_id} value={a.audience_id}>
                  {a.name}
                </option>
              ))}
            </NativeSelect>
          )}
        </Field>
        <Field label={t("emailContacts.import.newStatus")}>
          {(ids) => (
            <NativeSelect {...ids} value={status} onChange={(e) => setStatus(e.target.value === "unconfirmed" ? "unconfirmed" : "active")}>
              <option value="active">{t("emailContacts.import.newStatus.active")}</option>
              <option value="unconfirmed">{t("emailContacts.import.newStatus.unconfirmed")}</option>
            </NativeSelect>
          )}
        </Field>
      </div>
      <FormError error={start.error} />
      <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
        <Button variant="outline" onClick={onCancel}>
          {t("emailContacts.import.cancel")}
        </Button>
        <Button type="submit" disabled={!fields.email || start.isPending} data-testid="import-start">
          {start.isPending ? t("emailContacts.import.starting") : t("emailContacts.import.start")}
        </Button>
      </div>
    </form>
  );
}
