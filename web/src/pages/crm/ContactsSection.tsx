import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Search } from "lucide-react";
import { useEffect, useMemo, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api, unwrap } from "@/api/client";
import { CsvButton } from "@/components/ui/csv-button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { NativeSelect } from "@/components/ui/native-select";
import { Pagination } from "@/components/ui/pagination";
import { QueryStates } from "@/components/ui/query-states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useI18n, type TFunction } from "@/i18n";
import type { CsvColumn } from "@/lib/csv";
import { formatDate } from "@/lib/format";
import { textParam } from "@/lib/filterParams";
import { PAGE_SIZE, usePageParam } from "@/lib/usePage";
import { OwnerOptions } from "./members";
import type { Contact } from "./types";

function csvColumns(t: TFunction): CsvColumn<Contact>[] {
  return [
    { header: t("crm.create.name"), value: (c) => c.name },
    { header: t("crm.lead.email"), value: (c) => c.email },
    { header: t("crm.lead.phone"), value: (c) => c.phone },
    { header: t("crm.lead.company"), value: (c) => c.company },
    { header: t("crm.lead.owner"), value: (c) => c.owner?.name },
    { header: t("crm.contacts.created"), value: (c) => c.created_at },
  ];
}

/** Contacts: the organization's people (one per e-mail), searched and filtered by owner. */
export default function ContactsSection() {
  const { t, locale } = useI18n();
  const [params, setParams] = useSearchParams();
  const [page, setPage] = usePageParam();
  const q = textParam(params, "q");
  const owner = textParam(params, "owner");
  const [text, setText] = useState(q ?? "");
  useEffect(() => setText(q ?? ""), [q]);
  useEffect(() => {
    const wanted = text.trim().length >= 2 ? text.trim() : null;
    if (wanted === q) return;
    const id = setTimeout(() => setParams((prev) => {
      const next = new URLSearchParams(prev);
      next.delete("page");
      if (wanted) next.set("q", wanted);
      else next.delete("q");
      return next;
    }, { replace: true }), 300);
    return () => clearTimeout(id);
  }, [text, q, setParams]);
  const query = { page, page_size: PAGE_SIZE, ...(q ? { q } : {}), ...(owner ? { owner_id: owner } : {}) };
  const contacts = useQuery({
    queryKey: ["crm", "contacts", query],
    queryFn: () => unwrap(api.GET("/api/contacts", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const columns = useMemo(() => csvColumns(t), [t]);
  return (
    <div className="grid grid-cols-1 gap-4">
      <div className="grid gap-3 rounded-lg border p-3 sm:grid-cols-[1fr_16rem]" role="search" aria-label={t("crm.contacts.filters")}>
        <div className="grid gap-1.5">
          <Label htmlFor="contact-q">{t("crm.filters.search")}</Label>
          <div className="relative">
            <Search className="pointer-events-none absolute left-3 top-3 h-4 w-4 text-muted-foreground" aria-hidden />
            <Input id="contact-q" type="search" className="pl-9" value={text} onChange={(e) => setText(e.target.value)} placeholder={t("crm.filters.searchPlaceholder")} maxLength={100} />
          </div>
        </div>
        <div className="grid gap-1.5">
          <Label htmlFor="contact-owner">{t("crm.lead.owner")}</Label>
          <NativeSelect
            id="contact-owner"
            value={owner ?? ""}
            onChange={(e) => setParams((prev) => {
              const next = new URLSearchParams(prev);
              next.delete("page");
              if (e.target.value) next.set("owner", e.target.value);
              else next.delete("owner");
              return next;
            }, { replace: true })}
          >
            <option value="">{t("crm.filters.any")}</option>
            <OwnerOptions />
          </NativeSelect>
        </div>
      </div>
      <QueryStates query={contacts} isEmpty={(d) => d.items.length === 0} empty={q || owner ? t("crm.contacts.noMatch") : t("crm.contacts.empty")}>
        {(data) => (
          <div className="grid gap-2">
            <div className="flex justify-end">
              <CsvButton filename="contacts" columns={columns} rows={data.items} />
            </div>
            <div className="overflow-x-auto">
              <Table>
                <THead>
                  <TR>
                    <TH>{t("crm.create.name")}</TH>
                    <TH>{t("crm.lead.phone")}</TH>
                    <TH>{t("crm.lead.company")}</TH>
                    <TH>{t("crm.lead.owner")}</TH>
                    <TH>{t("crm.contacts.created")}</TH>
                  </TR>
                </THead>
                <TBody>
                  {data.items.map((c) => (
                    <TR key={c.contact_id} data-testid="contact-row">
                      <TD className="max-w-[20rem]">
                        <Link to={`/leads/contacts/${c.contact_id}`} className="break-words font-medium text-primary hover:underline">
                          {c.name || c.email || t("crm.lead.unnamed")}
                        </Link>
                        {c.email ? <div className="break-all text-xs text-muted-foreground">{c.email}</div> : null}
                      </TD>
                      <TD className="whitespace-nowrap text-sm">{c.phone ?? ""}</TD>
                      <TD className="break-words text-sm">{c.company ?? ""}</TD>
                      <TD className="text-sm">{c.owner?.name ?? ""}</TD>
                      <TD className="whitespace-nowrap text-sm">{formatDate(c.created_at, locale)}</TD>
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
