import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Upload } from "lucide-react";
import { useId, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { api, ApiError, unwrap } from "@/api/client";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { NativeSelect } from "@/components/ui/native-select";
import { FormError } from "@/components/ui/states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useI18n, type MessageKey } from "@/i18n";
import { formatNumber } from "@/lib/format";
import { SectionHeader } from "../SectionHeader";
import { describeRunError, IMPORTS_KEY, SPEND_KEY, type CsvPreview, type SpendImport } from "./types";

/** The fields a file must map (campaign: its id or its name). */
const REQUIRED = new Set(["day", "spend"]);

export interface RowError {
  row: number;
  column: string | null;
  message: string;
}

/** The row errors of a refused file (422 with `row` in its details); empty for other errors. */
export function rowErrors(error: unknown): RowError[] {
  if (!(error instanceof ApiError) || !Array.isArray(error.details)) return [];
  return error.details
    .filter((d): d is Record<string, unknown> => typeof d === "object" && d !== null && typeof (d as { row?: unknown }).row === "number")
    .map((d) => ({ row: d.row as number, column: typeof d.column === "string" ? d.column : null, message: String(d.message ?? "") }));
}

/** What is missing from a mapping before it can be sent (message keys). */
export function mappingProblems(mapping: Record<string, string>, fileCurrency: string): MessageKey[] {
  const problems: MessageKey[] = [];
  if (!mapping.day) problems.push("spend.csv.needDay");
  if (!mapping.spend) problems.push("spend.csv.needSpend");
  if (!mapping.campaign_id && !mapping.campaign_name) problems.push("spend.csv.needCampaign");
  if (!mapping.currency && !/^[A-Za-z]{3}$/.test(fileCurrency.trim())) problems.push("spend.csv.needCurrency");
  return problems;
}

function RowErrorsTable({ errors }: { errors: RowError[] }) {
  const { t } = useI18n();
  return (
    <div className="grid gap-2" data-testid="csv-row-errors">
      <p className="text-sm font-medium text-destructive">{t("spend.csv.rowErrors", { count: errors.length })}</p>
      <Table aria-label={t("spend.csv.rowErrorsTitle")}>
        <THead>
          <TR>
            <TH className="text-right">{t("spend.csv.row")}</TH>
            <TH>{t("spend.csv.column")}</TH>
            <TH>{t("spend.csv.reason")}</TH>
          </TR>
        </THead>
        <TBody>
          {errors.map((e, i) => (
            <TR key={`${e.row}-${i}`} data-testid="csv-row-error">
              <TD className="text-right tabular-nums">{e.row}</TD>
              <TD className="font-mono text-xs">{e.column ?? "—"}</TD>
              <TD>{e.message}</TD>
            </TR>
          ))}
        </TBody>
      </Table>
    </div>
  );
}

function ImportResult({ run }: { run: SpendImport }) {
  const { t, locale } = useI18n();
  return (
    <Card data-testid="csv-result">
      <CardHeader>
        <CardTitle className="text-base">{t("spend.csv.done", { rows: formatNumber(run.rows, locale) })}</CardTitle>
        <CardDescription>
          {run.date_from && run.date_to ? t("spend.csv.doneRange", { from: run.date_from, to: run.date_to }) : null}{" "}
          <Link to={`/analytics/ads${run.date_from && run.date_to ? `?date_from=${run.date_from}&date_to=${run.date_to}` : ""}`} className="text-primary underline">
            {t("spend.csv.seeReport")}
          </Link>
        </CardDescription>
      </CardHeader>
      {run.errors.length > 0 ? (
        <CardContent>
          <p className="text-sm font-medium">{t("spend.csv.merged")}</p>
          <ul className="mt-1 grid gap-1 text-xs">
            {run.errors.map((e, i) => (
              <li key={i}>{describeRunError(e, t)}</li>
            ))}
          </ul>
        </CardContent>
      ) : null}
    </Card>
  );
}

/** The mapping editor over a preview: one column per field, the file's options, then import. */
function MappingForm({ file, preview, onImported }: { file: File; preview: CsvPreview; onImported: (run: SpendImport) => void }) {
  const { t, locale } = useI18n();
  const id = useId();
  const qc = useQueryClient();
  const [mapping, setMapping] = useState<Record<string, string>>(preview.suggested_mapping);
  const [source, setSource] = useState("csv");
  const [currency, setCurrency] = useState("");
  const [accountId, setAccountId] = useState("");
  const [timezone, setTimezone] = useState("");
  const problems = mappingProblems(mapping, currency);

  const upload = useMutation({
    mutationFn: () => {
      const form = new FormData();
      form.append("file", file);
      const chosen = Object.fromEntries(Object.entries(mapping).filter(([, column]) => column));
      form.append("mapping", JSON.stringify(chosen));
      form.append("source", source.trim() || "csv");
      if (currency.trim()) form.append("currency", currency.trim().toUpperCase());
      if (accountId.trim()) form.append("account_id", accountId.trim());
      if (timezone.trim()) form.append("timezone", timezone.trim());
      return unwrap(api.POST("/api/analytics/spend/csv", { body: form as never }));
    },
    onSuccess: (run) => {
      void qc.invalidateQueries({ queryKey: IMPORTS_KEY });
      void qc.invalidateQueries({ queryKey: SPEND_KEY });
      onImported(run);
    },
  });
  const errors = rowErrors(upload.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (problems.length === 0) upload.mutate();
  };

  return (
    <form className="grid gap-4" onSubmit={submit} data-testid="csv-mapping-form">
      <Card>
        <CardHeader>
          <CardTitle className="text-base">{t("spend.csv.previewTitle", { name: file.name })}</CardTitle>
          <CardDescription>
            {t("spend.csv.previewSummary", { rows: formatNumber(preview.row_count, locale), columns: preview.columns.length, delimiter: preview.delimiter === "\t" ? "tab" : preview.delimiter })}
          </CardDescription>
        </CardHeader>
        <CardContent className="overflow-x-auto">
          <Table aria-label={t("spend.csv.sample")} data-testid="csv-sample">
            <THead>
              <TR>
                {preview.columns.map((c) => (
                  <TH key={c}>{c}</TH>
                ))}
              </TR>
            </THead>
            <TBody>
              {preview.sample_rows.map((row, i) => (
                <TR key={i}>
                  {preview.columns.map((c) => (
                    <TD key={c} className="whitespace-nowrap text-xs">
                      {row[c]}
                    </TD>
                  ))}
                </TR>
              ))}
            </TBody>
          </Table>
        </CardContent>
      </Card>

      <Card>
        <CardHeader>
          <CardTitle className="text-base">{t("spend.csv.mappingTitle")}</CardTitle>
          <CardDescription>{t("spend.csv.mappingDescription")}</CardDescription>
        </CardHeader>
        <CardContent className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
          {preview.fields.map((field) => (
            <div key={field} className="grid gap-1.5">
              <Label htmlFor={`${id}-${field}`}>
                {t(`spend.field.${field}` as MessageKey)}
                {REQUIRED.has(field) ? <span className="ml-1 text-destructive">*</span> : null}
              </Label>
              <NativeSelect
                id={`${id}-${field}`}
                value={mapping[field] ?? ""}
                onChange={(e) => setMapping({ ...mapping, [field]: e.target.value })}
                data-testid={`map-${field}`}
              >
                <option value="">{t("spend.csv.notMapped")}</option>
                {preview.columns.map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </NativeSelect>
            </div>
          ))}
        </CardContent>
      </Card>

      <Card>
        <CardHeader>
          <CardTitle className="text-base">{t("spend.csv.optionsTitle")}</CardTitle>
        </CardHeader>
        <CardContent className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
          <Field label={t("spend.csv.source")} hint={t("spend.csv.sourceHint")}>
            {(p) => <Input {...p} value={source} onChange={(e) => setSource(e.target.value)} maxLength={20} data-testid="csv-source" />}
          </Field>
          <Field label={t("spend.csv.fileCurrency")} hint={t("spend.csv.fileCurrencyHint")} optionalText={t("common.optional")}>
            {(p) => <Input {...p} value={currency} onChange={(e) => setCurrency(e.target.value)} maxLength={3} className="uppercase" data-testid="csv-currency" />}
          </Field>
          <Field label={t("spend.col.accountId")} optionalText={t("common.optional")}>
            {(p) => <Input {...p} value={accountId} onChange={(e) => setAccountId(e.target.value)} maxLength={64} />}
          </Field>
          <Field label={t("spend.col.timezone")} hint={t("spend.csv.timezoneHint")} optionalText={t("common.optional")}>
            {(p) => <Input {...p} value={timezone} onChange={(e) => setTimezone(e.target.value)} maxLength={64} />}
          </Field>
        </CardContent>
      </Card>

      {problems.length > 0 ? (
        <ul className="grid gap-1 text-sm text-muted-foreground" data-testid="csv-mapping-problems">
          {problems.map((p) => (
            <li key={p}>{t(p)}</li>
          ))}
        </ul>
      ) : null}
      {errors.length > 0 ? <RowErrorsTable errors={errors} /> : <FormError error={upload.error} />}
      <div>
        <Button type="submit" disabled={problems.length > 0 || upload.isPending} data-testid="csv-import">
          {upload.isPending ? t("spend.csv.importing") : t("spend.csv.import", { rows: formatNumber(preview.row_count, locale) })}
        </Button>
      </div>
    </form>
  );
}

/** Settings → Spend CSV: choose a file, see its preview and guessed mapping, edit the mapping, import; row errors listed. */
export default function SpendCsvSection() {
  const { t } = useI18n();
  const inputId = useId();
  const [file, setFile] = useState<File | null>(null);
  const [imported, setImported] = useState<SpendImport | null>(null);
  const preview = useMutation({
    mutationFn: (chosen: File) => {
      const form = new FormData();
      form.append("file", chosen);
      return unwrap(api.POST("/api/analytics/spend/csv/preview", { body: form as never }));
    },
  });
  const choose = (chosen: File | null) => {
    setFile(chosen);
    setImported(null);
    if (chosen) preview.mutate(chosen);
    else preview.reset();
  };
  return (
    <section className="grid gap-4">
      <SectionHeader title={t("spend.csv.title")} description={t("spend.csv.description")} />
      <div className="grid max-w-md gap-1.5">
        <Label htmlFor={inputId}>{t("spend.csv.file")}</Label>
        <div className="flex items-center gap-2">
          <Upload className="h-4 w-4 text-muted-foreground" aria-hidden />
          <Input id={inputId} type="file" accept=".csv,.tsv,.txt,text/csv" onChange={(e) => choose(e.target.files?.[0] ?? null)} data-testid="csv-file" />
        </div>
        <p className="text-xs text-muted-foreground">{t("spend.csv.fileHint")}</p>
      </div>
      {preview.isPending ? <p className="text-sm text-muted-foreground">{t("spend.csv.reading")}</p> : null}
      <FormError error={preview.error} />
      {imported ? <ImportResult run={imported} /> : null}
      {file && preview.data && !imported ? <MappingForm key={`${file.name}-${file.lastModified}`} file={file} preview={preview.data} onImported={setImported} /> : null}
    </section>
  );
}
