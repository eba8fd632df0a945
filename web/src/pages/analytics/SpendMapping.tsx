import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ArrowLeft, Link2 } from "lucide-react";
import { useState } from "react";
import { Link, useLocation } from "react-router";
import { api, unwrap, type paths } from "@/api/client";
import { usePermissions } from "@/auth/session";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { QueryStates } from "@/components/ui/query-states";
import { DeleteButton } from "@/components/ui/row-actions";
import { FormError } from "@/components/ui/states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { errorMessage } from "@/lib/errors";
import { formatDateTime, formatMoney, formatNumber } from "@/lib/format";
import { cn } from "@/lib/utils";
import { platformName } from "@/pages/conversions/shared";
import { SPEND_PLATFORMS } from "@/pages/settings/spend/types";
import { useReportFilters } from "./filters";
import { ReportFilterBar } from "./ReportFilterBar";

type Json<T> = T extends { content: { "application/json": infer J } } ? J : never;
export type Unmapped = Json<paths["/api/analytics/spend/unmapped"]["get"]["responses"][200]>;
type UnmappedSpend = Unmapped["spend"][number];
type UnmappedUtm = Unmapped["utm_campaigns"][number];
type Mapping = Json<paths["/api/analytics/spend/mappings"]["get"]["responses"][200]>[number];
type MappingIn = NonNullable<paths["/api/analytics/spend/mappings"]["put"]["requestBody"]>["content"]["application/json"]["mappings"][number];

const MAPPINGS_KEY = ["analytics", "spend", "mappings"] as const;
const spendKey = (s: UnmappedSpend) => `${s.platform}|${s.account_id}|${s.campaign_id}`;
const utmKey = (u: UnmappedUtm) => `${u.source ?? ""}|${u.medium ?? ""}|${u.campaign ?? ""}`;
/** Only the importers' platforms can be mapped (the join's mapping table names one of them). */
const mappable = (s: UnmappedSpend) => (SPEND_PLATFORMS as readonly string[]).includes(s.platform);

/** The mapping sent for a chosen campaign and UTM values: the UTM campaign, narrowed to its source when known. */
export function mappingFor(spend: UnmappedSpend, utm: UnmappedUtm): MappingIn {
  return {
    utm_source: utm.source,
    utm_campaign: utm.campaign,
    platform: spend.platform as MappingIn["platform"],
    account_id: spend.account_id,
    campaign_id: spend.campaign_id,
  };
}

/** Analytics → Ads → mapping: spend no visit reaches and UTM campaigns that reach no campaign, side by side; map one to the other. */
export default function SpendMapping() {
  const { t, locale } = useI18n();
  const { query } = useReportFilters();
  const { search } = useLocation();
  const can = usePermissions();
  const admin = can("analytics:admin");
  const { toast } = useToast();
  const qc = useQueryClient();
  const [spendPick, setSpendPick] = useState<UnmappedSpend | null>(null);
  const [utmPick, setUtmPick] = useState<UnmappedUtm | null>(null);

  const unmapped = useQuery({
    queryKey: ["analytics", "spend", "unmapped", query],
    queryFn: () => unwrap(api.GET("/api/analytics/spend/unmapped", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const mappings = useQuery({ queryKey: MAPPINGS_KEY, queryFn: () => unwrap(api.GET("/api/analytics/spend/mappings")) });
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: ["analytics", "spend"] });
    void qc.invalidateQueries({ queryKey: ["analytics", "ads"] });
  };
  const save = useMutation({
    mutationFn: (mapping: MappingIn) => unwrap(api.PUT("/api/analytics/spend/mappings", { body: { mappings: [mapping] } })),
    onSuccess: (_r, mapping) => {
      toast(t("mapping.saved", { utm: mapping.utm_campaign ?? "", campaign: spendPick?.campaign_name ?? mapping.campaign_id }));
      setSpendPick(null);
      setUtmPick(null);
      refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (m: Mapping) => unwrap(api.DELETE("/api/analytics/spend/mappings/{mapping_id}", { params: { path: { mapping_id: m.id } } })),
    onSuccess: () => {
      toast(t("mapping.removed"));
      refresh();
    },
    onError: (e) => toast(errorMessage(e, t), "error"),
  });

  return (
    <div className="grid gap-4" data-testid="spend-mapping">
      <Link to={`/analytics/ads${search}`} className="inline-flex items-center gap-1 text-sm text-primary underline">
        <ArrowLeft className="h-4 w-4" aria-hidden />
        {t("mapping.back")}
      </Link>
      <div>
        <h2 className="text-lg font-semibold">{t("mapping.title")}</h2>
        <p className="text-sm text-muted-foreground">{t("mapping.description")}</p>
      </div>
      <ReportFilterBar />
      <QueryStates query={unmapped}>
        {(data) => (
          <div className="grid gap-4 lg:grid-cols-2">
            <Card>
              <CardHeader>
                <CardTitle className="text-base">{t("mapping.spendTitle")}</CardTitle>
                <CardDescription>{t("mapping.spendDescription")}</CardDescription>
              </CardHeader>
              <CardContent>
                {data.spend.length === 0 ? (
                  <p className="text-sm text-muted-foreground">{t("mapping.spendEmpty")}</p>
                ) : (
                  <ul className="grid gap-1" role="radiogroup" aria-label={t("mapping.spendTitle")} data-testid="unmapped-spend">
                    {data.spend.map((s) => {
                      const chosen = spendPick !== null && spendKey(spendPick) === spendKey(s);
                      return (
                        <li key={spendKey(s)}>
                          <label className={cn("flex cursor-pointer items-start gap-2 rounded border p-2 text-sm", chosen && "border-primary bg-primary/5", !mappable(s) && "cursor-not-allowed opacity-60")}>
                            <input type="radio" name="unmapped-spend" checked={chosen} disabled={!admin || !mappable(s)} onChange={() => setSpendPick(s)} className="mt-1" />
                            <span className="grid flex-1 gap-0.5">
                              <span className="font-medium">{s.campaign_name ?? s.campaign_id}</span>
                              <span className="text-xs text-muted-foreground">
                                {platformName(s.platform)} · {s.account_id} · <span className="font-mono">{s.campaign_id}</span>
                              </span>
                              {!mappable(s) ? <span className="text-xs text-muted-foreground">{t("mapping.notMappable")}</span> : null}
                            </span>
                            <span className="text-right tabular-nums">
                              {s.spend.map((m) => formatMoney(Number(m.amount), locale, m.currency)).join("; ")}
                              <span className="block text-xs text-muted-foreground">{t("mapping.clicks", { clicks: formatNumber(s.clicks, locale) })}</span>
                            </span>
                          </label>
                        </li>
                      );
                    })}
                  </ul>
                )}
              </CardContent>
            </Card>
            <Card>
              <CardHeader>
                <CardTitle className="text-base">{t("mapping.utmTitle")}</CardTitle>
                <CardDescription>{t("mapping.utmDescription")}</CardDescription>
              </CardHeader>
              <CardContent>
                {data.utm_campaigns.length === 0 ? (
                  <p className="text-sm text-muted-foreground">{t("mapping.utmEmpty")}</p>
                ) : (
                  <ul className="grid gap-1" role="radiogroup" aria-label={t("mapping.utmTitle")} data-testid="unmapped-utm">
                    {data.utm_campaigns.map((u) => {
                      const chosen = utmPick !== null && utmKey(utmPick) === utmKey(u);
                      return (
                        <li key={utmKey(u)}>
                          <label className={cn("flex cursor-pointer items-start gap-2 rounded border p-2 text-sm", chosen && "border-primary bg-primary/5", !u.campaign && "cursor-not-allowed opacity-60")}>
                            <input type="radio" name="unmapped-utm" checked={chosen} disabled={!admin || !u.campaign} onChange={() => setUtmPick(u)} className="mt-1" />
                            <span className="grid flex-1 gap-0.5">
                              <span className="font-medium">{u.campaign ?? t("mapping.noCampaign")}</span>
                              <span className="text-xs text-muted-foreground">
                                {u.source ?? "—"} / {u.medium ?? "—"} · {t("mapping.lastSeen", { when: formatDateTime(u.last_seen, locale) })}
                              </span>
                            </span>
                            <span className="text-right tabular-nums">{t("mapping.sessions", { sessions: formatNumber(u.sessions, locale) })}</span>
                          </label>
                        </li>
                      );
                    })}
                  </ul>
                )}
              </CardContent>
            </Card>
          </div>
        )}
      </QueryStates>
      {admin ? (
        <div className="grid gap-2">
          <p className="text-sm" data-testid="mapping-choice">
            {spendPick && utmPick
              ? t("mapping.choice", { utm: utmPick.campaign ?? "", source: utmPick.source ?? "—", campaign: spendPick.campaign_name ?? spendPick.campaign_id })
              : t("mapping.pick")}
          </p>
          <FormError error={save.error} />
          <div>
            <Button disabled={!spendPick || !utmPick || save.isPending} onClick={() => spendPick && utmPick && save.mutate(mappingFor(spendPick, utmPick))} data-testid="mapping-save">
              <Link2 aria-hidden />
              {save.isPending ? t("common.saving") : t("mapping.map")}
            </Button>
          </div>
        </div>
      ) : null}

      <section className="grid gap-2">
        <h3 className="text-base font-semibold">{t("mapping.existingTitle")}</h3>
        <QueryStates query={mappings} isEmpty={(d) => d.length === 0} empty={t("mapping.existingEmpty")}>
          {(list) => (
            <Table aria-label={t("mapping.existingTitle")}>
              <THead>
                <TR>
                  <TH>{t("mapping.col.utm")}</TH>
                  <TH>{t("mapping.col.target")}</TH>
                  <TH>{t("mapping.col.updated")}</TH>
                  {admin ? <TH className="text-right">{t("common.actions")}</TH> : null}
                </TR>
              </THead>
              <TBody>
                {list.map((m) => {
                  const utm = [
                    m.utm_source && `utm_source=${m.utm_source}`,
                    m.utm_campaign && `utm_campaign=${m.utm_campaign}`,
                    m.utm_content && `utm_content=${m.utm_content}`,
                    m.utm_term && `utm_term=${m.utm_term}`,
                  ]
                    .filter(Boolean)
                    .join(" · ");
                  return (
                    <TR key={m.id} data-testid="mapping-row">
                      <TD className="break-all font-mono text-xs">{utm}</TD>
                      <TD>
                        {platformName(m.platform)} · {m.campaign_name ?? m.campaign_id}
                        {m.ad_set_id ? <span className="ml-1 font-mono text-xs text-muted-foreground">{m.ad_set_id}</span> : null}
                        {m.ad_id ? <span className="ml-1 font-mono text-xs text-muted-foreground">{m.ad_id}</span> : null}
                      </TD>
                      <TD className="whitespace-nowrap text-xs">{formatDateTime(m.updated_at, locale)}</TD>
                      {admin ? (
                        <TD className="text-right">
                          <DeleteButton name={utm} title={t("mapping.removeTitle")} description={t("mapping.removeConfirm")} onConfirm={() => remove.mutateAsync(m)} testId="mapping-remove" />
                        </TD>
                      ) : null}
                    </TR>
                  );
                })}
              </TBody>
            </Table>
          )}
        </QueryStates>
      </section>
    </div>
  );
}
