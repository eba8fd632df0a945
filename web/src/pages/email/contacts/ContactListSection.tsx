import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { Download, Search, Upload } from "lucide-react";
import { useEffect, useState } from "react";
import { Link, useSearchParams } from "react-router";
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
import { useI18n } from "@/i18n";
import { saveBlob } from "@/lib/csv";
import { errorMessage } from "@/lib/errors";
import { textParam } from "@/lib/filterParams";
import { formatDate, formatDateTime, formatNumber } from "@/lib/format";
import { PAGE_SIZE, usePageParam } from "@/lib/usePage";
import { statusLabel } from "./status";
import { StatusChart } from "./StatusChart";
import { CONTACT_STATUSES, CONTACTS_KEY, type ContactStatus } from "./types";

const BADGE: Record<ContactStatus, "success" | "secondary" | "destructive" | "outline"> = {
  active: "success",
  unconfirmed: "secondary",
  suppressed: "destructive",
  bounced: "destructive",
  complained: "destructive",
  unsubscribed: "outline",
};

function isStatus(value: string | null): value is ContactStatus {
  return value !== null && (CONTACT_STATUSES as string[]).includes(value);
}

/** The e-mail contacts: searched by address or name, filtered by status, exported as CSV. */
export default function ContactListSection() {
  const { t, locale } = useI18n();
  const [params, setParams] = useSearchParams();
  const [page, setPage] = usePageParam();
  const q = textParam(params, "q");
  const rawStatus = textParam(params, "status");
  const status = isStatus(rawStatus) ? rawStatus : null;
  const [text, setText] = useState(q ?? "");
  useEffect(() => setText(q ?? ""), [q]);
  useEffect(() => {
    const wanted = text.trim().length >= 2 ? text.trim() : null;
    if (wanted === q) return;
    const id = setTimeout(
      () =>
        setParams(
          (prev) => {
            const next = new URLSearchParams(prev);
            next.delete("page");
            if (wanted) next.set("q", wanted);
            else next.delete("q");
            return next;
          },
          { replace: true },
        ),
      300,
    );
    return () => clearTimeout(id);
  }, [text, q, setParams]);
  const query = { page, page_size: PAGE_SIZE, ...(q ? { q } : {}), ...(status ? { status } : {}) };
  const contacts = useQuery({
    queryKey: [...CONTACTS_KEY, query],
    queryFn: () => unwrap(api.GET("/api/email/contacts", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const { toast } = useToast();
  const exportCsv = useMutation({
    mutationFn: async () => {
      const filters = { ...(q ? { q } : {}), ...(status ? { status } : {}) };
      const { data, error } = await api.GET("/api/email/contacts/export", { params: { query: filters }, parseAs: "blob" });
      if (error || !data) throw error ?? new Error("empty");
      saveBlob("email-contacts.csv", data as Blob);
    },
    onError: (e) => toast(t("emailContacts.exportFailed", { reason: errorMessage(e, t) }), "error"),
  });
  const importLink = (
    <Button asChild variant="outline" size="sm">
      <Link to="/email/contacts/import">
        <Upload aria-hidden />
        {t("emailContacts.importCsv")}
      </Link>
    </Button>
  );
  return (
    <div className="grid grid-cols-1 gap-4">
      <StatusChart />
      <div className="grid gap-3 rounded-lg border p-3 sm:grid-cols-[1fr_16rem]" role="search" aria-label={t("emailContacts.filters")}>
        <div className="grid gap-1.5">
          <Label htmlFor="email-contact-q">{t("emailContacts.search")}</Label>
          <div className="relative">
            <Search className="pointer-events-none absolute left-3 top-3 h-4 w-4 text-muted-foreground" aria-hidden />
            <Input id="email-contact-q" type="search" className="pl-9" value={text} onChange={(e) => setText(e.target.value)} placeholder={t("emailContacts.searchPlaceholder")} maxLength={200} />
          </div>
        </div>
        <div className="grid gap-1.5">
          <Label htmlFor="email-contact-status">{t("emailContacts.status")}</Label>
          <NativeSelect
            id="email-contact-status"
            value={status ?? ""}
            onChange={(e) =>
              setParams(
                (prev) => {
                  const next = new URLSearchParams(prev);
                  next.delete("page");
                  if (e.target.value) next.set("status", e.target.value);
                  else next.delete("status");
                  return next;
                },
                { replace: true },
              )
            }
          >
            <option value="">{t("emailContacts.anyStatus")}</option>
            {CONTACT_STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusLabel(s, t)}
              </option>
            ))}
          </NativeSelect>
        </div>
      </div>
      <QueryStates
        query={contacts}
        isEmpty={(d) => d.items.length === 0}
        empty={q || status ? t("emailContacts.noMatch") : t("emailContacts.empty")}
        emptyAction={q || status ? undefined : importLink}
      >
        {(data) => (
          <div className="grid gap-2">
            <div className="flex flex-wrap items-center justify-between gap-2">
              <p className="text-sm text-muted-foreground" data-testid="email-contacts-total">
                {t("emailContacts.total", { count: formatNumber(data.total, locale) })}
              </p>
              <div className="flex gap-2">
                {importLink}
                <Button variant="outline" size="sm" title={t("emailContacts.exportHint")} onClick={() => exportCsv.mutate()} disabled={exportCsv.isPending} data-testid="email-contacts-export">
                  <Download aria-hidden />
                  {t("csv.download")}
                </Button>
              </div>
            </div>
            <div className="overflow-x-auto">
              <Table aria-label={t("emailContacts.table")}>
                <THead>
                  <TR>
                    <TH>{t("emailContacts.col.email")}</TH>
                    <TH>{t("emailContacts.col.status")}</TH>
                    <TH>{t("emailContacts.col.tags")}</TH>
                    <TH>{t("emailContacts.col.created")}</TH>
                    <TH>{t("emailContacts.col.confirmed")}</TH>
                  </TR>
                </THead>
                <TBody>
                  {data.items.map((c) => (
                    <TR key={c.contact_id} data-testid="email-contact-row">
                      <TD className="max-w-[22rem]">
                        <div className="break-all font-medium">{c.email}</div>
                        {c.name ? <div className="break-words text-xs text-muted-foreground">{c.name}</div> : null}
                      </TD>
                      <TD>
                        <Badge variant={BADGE[c.status]}>{statusLabel(c.status, t)}</Badge>
                      </TD>
                      <TD className="max-w-[16rem] break-words text-xs">{c.tags.join(", ")}</TD>
                      <TD className="whitespace-nowrap text-sm">{formatDate(c.created_at, locale)}</TD>
                      <TD className="whitespace-nowrap text-sm">
                        {c.confirmed_at ? formatDateTime(c.confirmed_at, locale) : ""}
                        {c.confirmed_ip ? <div className="text-xs text-muted-foreground">{t("emailContacts.fromIp", { ip: c.confirmed_ip })}</div> : null}
                      </TD>
                    </TR>
                  ))}
                </TBody>
              </Table>
            </div>
            <Pagination page={page} pageSize={PAGE_SIZE} total={data.total} onPageChange={setPage} />
          </div>
        )}
      </QueryStates>
    </div>
  );
}
