import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import { Badge } from "@/components/ui/badge";
import { Pagination } from "@/components/ui/pagination";
import { QueryStates } from "@/components/ui/query-states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useI18n, type Locale } from "@/i18n";
import { formatDateTime, formatNumber } from "@/lib/format";
import { usePageParam, PAGE_SIZE } from "@/lib/usePage";
import { platformName } from "@/pages/conversions/shared";
import { SectionHeader } from "../SectionHeader";
import { describeRunError, IMPORTS_KEY, importKindKey, importStatusKey, isActive, POLL_MS, type SpendImport } from "./types";

const VARIANTS: Record<string, "success" | "destructive" | "secondary" | "default"> = {
  succeeded: "success",
  failed: "destructive",
  queued: "secondary",
  running: "default",
};

/** A run's status as a badge, with its progress (days done of days) while it runs. */
export function RunStatus({ run }: { run: SpendImport }) {
  const { t, locale } = useI18n();
  const progress = run.days_total > 0 ? run.days_done / run.days_total : 0;
  return (
    <div className="grid gap-1" data-testid="run-status">
      <Badge variant={VARIANTS[run.status] ?? "secondary"}>{t(importStatusKey(run.status))}</Badge>
      {isActive(run) && run.days_total > 0 ? (
        <div className="grid gap-0.5">
          <div
            className="h-1.5 w-24 overflow-hidden rounded bg-muted"
            role="progressbar"
            aria-valuemin={0}
            aria-valuemax={run.days_total}
            aria-valuenow={run.days_done}
            aria-label={t("spend.log.progress")}
          >
            <div className="h-full bg-primary" style={{ width: `${Math.round(progress * 100)}%` }} />
          </div>
          <span className="text-xs text-muted-foreground">
            {t("spend.log.days", { done: formatNumber(run.days_done, locale), total: formatNumber(run.days_total, locale) })}
          </span>
        </div>
      ) : null}
    </div>
  );
}

/** A run's errors: the failure, then every logged error on its own line. */
function RunErrors({ run }: { run: SpendImport }) {
  const { t, locale } = useI18n();
  if (!run.error && run.errors.length === 0) return <span className="text-muted-foreground">0</span>;
  return (
    <details data-testid="run-errors">
      <summary className="cursor-pointer">{t("spend.log.errorCount", { count: formatNumber(run.errors.length + (run.error ? 1 : 0), locale) })}</summary>
      <ul className="mt-1 grid max-w-md gap-1 text-xs">
        {run.error ? <li className="break-words font-medium text-destructive">{run.error}</li> : null}
        {run.errors.map((e, i) => (
          <li key={i} className="break-words">
            {describeRunError(e, t)}
          </li>
        ))}
      </ul>
    </details>
  );
}

function seconds(ms: number | null | undefined, locale: Locale): string {
  return ms === null || ms === undefined ? "—" : `${formatNumber(ms / 1000, locale, { maximumFractionDigits: 1 })} s`;
}

/** The import run log, newest first: kind, account, days, status and progress, rows, errors, duration. Polled while a run is going. */
export function ImportLog() {
  const { t, locale } = useI18n();
  const [page, setPage] = usePageParam();
  const runs = useQuery({
    queryKey: [...IMPORTS_KEY, page],
    queryFn: () => unwrap(api.GET("/api/analytics/spend/imports", { params: { query: { page, page_size: PAGE_SIZE } } })),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => (query.state.data?.items.some(isActive) ? POLL_MS : false),
  });
  return (
    <section className="grid gap-3">
      <SectionHeader title={t("spend.log.title")} description={t("spend.log.description")} />
      <QueryStates query={runs} isEmpty={(d) => d.items.length === 0} empty={t("spend.log.empty")}>
        {(data) => (
          <div>
            <Table aria-label={t("spend.log.title")}>
              <THead>
                <TR>
                  <TH>{t("spend.log.created")}</TH>
                  <TH>{t("spend.log.kind")}</TH>
                  <TH>{t("spend.col.account")}</TH>
                  <TH>{t("spend.log.range")}</TH>
                  <TH>{t("spend.col.status")}</TH>
                  <TH className="text-right">{t("spend.log.rows")}</TH>
                  <TH>{t("spend.log.errors")}</TH>
                  <TH className="text-right">{t("spend.log.duration")}</TH>
                </TR>
              </THead>
              <TBody>
                {data.items.map((run) => (
                  <TR key={run.id} data-testid="import-row">
                    <TD className="whitespace-nowrap">{formatDateTime(run.created_at, locale)}</TD>
                    <TD>{t(importKindKey(run.kind))}</TD>
                    <TD>
                      {platformName(run.platform)}
                      {run.account_id ? <span className="ml-1 font-mono text-xs text-muted-foreground">{run.account_id}</span> : null}
                    </TD>
                    <TD className="whitespace-nowrap text-xs">{run.date_from && run.date_to ? `${run.date_from} – ${run.date_to}` : "—"}</TD>
                    <TD>
                      <RunStatus run={run} />
                    </TD>
                    <TD className="text-right tabular-nums">{formatNumber(run.rows, locale)}</TD>
                    <TD>
                      <RunErrors run={run} />
                    </TD>
                    <TD className="text-right tabular-nums">{seconds(run.duration_ms, locale)}</TD>
                  </TR>
                ))}
              </TBody>
            </Table>
            <Pagination page={page} pageSize={PAGE_SIZE} total={data.total} onPageChange={setPage} />
          </div>
        )}
      </QueryStates>
    </section>
  );
}
