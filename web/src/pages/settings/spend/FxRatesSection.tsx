import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { RefreshCw } from "lucide-react";
import { useState, type FormEvent } from "react";
import { api, unwrap } from "@/api/client";
import { useCurrentUser } from "@/auth/session";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { QueryStates } from "@/components/ui/query-states";
import { FormError } from "@/components/ui/states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { formatDate, formatNumber } from "@/lib/format";
import { SectionHeader } from "../SectionHeader";

const KEY = ["analytics", "fx-rates"] as const;
const day = (d: string | null | undefined, locale: "pt-BR" | "en") => (d ? formatDate(`${d}T12:00:00`, locale) : "—");

/** The exchange rates that convert spend in other currencies: coverage, a fetch now, own rates. */
export default function FxRatesSection() {
  const { t, locale } = useI18n();
  const { toast } = useToast();
  const me = useCurrentUser();
  const canWrite = me.permissions.includes("analytics:admin");
  const qc = useQueryClient();
  const rates = useQuery({ queryKey: KEY, queryFn: () => unwrap(api.GET("/api/analytics/fx-rates")) });
  const fetchNow = useMutation({
    mutationFn: () => unwrap(api.POST("/api/analytics/fx-rates/refresh")),
    onSuccess: (r) => {
      if (r.error) toast(t("fx.fetchFailed"), "error");
      else toast(t("fx.fetched", { count: formatNumber(r.stored, locale) }));
      void qc.invalidateQueries({ queryKey: KEY });
    },
  });
  const [manual, setManual] = useState({ currency: "USD", day: "", rate: "" });
  const save = useMutation({
    mutationFn: () =>
      unwrap(api.PUT("/api/analytics/fx-rates", { body: { rates: [{ currency: manual.currency.trim().toUpperCase(), day: manual.day, rate: manual.rate.replace(",", ".") }] } })),
    onSuccess: () => {
      toast(t("common.saved"));
      setManual((m) => ({ ...m, rate: "" }));
      void qc.invalidateQueries({ queryKey: KEY });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <section className="grid grid-cols-1 gap-4">
      <SectionHeader
        title={t("fx.title")}
        description={t("fx.description")}
        action={
          canWrite ? (
            <Button variant="outline" onClick={() => fetchNow.mutate()} disabled={fetchNow.isPending} data-testid="fx-fetch">
              <RefreshCw aria-hidden />
              {t("fx.fetch")}
            </Button>
          ) : null
        }
      />
      <QueryStates query={rates} isEmpty={(d) => d.currencies.length === 0} empty={t("fx.empty")}>
        {(data) => (
          <div className="overflow-x-auto">
            <p className="mb-2 text-xs text-muted-foreground">{t("fx.into", { currency: data.currency, days: data.lookback_days })}</p>
            <Table data-testid="fx-table">
              <THead>
                <TR>
                  <TH>{t("fx.currency")}</TH>
                  <TH>{t("fx.from")}</TH>
                  <TH>{t("fx.to")}</TH>
                  <TH className="text-right">{t("fx.days")}</TH>
                  <TH className="text-right">{t("fx.spendDays")}</TH>
                  <TH className="text-right">{t("fx.missing")}</TH>
                </TR>
              </THead>
              <TBody>
                {data.currencies.map((c) => (
                  <TR key={c.currency} data-testid="fx-row">
                    <TD className="font-medium">{c.currency}</TD>
                    <TD>{day(c.first_day, locale)}</TD>
                    <TD>{day(c.last_day, locale)}</TD>
                    <TD className="text-right tabular-nums">{formatNumber(c.days, locale)}</TD>
                    <TD className="text-right tabular-nums">{formatNumber(c.spend_days, locale)}</TD>
                    <TD className={c.missing_days ? "text-right font-medium text-destructive tabular-nums" : "text-right tabular-nums"}>{formatNumber(c.missing_days, locale)}</TD>
                  </TR>
                ))}
              </TBody>
            </Table>
          </div>
        )}
      </QueryStates>
      {canWrite ? (
        <form onSubmit={submit} className="grid gap-3 rounded-lg border p-3 sm:grid-cols-4" aria-label={t("fx.manual")}>
          <p className="text-sm font-medium sm:col-span-4">{t("fx.manual")}</p>
          <div className="grid gap-1.5">
            <Label htmlFor="fx-currency">{t("fx.currency")}</Label>
            <Input id="fx-currency" value={manual.currency} maxLength={3} onChange={(e) => setManual((m) => ({ ...m, currency: e.target.value }))} required />
          </div>
          <div className="grid gap-1.5">
            <Label htmlFor="fx-day">{t("fx.day")}</Label>
            <Input id="fx-day" type="date" value={manual.day} onChange={(e) => setManual((m) => ({ ...m, day: e.target.value }))} required />
          </div>
          <div className="grid gap-1.5">
            <Label htmlFor="fx-rate">{t("fx.rate", { currency: rates.data?.currency ?? "" })}</Label>
            <Input id="fx-rate" inputMode="decimal" value={manual.rate} onChange={(e) => setManual((m) => ({ ...m, rate: e.target.value }))} required />
          </div>
          <div className="grid content-end gap-1.5">
            <Button type="submit" disabled={save.isPending} data-testid="fx-save">
              {t("common.save")}
            </Button>
          </div>
          <div className="sm:col-span-4">
            <FormError error={save.error} />
          </div>
        </form>
      ) : null}
    </section>
  );
}
