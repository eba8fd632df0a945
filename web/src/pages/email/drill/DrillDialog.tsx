import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { Download } from "lucide-react";
import { useState, type ReactNode } from "react";
import type { paths } from "@/api/schema";
import { api, unwrap } from "@/api/client";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Pagination } from "@/components/ui/pagination";
import { QueryStates } from "@/components/ui/query-states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useToast } from "@/components/ui/toast";
import { useI18n, type MessageKey } from "@/i18n";
import { saveBlob } from "@/lib/csv";
import { errorMessage } from "@/lib/errors";
import { formatDateTime, formatMoney, formatNumber } from "@/lib/format";

type CampaignDrill = paths["/api/email/campaigns/{campaign_id}/drill"]["get"];
export type DrillFigure = CampaignDrill["parameters"]["query"]["figure"];
export type DrillRow = CampaignDrill["responses"][200]["content"]["application/json"]["items"][number];

/** Whose figures: a campaign's report, or one step of a sequence. */
export type DrillSource = { campaignId: string } | { sequenceId: string; stepId: string };

/** What was clicked: the figure, its label as shown, and what narrows it. */
export interface DrillTarget {
  figure: DrillFigure;
  label: string;
  day?: string;
  linkId?: number;
}

export const DRILL_PAGE_SIZE = 25;

function fetchPage(source: DrillSource, target: DrillTarget, page: number) {
  const query = { figure: target.figure, day: target.day, link_id: target.linkId, page, page_size: DRILL_PAGE_SIZE };
  if ("campaignId" in source) {
    return unwrap(api.GET("/api/email/campaigns/{campaign_id}/drill", { params: { path: { campaign_id: source.campaignId }, query } }));
  }
  return unwrap(api.GET("/api/email/sequences/{sequence_id}/steps/{step_id}/drill", { params: { path: { sequence_id: source.sequenceId, step_id: source.stepId }, query } }));
}

async function fetchCsv(source: DrillSource, target: DrillTarget): Promise<Blob> {
  const query = { figure: target.figure, day: target.day, link_id: target.linkId };
  const { data, error } =
    "campaignId" in source
      ? await api.GET("/api/email/campaigns/{campaign_id}/drill/export", { params: { path: { campaign_id: source.campaignId }, query }, parseAs: "blob" })
      : await api.GET("/api/email/sequences/{sequence_id}/steps/{step_id}/drill/export", { params: { path: { sequence_id: source.sequenceId, step_id: source.stepId }, query }, parseAs: "blob" });
  if (error || !data) throw error ?? new Error("empty");
  return data as Blob;
}

function What({ row }: { row: DrillRow }) {
  const { t, locale } = useI18n();
  if (row.lead_id) {
    const stage = t(`email.drill.stage.${row.stage === "won" ? "won" : "open"}` as MessageKey);
    return (
      <span>
        {stage}
        {row.value ? ` · ${formatMoney(Number(row.value), locale, row.currency ?? "BRL")}` : ""}
      </span>
    );
  }
  return (
    <span className="flex flex-wrap items-center gap-1">
      <span>{t(`email.drill.type.${row.type ?? "sent"}` as MessageKey)}</span>
      {row.subtype && row.type === "bounce" ? <Badge variant="outline">{t(`email.drill.bounce.${row.subtype === "hard" ? "hard" : "soft"}` as MessageKey)}</Badge> : null}
      {row.is_machine ? <Badge variant="outline">{t("email.drill.machine")}</Badge> : null}
      {row.url ? <span className="break-all text-xs text-muted-foreground">{row.url}</span> : null}
    </span>
  );
}

/** The events (or leads) behind one figure of a report, paged, with the whole list as CSV. */
export function DrillDialog({ source, target, onClose }: { source: DrillSource; target: DrillTarget; onClose: () => void }) {
  const { t, locale } = useI18n();
  const { toast } = useToast();
  const [page, setPage] = useState(1);
  const rows = useQuery({
    queryKey: ["email", "drill", source, target, page],
    queryFn: () => fetchPage(source, target, page),
    placeholderData: keepPreviousData,
  });
  const exportCsv = useMutation({
    mutationFn: async () => saveBlob(`email-${target.figure}.csv`, await fetchCsv(source, target)),
    onError: (e) => toast(t("email.drill.exportFailed", { reason: errorMessage(e, t) }), "error"),
  });
  return (
    <Dialog open onOpenChange={(open) => (open ? undefined : onClose())}>
      <DialogContent className="max-w-3xl" data-testid="drill-dialog">
        <DialogHeader>
          <DialogTitle>{t("email.drill.title", { figure: target.label })}</DialogTitle>
          <DialogDescription>{rows.data ? t("email.drill.count", { count: formatNumber(rows.data.total, locale) }) : t("email.drill.intro")}</DialogDescription>
        </DialogHeader>
        <QueryStates query={rows} isEmpty={(d) => d.total === 0} empty={t("email.drill.empty")}>
          {(data) => (
            <div className="grid gap-2">
              <div className="flex justify-end">
                <Button variant="outline" size="sm" onClick={() => exportCsv.mutate()} disabled={exportCsv.isPending} data-testid="drill-csv">
                  <Download aria-hidden />
                  {t("csv.download")}
                </Button>
              </div>
              <Table data-testid="drill-table">
                <THead>
                  <TR>
                    <TH>{t("email.drill.when")}</TH>
                    <TH>{t("email.drill.contact")}</TH>
                    <TH>{t("email.drill.what")}</TH>
                  </TR>
                </THead>
                <TBody>
                  {data.items.map((row) => (
                    <TR key={row.event_id ?? row.lead_id ?? row.occurred_at} data-testid="drill-row">
                      <TD className="whitespace-nowrap">{formatDateTime(row.occurred_at, locale)}</TD>
                      <TD className="break-all">{row.email || "—"}</TD>
                      <TD>
                        <What row={row} />
                      </TD>
                    </TR>
                  ))}
                </TBody>
              </Table>
              <Pagination page={page} pageSize={DRILL_PAGE_SIZE} total={data.total} onPageChange={setPage} />
            </div>
          )}
        </QueryStates>
      </DialogContent>
    </Dialog>
  );
}

/** A report's number that opens the list behind it. */
export function FigureButton({ label, onOpen, children, testId }: { label: string; onOpen: () => void; children: ReactNode; testId?: string }) {
  const { t } = useI18n();
  return (
    <button
      type="button"
      className="rounded-sm tabular-nums underline decoration-dotted underline-offset-4 hover:text-primary focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
      title={t("email.drill.open", { figure: label })}
      onClick={onOpen}
      data-testid={testId}
    >
      {children}
      <span className="sr-only"> ({t("email.drill.open", { figure: label })})</span>
    </button>
  );
}
