import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Search, Upload } from "lucide-react";
import { useEffect, useMemo, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api, unwrap } from "@/api/client";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { CsvButton } from "@/components/ui/csv-button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { NativeSelect } from "@/components/ui/native-select";
import { Pagination } from "@/components/ui/pagination";
import { QueryStates } from "@/components/ui/query-states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useI18n, type TFunction } from "@/i18n";
import type { CsvColumn } from "@/lib/csv";
import { textParam } from "@/lib/filterParams";
import { formatDate, formatDateTime, formatNumber } from "@/lib/format";
import { PAGE_SIZE, usePageParam } from "@/lib/usePage";
import { statusLabel } from "./status";
import { StatusChart } from "./StatusChart";
import { CONTACT_STATUSES, CONTACTS_KEY, type ContactStatus, type EmailContact } from "./types";

const BADGE: Record<ContactStatus, "success" | "secondary" | "destructive" | "outline"> = {
  active: "success",
  unconfirmed: "secondary",
  suppressed: "destructive",
  bounced: "destructive",
  complained: "destructive",
  unsubscribed: "outline",
};

function csvColumns(t: TFunction): CsvColumn<EmailContact>[] {
  return [
    { header: t("emailContacts.col.email"), value: (c) => c.email },
    { header: t("emailContacts.col.name"), value: (c) => c.name },
    { header: t("emailContacts.col.status"), value: (c) => statusLabel(c.status, t) },
    { header: t("emailContacts.col.tags"), value: (c) => c.tags.join(", ") },
    { header: t("emailContacts.col.created"), value: (c) => c.created_at },
    { header: t("emailContacts.col.consent"), value: (c) => c.consent_at },
    { header: t("emailContacts.col.consentIp"), value: (c) => c.consent_ip },
    { header: t("emailContacts.col.confirmed"), value: (c) => c.confirmed_at },
    { header: t("emailContacts.col.confirmedIp"), value: (c) => c.confirmed_ip },
  ];
}

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
  const columns = useMemo(() => csvColumns(t), [t]);
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
                <CsvButton filename="email-contacts" columns={columns} rows={data.items} />
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
