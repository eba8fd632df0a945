import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Download } from "lucide-react";
import { useState } from "react";
import { api, unwrap } from "@/api/client";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { NativeSelect } from "@/components/ui/native-select";
import { Pagination } from "@/components/ui/pagination";
import { QueryStates } from "@/components/ui/query-states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useToast } from "@/components/ui/toast";
import { useI18n, type MessageKey } from "@/i18n";
import { saveBlob } from "@/lib/csv";
import { errorMessage } from "@/lib/errors";
import { formatDateTime } from "@/lib/format";
import { PAGE_SIZE } from "@/lib/usePage";
import { SectionHeader } from "../SectionHeader";
import { AUDIT_ACTIONS, type AuditAction, type AuditQuery } from "./types";

interface Filters {
  action: AuditAction | "";
  entity: string;
  actor: string;
  from: string; // yyyy-mm-dd, the organization's day as the browser sees it
  to: string;
}

const EMPTY: Filters = { action: "", entity: "", actor: "", from: "", to: "" };

/** The query the API takes for these filters (days → instants, `to` inclusive). */
export function auditQuery(filters: Filters): AuditQuery {
  const query: AuditQuery = {};
  if (filters.action) query.action = filters.action;
  if (filters.entity.trim()) query.entity_type = filters.entity.trim();
  if (filters.actor) query.actor_id = filters.actor;
  if (filters.from) query.since = new Date(`${filters.from}T00:00:00`).toISOString();
  if (filters.to) {
    const end = new Date(`${filters.to}T00:00:00`);
    end.setDate(end.getDate() + 1);
    query.until = end.toISOString();
  }
  return query;
}

/** Settings → Privacy: who read, exported or changed what, when and from where. */
export default function AuditLogSection() {
  const { t, locale } = useI18n();
  const { toast } = useToast();
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [page, setPage] = useState(1);
  const query = auditQuery(filters);
  const list = useQuery({
    queryKey: ["privacy", "audit", query, page],
    queryFn: () => unwrap(api.GET("/api/privacy/audit", { params: { query: { ...query, page, page_size: PAGE_SIZE } } })),
    placeholderData: keepPreviousData,
  });
  const entityTypes = useQuery({
    queryKey: ["privacy", "audit", "entity-types"],
    queryFn: () => unwrap(api.GET("/api/privacy/audit/entity-types")),
  });
  const members = useQuery({
    queryKey: ["members", "privacy-filter"],
    queryFn: () => unwrap(api.GET("/api/members", { params: { query: { page_size: 200 } } })),
  });
  const change = (next: Partial<Filters>) => {
    setFilters((prev) => ({ ...prev, ...next }));
    setPage(1);
  };
  const download = async () => {
    const { data, error } = await api.GET("/api/privacy/audit/export", { params: { query }, parseAs: "blob" });
    if (error || !data) toast(errorMessage(error, t), "error");
    else saveBlob("audit-log.csv", data as Blob);
  };
  return (
    <section className="grid gap-4" data-testid="audit-log">
      <SectionHeader
        title={t("privacy.audit.title")}
        description={t("privacy.audit.description")}
        action={
          <Button variant="outline" size="sm" onClick={() => void download()} data-testid="audit-csv">
            <Download aria-hidden />
            {t("csv.download")}
          </Button>
        }
      />
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-5">
        <div className="grid gap-1.5">
          <Label htmlFor="audit-actor">{t("privacy.audit.actor")}</Label>
          <NativeSelect id="audit-actor" value={filters.actor} onChange={(e) => change({ actor: e.target.value })}>
            <option value="">{t("privacy.audit.anyone")}</option>
            {(members.data?.items ?? []).map((m) => (
              <option key={m.user_id} value={m.user_id}>
                {m.name}
              </option>
            ))}
          </NativeSelect>
        </div>
        <div className="grid gap-1.5">
          <Label htmlFor="audit-action">{t("privacy.audit.action")}</Label>
          <NativeSelect id="audit-action" value={filters.action} onChange={(e) => change({ action: e.target.value as AuditAction | "" })}>
            <option value="">{t("privacy.audit.anyAction")}</option>
            {AUDIT_ACTIONS.map((a) => (
              <option key={a} value={a}>
                {t(`privacy.action.${a}` as MessageKey)}
              </option>
            ))}
          </NativeSelect>
        </div>
        <div className="grid gap-1.5">
          <Label htmlFor="audit-entity">{t("privacy.audit.entity")}</Label>
          <NativeSelect id="audit-entity" value={filters.entity} onChange={(e) => change({ entity: e.target.value })}>
            <option value="">{t("privacy.audit.anyEntity")}</option>
            {(entityTypes.data ?? []).map((e) => (
              <option key={e} value={e}>
                {e}
              </option>
            ))}
          </NativeSelect>
        </div>
        <div className="grid gap-1.5">
          <Label htmlFor="audit-from">{t("privacy.audit.from")}</Label>
          <Input id="audit-from" type="date" value={filters.from} onChange={(e) => change({ from: e.target.value })} />
        </div>
        <div className="grid gap-1.5">
          <Label htmlFor="audit-to">{t("privacy.audit.to")}</Label>
          <Input id="audit-to" type="date" value={filters.to} onChange={(e) => change({ to: e.target.value })} />
        </div>
      </div>
      <QueryStates query={list} isEmpty={(d) => d.items.length === 0} empty={t("privacy.audit.empty")}>
        {(data) => (
          <div className="overflow-x-auto">
            <Table>
              <THead>
                <TR>
                  <TH>{t("privacy.audit.when")}</TH>
                  <TH>{t("privacy.audit.actor")}</TH>
                  <TH>{t("privacy.audit.action")}</TH>
                  <TH>{t("privacy.audit.what")}</TH>
                  <TH>{t("privacy.audit.where")}</TH>
                </TR>
              </THead>
              <TBody>
                {data.items.map((e) => (
                  <TR key={e.entry_id} data-testid="audit-row">
                    <TD className="whitespace-nowrap">
                      <time dateTime={e.occurred_at}>{formatDateTime(e.occurred_at, locale)}</time>
                    </TD>
                    <TD>{e.actor_name ?? (e.actor_kind === "api_key" ? t("privacy.audit.apiKey") : e.actor_id)}</TD>
                    <TD>
                      <Badge variant="outline">{t(`privacy.action.${e.action}` as MessageKey)}</Badge>
                    </TD>
                    <TD className="max-w-[18rem] break-all text-xs">
                      <div>{e.entity_type}</div>
                      {e.entity_id ? <div className="font-mono text-muted-foreground">{e.entity_id}</div> : null}
                    </TD>
                    <TD className="text-xs">
                      <div className="font-mono">{e.ip ?? "—"}</div>
                      <div className="text-muted-foreground">{e.user_agent ?? ""}</div>
                    </TD>
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
