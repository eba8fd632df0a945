import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, unwrap } from "@/api/client";
import type { paths } from "@/api/schema";
import { useCurrentUser } from "@/auth/session";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { CsvButton } from "@/components/ui/csv-button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { QueryStates } from "@/components/ui/query-states";
import { EmptyState, FormError } from "@/components/ui/states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useToast } from "@/components/ui/toast";
import { hasKey, useI18n, type MessageKey, type TFunction } from "@/i18n";
import type { CsvColumn } from "@/lib/csv";
import { formatDate, formatDateTime, formatNumber } from "@/lib/format";

type Json<T> = T extends { content: { "application/json": infer J } } ? J : never;
export type Retention = Json<paths["/api/privacy/retention"]["get"]["responses"][200]>;
type Run = NonNullable<Retention["last_run"]>;
export interface ChangeRow {
  module: string;
  change: string;
  rows: number | null;
  error: string | null;
}

export const RETENTION_ADMIN = "privacy:retention_admin";

/** A run's changes as rows (module, change, rows), a failed module as one row with its error. */
export function changeRows(run: Run): ChangeRow[] {
  return Object.entries(run.changes).flatMap(([module, changes]): ChangeRow[] =>
    "error" in changes
      ? [{ module, change: "", rows: null, error: String(changes.error) }]
      : Object.entries(changes).map(([change, rows]) => ({ module, change, rows: Number(rows), error: null })),
  );
}

const label = (t: TFunction, key: string) => (hasKey(key) ? t(key as MessageKey) : key);

function LastRun({ run }: { run: Run }) {
  const { t, locale } = useI18n();
  const rows = changeRows(run);
  const columns: CsvColumn<ChangeRow>[] = [
    { header: t("retention.module"), value: (r) => label(t, `retention.module.${r.module}`) },
    { header: t("retention.change"), value: (r) => (r.error ? t("retention.error", { error: r.error }) : label(t, `retention.change.${r.change}`)) },
    { header: t("retention.rows"), value: (r) => r.rows },
  ];
  return (
    <div className="grid gap-3" data-testid="retention-last-run">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p className="text-sm">
          {t("retention.runSummary", { when: formatDateTime(run.finished_at, locale), cutoff: formatDate(run.cutoff, locale), months: run.retention_months })}{" "}
          <Badge variant={run.status === "done" ? "success" : "destructive"}>{t(run.status === "done" ? "retention.status.done" : "retention.status.failed")}</Badge>
        </p>
        <CsvButton filename="anonymisation.csv" columns={columns} rows={rows} />
      </div>
      <div className="overflow-x-auto">
        <Table>
          <THead>
            <TR>
              {columns.map((c) => (
                <TH key={c.header}>{c.header}</TH>
              ))}
            </TR>
          </THead>
          <TBody>
            {rows.map((r) => (
              <TR key={`${r.module}-${r.change}`}>
                <TD>{label(t, `retention.module.${r.module}`)}</TD>
                <TD>{r.error ? t("retention.error", { error: r.error }) : label(t, `retention.change.${r.change}`)}</TD>
                <TD className="text-right tabular-nums">{r.rows === null ? "—" : formatNumber(r.rows, locale)}</TD>
              </TR>
            ))}
          </TBody>
        </Table>
      </div>
    </div>
  );
}

function RetentionForm({ saved, canWrite }: { saved: Retention; canWrite: boolean }) {
  const { t } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const [months, setMonths] = useState(String(saved.retention_months));
  const refresh = () => qc.invalidateQueries({ queryKey: ["privacy", "retention"] });
  const save = useMutation({
    mutationFn: () => unwrap(api.PUT("/api/privacy/retention", { body: { retention_months: Number(months) } })),
    onSuccess: () => {
      toast(t("common.saved"));
      void refresh();
    },
  });
  const run = useMutation({
    mutationFn: () => unwrap(api.POST("/api/privacy/retention/run")),
    onSuccess: () => {
      toast(t("retention.queued"));
      void refresh();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <div className="grid gap-5">
      <form onSubmit={submit} className="grid gap-3" data-testid="retention-form">
        <fieldset disabled={!canWrite || save.isPending} className="contents">
          <div className="grid max-w-xs gap-1.5">
            <Label htmlFor="retention-months">{t("retention.months")}</Label>
            <Input id="retention-months" type="number" min={saved.min_months} max={saved.max_months} value={months} onChange={(e) => setMonths(e.target.value)} required />
            <p className="text-xs text-muted-foreground">{t("retention.monthsHint", { min: saved.min_months, max: saved.max_months })}</p>
          </div>
          {canWrite ? (
            <div className="flex flex-wrap gap-2">
              <Button type="submit" data-testid="retention-save">
                {save.isPending ? t("common.saving") : t("common.save")}
              </Button>
              <Button type="button" variant="outline" onClick={() => run.mutate()} disabled={run.isPending} data-testid="retention-run">
                {t("retention.runNow")}
              </Button>
            </div>
          ) : null}
          <FormError error={save.error ?? run.error} />
        </fieldset>
      </form>
      <div className="grid gap-2">
        <h3 className="text-sm font-medium">{t("retention.lastRun")}</h3>
        {saved.last_run ? <LastRun run={saved.last_run} /> : <EmptyState message={t("retention.noRun")} />}
      </div>
    </div>
  );
}

/** Settings › Privacy › Retention: months of retention, and what the last anonymisation changed. */
export default function RetentionSection() {
  const { t } = useI18n();
  const me = useCurrentUser();
  const retention = useQuery({ queryKey: ["privacy", "retention"], queryFn: () => unwrap(api.GET("/api/privacy/retention")) });
  return (
    <Card>
      <CardHeader>
        <CardTitle>{t("retention.title")}</CardTitle>
        <CardDescription>{t("retention.description")}</CardDescription>
      </CardHeader>
      <CardContent>
        <QueryStates query={retention}>{(data) => <RetentionForm key={JSON.stringify(data)} saved={data} canWrite={me.permissions.includes(RETENTION_ADMIN)} />}</QueryStates>
      </CardContent>
    </Card>
  );
}
