import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import { Badge } from "@/components/ui/badge";
import { Pagination } from "@/components/ui/pagination";
import { QueryStates } from "@/components/ui/query-states";
import { SortableTable, type SortableColumn } from "@/components/ui/sortable-table";
import { hasKey, useI18n } from "@/i18n";
import { formatDateTime } from "@/lib/format";
import { PAGE_SIZE, usePageParam } from "@/lib/usePage";
import { useAudiences, useCampaigns } from "./queries";
import { SectionTitle } from "./shared";
import type { Unsubscribe } from "./types";

/** Who asked not to receive mail — from everything, one campaign or one list — with when, how and why (LGPD proof); CSV of the page shown. */
export default function UnsubscribesSection() {
  const { t, locale } = useI18n();
  const [page, setPage] = usePageParam();
  const list = useQuery({
    queryKey: ["email", "unsubscribes", page],
    queryFn: () => unwrap(api.GET("/api/email/unsubscribes", { params: { query: { page, page_size: PAGE_SIZE } } })),
    placeholderData: keepPreviousData,
  });
  const campaigns = useCampaigns();
  const audiences = useAudiences();
  const campaignName = (id: string | null) => (id ? (campaigns.data?.find((c) => c.campaign_id === id)?.name ?? id.slice(0, 8)) : "");
  const audienceName = (id: string | null) => (id ? (audiences.data?.find((a) => a.audience_id === id)?.name ?? id.slice(0, 8)) : "");
  const scope = (u: Unsubscribe) => t(`email.unsubscribe.scope.${u.scope}` as const);
  const target = (u: Unsubscribe) => (u.scope === "campaign" ? campaignName(u.campaign_id) : u.scope === "list" ? audienceName(u.audience_id) : "");
  // Sources the server records; anything newer is shown as it is.
  const source = (u: Unsubscribe) => {
    const key = `email.unsubscribe.source.${u.source}`;
    return hasKey(key) ? t(key) : u.source;
  };
  const columns: SortableColumn<Unsubscribe>[] = [
    { id: "email", header: t("email.suppression.email"), value: (u) => u.email ?? "", render: (u) => <span className="break-all">{u.email ?? "—"}</span> },
    { id: "scope", header: t("email.unsubscribe.scope"), value: scope, render: (u) => <Badge variant={u.scope === "global" ? "destructive" : "secondary"}>{scope(u)}</Badge> },
    { id: "target", header: t("email.unsubscribe.target"), value: target, render: (u) => <span className="break-words">{target(u) || "—"}</span> },
    { id: "source", header: t("email.unsubscribe.source"), value: source },
    { id: "reason", header: t("email.suppression.reason"), value: (u) => u.reason ?? "", render: (u) => <span className="break-words">{u.reason ?? ""}</span> },
    { id: "created", header: t("email.unsubscribe.when"), value: (u) => u.created_at, render: (u) => formatDateTime(u.created_at, locale) },
  ];
  return (
    <section className="grid grid-cols-1 gap-4">
      <SectionTitle title={t("email.unsubscribes.title")} subtitle={t("email.unsubscribes.intro")} />
      <QueryStates query={list} isEmpty={(d) => d.total === 0} empty={t("email.unsubscribes.empty")}>
        {(data) => (
          <div>
            <SortableTable columns={columns} rows={data.items} rowKey={(u) => u.unsubscribe_id} csvFilename="descadastros-email" testId="unsubscribes-table" />
            <Pagination page={page} pageSize={PAGE_SIZE} total={data.total} onPageChange={setPage} />
          </div>
        )}
      </QueryStates>
    </section>
  );
}
