import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Download, Upload } from "lucide-react";
import { useState, type FormEvent } from "react";
import { useSearchParams } from "react-router";
import { api, unwrap } from "@/api/client";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { QueryStates } from "@/components/ui/query-states";
import { FormError } from "@/components/ui/states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { saveBlob } from "@/lib/csv";
import { errorMessage } from "@/lib/errors";
import { formatDateTime, formatNumber } from "@/lib/format";
import { MappingForm } from "./MappingForm";
import { CONTACTS_KEY, IMPORTS_KEY, type ContactImport, type ImportUpload } from "./types";

const POLL_MS = 1000;
/** The codes of skipped rows in the errors CSV (the API's ImportErrorCode). */
const ERROR_CODES = ["missing_email", "invalid_email", "duplicate_email", "invalid_phone", "name_too_long", "tag_too_long", "too_many_tags", "attribute_too_long"] as const;

function finished(run: ContactImport): boolean {
  return run.status === "done" || run.status === "failed";
}

/** Step 1: the file. */
function UploadForm({ onUploaded }: { onUploaded: (upload: ImportUpload) => void }) {
  const { t } = useI18n();
  const [file, setFile] = useState<File | null>(null);
  const upload = useMutation({
    mutationFn: (chosen: File) => {
      const form = new FormData();
      form.append("file", chosen);
      return unwrap(api.POST("/api/email/contacts/imports", { body: form as never }));
    },
    onSuccess: onUploaded,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (file) upload.mutate(file);
  };
  return (
    <form className="grid gap-3" onSubmit={submit} data-testid="import-upload-form">
      <Field label={t("emailContacts.import.file")}>
        {(ids) => <Input {...ids} type="file" accept=".csv,text/csv,text/plain" data-testid="import-file" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />}
      </Field>
      <FormError error={upload.error} />
      <div>
        <Button type="submit" disabled={!file || upload.isPending}>
          <Upload aria-hidden />
          {upload.isPending ? t("emailContacts.import.uploading") : t("emailContacts.import.upload")}
        </Button>
      </div>
    </form>
  );
}

/** Step 3: the job's progress, polled until it ends, and the skipped rows to download. */
export function ImportProgress({ importId, onAnother }: { importId: string; onAnother: () => void }) {
  const { t, locale } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const run = useQuery({
    queryKey: [...IMPORTS_KEY, importId],
    queryFn: async () => {
      const found = await unwrap(api.GET("/api/email/contacts/imports/{import_id}", { params: { path: { import_id: importId } } }));
      if (finished(found)) {
        void qc.invalidateQueries({ queryKey: CONTACTS_KEY });
        void qc.invalidateQueries({ queryKey: IMPORTS_KEY, exact: true });
      }
      return found;
    },
    // An upload left before its mapping does not move: nothing to wait for.
    refetchInterval: (query) => (query.state.data && (finished(query.state.data) || query.state.data.status === "uploaded") ? false : POLL_MS),
  });
  const download = useMutation({
    mutationFn: async () => {
      const { data, error } = await api.GET("/api/email/contacts/imports/{import_id}/errors.csv", {
        params: { path: { import_id: importId } },
        parseAs: "blob",
      });
      if (error || !data) throw error ?? new Error("empty");
      saveBlob(`import-errors.csv`, data as Blob);
    },
    onError: (e) => toast(t("emailContacts.import.errorsFailed", { reason: errorMessage(e, t) }), "error"),
  });
  return (
    <QueryStates query={run}>
      {(r) => {
        const percent = r.total_rows ? Math.round((r.rows_done / r.total_rows) * 100) : 100;
        return (
          <Card data-testid="import-progress">
            <CardHeader>
              <CardTitle className="text-base">{t("emailContacts.import.progress", { name: r.file_name })}</CardTitle>
              <CardDescription data-testid="import-status">{t(`emailContacts.import.run.${r.status}`)}</CardDescription>
            </CardHeader>
            <CardContent className="grid gap-4">
              <div>
                <div
                  role="progressbar"
                  aria-label={t("emailContacts.import.progress", { name: r.file_name })}
                  aria-valuemin={0}
                  aria-valuemax={100}
                  aria-valuenow={percent}
                  className="h-3 w-full overflow-hidden rounded-full bg-muted"
                >
                  <div className="h-full bg-primary transition-all" style={{ width: `${percent}%` }} />
                </div>
                <p className="mt-1 text-sm tabular-nums text-muted-foreground" data-testid="import-rows">
                  {t("emailContacts.import.rows", { done: formatNumber(r.rows_done, locale), total: formatNumber(r.total_rows, locale) })}
                </p>
              </div>
              <dl className="grid grid-cols-3 gap-2 text-center">
                {(["created", "updated", "skipped"] as const).map((k) => (
                  <div key={k} className="rounded-md border p-2">
                    <dt className="text-xs text-muted-foreground">{t(`emailContacts.import.${k}`)}</dt>
                    <dd className="text-lg font-semibold tabular-nums" data-testid={`import-${k}`}>
                      {formatNumber(r[k], locale)}
                    </dd>
                  </div>
                ))}
              </dl>
              {finished(r) ? <p className="text-sm text-muted-foreground">{t("emailContacts.import.doneHint")}</p> : null}
              {r.skipped > 0 ? (
                <details className="text-sm">
                  <summary className="cursor-pointer">{t("emailContacts.import.codes")}</summary>
                  <ul className="mt-1 grid gap-1 text-xs text-muted-foreground">
                    {ERROR_CODES.map((code) => (
                      <li key={code}>{t(`emailContacts.import.code.${code}`)}</li>
                    ))}
                  </ul>
                </details>
              ) : null}
              <div className="flex flex-wrap gap-2">
                {r.skipped > 0 ? (
                  <Button variant="outline" onClick={() => download.mutate()} disabled={download.isPending} data-testid="import-errors-download">
                    <Download aria-hidden />
                    {t("emailContacts.import.downloadErrors")}
                  </Button>
                ) : null}
                {finished(r) ? <Button onClick={onAnother}>{t("emailContacts.import.another")}</Button> : null}
              </div>
            </CardContent>
          </Card>
        );
      }}
    </QueryStates>
  );
}

function RecentImports({ onOpen }: { onOpen: (id: string) => void }) {
  const { t, locale } = useI18n();
  const runs = useQuery({ queryKey: IMPORTS_KEY, queryFn: () => unwrap(api.GET("/api/email/contacts/imports")) });
  return (
    <section className="grid gap-2">
      <h2 className="text-lg font-semibold">{t("emailContacts.import.recent")}</h2>
      <QueryStates query={runs} isEmpty={(d) => d.length === 0} empty={t("emailContacts.import.noRecent")}>
        {(data) => (
          <div className="overflow-x-auto">
            <Table aria-label={t("emailContacts.import.recent")}>
              <THead>
                <TR>
                  <TH>{t("emailContacts.import.col.file")}</TH>
                  <TH>{t("emailContacts.import.col.when")}</TH>
                  <TH>{t("emailContacts.import.col.status")}</TH>
                  <TH className="text-right">{t("emailContacts.import.created")}</TH>
                  <TH className="text-right">{t("emailContacts.import.updated")}</TH>
                  <TH className="text-right">{t("emailContacts.import.skipped")}</TH>
                </TR>
              </THead>
              <TBody>
                {data.map((r) => (
                  <TR key={r.import_id}>
                    <TD className="max-w-[16rem] break-all">
                      <button type="button" className="text-left text-primary hover:underline" onClick={() => onOpen(r.import_id)}>
                        {r.file_name}
                      </button>
                    </TD>
                    <TD className="whitespace-nowrap text-sm">{formatDateTime(r.created_at, locale)}</TD>
                    <TD className="text-sm">{t(`emailContacts.import.run.${r.status}`)}</TD>
                    <TD className="text-right tabular-nums">{formatNumber(r.created, locale)}</TD>
                    <TD className="text-right tabular-nums">{formatNumber(r.updated, locale)}</TD>
                    <TD className="text-right tabular-nums">{formatNumber(r.skipped, locale)}</TD>
                  </TR>
                ))}
              </TBody>
            </Table>
          </div>
        )}
      </QueryStates>
    </section>
  );
}

/** The import wizard: upload → column mapping → progress (kept in the URL as ?import=id). */
export default function ImportSection() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const [upload, setUpload] = useState<ImportUpload | null>(null);
  const importId = params.get("import");
  const open = (id: string | null) => {
    setUpload(null);
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        if (id) next.set("import", id);
        else next.delete("import");
        return next;
      },
      { replace: false },
    );
  };
  return (
    <div className="grid grid-cols-1 gap-6">
      <Card>
        <CardHeader>
          <CardTitle className="text-base">{t("emailContacts.import.title")}</CardTitle>
          <CardDescription>{t("emailContacts.import.description")}</CardDescription>
        </CardHeader>
        <CardContent>
          {importId ? (
            <ImportProgress importId={importId} onAnother={() => open(null)} />
          ) : upload ? (
            <MappingForm upload={upload} onStarted={(run) => open(run.import_id)} onCancel={() => setUpload(null)} />
          ) : (
            <UploadForm onUploaded={setUpload} />
          )}
        </CardContent>
      </Card>
      <RecentImports onOpen={open} />
    </div>
  );
}
