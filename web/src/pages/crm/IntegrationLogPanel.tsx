import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { RotateCcw } from "lucide-react";
import { useState } from "react";
import { api, unwrap } from "@/api/client";
import { useCurrentUser } from "@/auth/session";
import { Button } from "@/components/ui/button";
import { Pagination } from "@/components/ui/pagination";
import { QueryStates } from "@/components/ui/query-states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { errorMessage } from "@/lib/errors";
import { formatDateTime, formatNumber } from "@/lib/format";
import { StatusChip } from "./shared";
import { CRM_WRITE, type IntegrationLog } from "./types";

const PAGE_SIZE = 10;

/** Push attempts: destination, event, status chip, HTTP status and error; failed rows get Retry. */
export function IntegrationLogTable({
  entries,
  onRetry,
  retrying,
}: {
  entries: IntegrationLog[];
  /** Absent when the viewer may not retry. */
  onRetry?: (entry: IntegrationLog) => void;
  retrying?: string | null;
}) {
  const { t, locale } = useI18n();
  return (
    <Table>
      <THead>
        <TR>
          <TH>{t("crm.log.when")}</TH>
          <TH>{t("crm.log.destination")}</TH>
          <TH>{t("crm.log.event")}</TH>
          <TH>{t("crm.log.status")}</TH>
          <TH>{t("crm.log.detail")}</TH>
          {onRetry ? <TH className="text-right">{t("common.actions")}</TH> : null}
        </TR>
      </THead>
      <TBody>
        {entries.map((e) => (
          <TR key={e.log_id} data-testid="integration-log-row">
            <TD className="whitespace-nowrap">
              <time dateTime={e.created_at}>{formatDateTime(e.created_at, locale)}</time>
            </TD>
            <TD className="break-words">{e.integration_name}</TD>
            <TD>
              <code className="text-xs">{e.event}</code>
            </TD>
            <TD>
              <StatusChip status={e.status} />
              {e.retry_count > 0 ? <div className="mt-1 text-xs text-muted-foreground">{t("crm.log.attempts", { count: formatNumber(e.retry_count + 1, locale) })}</div> : null}
            </TD>
            <TD className="max-w-[22rem] break-words text-xs">
              {e.http_status ? <span className="mr-1 font-mono">HTTP {e.http_status}</span> : null}
              {e.error_message ?? ""}
            </TD>
            {onRetry ? (
              <TD className="text-right">
                {e.status === "failed" ? (
                  <Button variant="outline" size="sm" onClick={() => onRetry(e)} disabled={retrying === e.log_id} data-testid="integration-retry">
                    <RotateCcw aria-hidden />
                    {t("crm.log.retry")}
                  </Button>
                ) : null}
              </TD>
            ) : null}
          </TR>
        ))}
      </TBody>
    </Table>
  );
}

/** A lead's pushes to CRMs and webhooks (`GET /api/integrations-log?lead_id=`), with Retry. */
export function IntegrationLogPanel({ leadId }: { leadId: string }) {
  const { t } = useI18n();
  const me = useCurrentUser();
  const { toast } = useToast();
  const qc = useQueryClient();
  const [page, setPage] = useState(1);
  const key = ["crm", "integrations-log", leadId] as const;
  const log = useQuery({
    queryKey: [...key, page],
    queryFn: () => unwrap(api.GET("/api/integrations-log", { params: { query: { lead_id: leadId, page, page_size: PAGE_SIZE } } })),
    placeholderData: keepPreviousData,
  });
  const retry = useMutation({
    mutationFn: (entry: IntegrationLog) => unwrap(api.POST("/api/integrations-log/{log_id}/retry", { params: { path: { log_id: entry.log_id } } })),
    onSuccess: (_r, entry) => {
      toast(t("crm.log.retryQueued", { name: entry.integration_name }));
      void qc.invalidateQueries({ queryKey: key });
    },
    onError: (e) => toast(errorMessage(e, t), "error"),
  });
  const canRetry = me.permissions.includes(CRM_WRITE);
  return (
    <QueryStates query={log} isEmpty={(d) => d.items.length === 0} empty={t("crm.log.empty")}>
      {(data) => (
        <div>
          <IntegrationLogTable entries={data.items} onRetry={canRetry ? (e) => retry.mutate(e) : undefined} retrying={retry.isPending ? (retry.variables?.log_id ?? null) : null} />
          <Pagination page={page} pageSize={PAGE_SIZE} total={data.total} onPageChange={setPage} />
        </div>
      )}
    </QueryStates>
  );
}
