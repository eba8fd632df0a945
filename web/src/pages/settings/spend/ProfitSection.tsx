import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Plus, Trash2 } from "lucide-react";
import { useState, type FormEvent } from "react";
import { api, unwrap, type paths } from "@/api/client";
import { useCurrentUser } from "@/auth/session";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { QueryStates } from "@/components/ui/query-states";
import { FormError } from "@/components/ui/states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { SectionHeader } from "../SectionHeader";
import { PaymentMethodInput } from "@/components/payment-method";

type Json<T> = T extends { content: { "application/json": infer J } } ? J : never;
export type ProfitSettings = Json<paths["/api/analytics/profit/settings"]["get"]["responses"][200]>;
type Body = paths["/api/analytics/profit/settings"]["put"]["requestBody"]["content"]["application/json"];

const KEY = ["analytics", "profit-settings"] as const;

interface FeeDraft {
  method: string;
  percent: string;
  fixed: string;
  chargeback: string;
}
interface ProductDraft {
  product: string;
  fixed: string;
  percent: string;
  commission: string;
}
export interface ProfitDraft {
  tax: string;
  fees: FeeDraft[];
  products: ProductDraft[];
}

const plain = (v: string | number | null | undefined) => (v === null || v === undefined ? "" : String(Number(v)));

export function draftOf(s: ProfitSettings): ProfitDraft {
  return {
    tax: plain(s.tax_percent),
    fees: (s.fees ?? []).map((f) => ({ method: f.payment_method ?? "", percent: plain(f.percent), fixed: plain(f.fixed), chargeback: plain(f.chargeback_fee) })),
    products: (s.products ?? []).map((p) => ({ product: p.product ?? "", fixed: plain(p.cost_fixed), percent: plain(p.cost_percent), commission: plain(p.commission_percent) })),
  };
}

/** A typed number ("1,5" or "1.5"; empty is zero), or null when it is not one. */
function num(text: string): string | null {
  const t = text.trim().replace(",", ".");
  if (t === "") return "0";
  return /^\d+(\.\d+)?$/.test(t) ? t : null;
}

/** The PUT body of the draft, or the label of the first field that is not a number. */
export function profitBody(d: ProfitDraft): Body | { invalid: true } {
  const values: (string | null)[] = [];
  const n = (text: string) => {
    const v = num(text);
    values.push(v);
    return v ?? "0";
  };
  const body: Body = {
    tax_percent: n(d.tax),
    fees: d.fees.map((f) => ({ payment_method: f.method.trim() || null, percent: n(f.percent), fixed: n(f.fixed), chargeback_fee: n(f.chargeback) })),
    products: d.products.map((p) => ({ product: p.product.trim() || null, cost_fixed: n(p.fixed), cost_percent: n(p.percent), commission_percent: n(p.commission) })),
  };
  return values.includes(null) ? { invalid: true } : body;
}

function Cell({ label, value, onChange, testId }: { label: string; value: string; onChange: (v: string) => void; testId?: string }) {
  return <Input aria-label={label} inputMode="decimal" value={value} onChange={(e) => onChange(e.target.value)} className="min-w-20" data-testid={testId} />;
}

function ProfitForm({ settings, canWrite }: { settings: ProfitSettings; canWrite: boolean }) {
  const { t } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const [draft, setDraft] = useState<ProfitDraft>(() => draftOf(settings));
  const [invalid, setInvalid] = useState(false);
  const save = useMutation({
    mutationFn: (body: Body) => unwrap(api.PUT("/api/analytics/profit/settings", { body })),
    onSuccess: (saved) => {
      toast(t("common.saved"));
      qc.setQueryData(KEY, saved);
      void qc.invalidateQueries({ queryKey: ["analytics"] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const body = profitBody(draft);
    setInvalid("invalid" in body);
    if (!("invalid" in body)) save.mutate(body);
  };
  const setFee = (i: number, key: keyof FeeDraft, v: string) => setDraft((d) => ({ ...d, fees: d.fees.map((f, j) => (j === i ? { ...f, [key]: v } : f)) }));
  const setProduct = (i: number, key: keyof ProductDraft, v: string) => setDraft((d) => ({ ...d, products: d.products.map((p, j) => (j === i ? { ...p, [key]: v } : p)) }));
  const cur = settings.currency;
  return (
    <form className="grid gap-5" onSubmit={submit} aria-label={t("profit.title")}>
      <fieldset disabled={!canWrite || save.isPending} className="contents">
        <div className="grid max-w-xs gap-1.5">
          <Label htmlFor="profit-tax">{t("profit.tax")}</Label>
          <Input id="profit-tax" inputMode="decimal" value={draft.tax} onChange={(e) => setDraft((d) => ({ ...d, tax: e.target.value }))} data-testid="profit-tax" />
          <p className="text-xs text-muted-foreground">{t("profit.taxHelp")}</p>
        </div>

        <div className="grid gap-2">
          <h3 className="font-medium">{t("profit.fees")}</h3>
          <p className="text-sm text-muted-foreground">{t("profit.feesHelp", { currency: cur })}</p>
          {draft.fees.length ? (
            <div className="overflow-x-auto">
              <Table>
                <THead>
                  <TR>
                    <TH>{t("profit.method")}</TH>
                    <TH>{t("profit.percent")}</TH>
                    <TH>{t("profit.fixed", { currency: cur })}</TH>
                    <TH>{t("profit.chargebackFee", { currency: cur })}</TH>
                    <TH className="sr-only">{t("common.remove")}</TH>
                  </TR>
                </THead>
                <TBody>
                  {draft.fees.map((f, i) => (
                    <TR key={i} data-testid="fee-row">
                      <TD>
                        <PaymentMethodInput value={f.method} onChange={(v) => setFee(i, "method", v)} />
                      </TD>
                      <TD>
                        <Cell label={t("profit.percent")} value={f.percent} onChange={(v) => setFee(i, "percent", v)} testId="fee-percent" />
                      </TD>
                      <TD>
                        <Cell label={t("profit.fixed", { currency: cur })} value={f.fixed} onChange={(v) => setFee(i, "fixed", v)} testId="fee-fixed" />
                      </TD>
                      <TD>
                        <Cell label={t("profit.chargebackFee", { currency: cur })} value={f.chargeback} onChange={(v) => setFee(i, "chargeback", v)} />
                      </TD>
                      <TD>
                        <Button type="button" variant="ghost" size="icon" aria-label={t("common.remove")} onClick={() => setDraft((d) => ({ ...d, fees: d.fees.filter((_, j) => j !== i) }))}>
                          <Trash2 aria-hidden />
                        </Button>
                      </TD>
                    </TR>
                  ))}
                </TBody>
              </Table>
            </div>
          ) : (
            <p className="text-sm text-muted-foreground" data-testid="fees-empty">
              {t("profit.noFees")}
            </p>
          )}
          {canWrite ? (
            <Button type="button" variant="outline" className="justify-self-start" data-testid="fee-add" onClick={() => setDraft((d) => ({ ...d, fees: [...d.fees, { method: d.fees.some((f) => f.method === "pix") ? "" : "pix", percent: "", fixed: "", chargeback: "" }] }))}>
              <Plus aria-hidden />
              {t("profit.addFee")}
            </Button>
          ) : null}
        </div>

        <div className="grid gap-2">
          <h3 className="font-medium">{t("profit.products")}</h3>
          <p className="text-sm text-muted-foreground">{t("profit.productsHelp")}</p>
          {draft.products.length ? (
            <div className="overflow-x-auto">
              <Table>
                <THead>
                  <TR>
                    <TH>{t("profit.product")}</TH>
                    <TH>{t("profit.costFixed", { currency: cur })}</TH>
                    <TH>{t("profit.costPercent")}</TH>
                    <TH>{t("profit.commission")}</TH>
                    <TH className="sr-only">{t("common.remove")}</TH>
                  </TR>
                </THead>
                <TBody>
                  {draft.products.map((p, i) => (
                    <TR key={i} data-testid="product-row">
                      <TD>
                        <Input aria-label={t("profit.product")} placeholder={t("profit.anyProduct")} value={p.product} maxLength={255} onChange={(e) => setProduct(i, "product", e.target.value)} className="min-w-40" data-testid="product-name" />
                      </TD>
                      <TD>
                        <Cell label={t("profit.costFixed", { currency: cur })} value={p.fixed} onChange={(v) => setProduct(i, "fixed", v)} testId="product-fixed" />
                      </TD>
                      <TD>
                        <Cell label={t("profit.costPercent")} value={p.percent} onChange={(v) => setProduct(i, "percent", v)} />
                      </TD>
                      <TD>
                        <Cell label={t("profit.commission")} value={p.commission} onChange={(v) => setProduct(i, "commission", v)} testId="product-commission" />
                      </TD>
                      <TD>
                        <Button type="button" variant="ghost" size="icon" aria-label={t("common.remove")} onClick={() => setDraft((d) => ({ ...d, products: d.products.filter((_, j) => j !== i) }))}>
                          <Trash2 aria-hidden />
                        </Button>
                      </TD>
                    </TR>
                  ))}
                </TBody>
              </Table>
            </div>
          ) : (
            <p className="text-sm text-muted-foreground" data-testid="products-empty">
              {t("profit.noProducts")}
            </p>
          )}
          {canWrite ? (
            <Button type="button" variant="outline" className="justify-self-start" data-testid="product-add" onClick={() => setDraft((d) => ({ ...d, products: [...d.products, { product: "", fixed: "", percent: "", commission: "" }] }))}>
              <Plus aria-hidden />
              {t("profit.addProduct")}
            </Button>
          ) : null}
        </div>

        {invalid ? (
          <p className="text-sm text-destructive" role="alert">
            {t("profit.invalidNumber")}
          </p>
        ) : null}
        <FormError error={save.error} />
        {canWrite ? (
          <Button type="submit" className="justify-self-end" data-testid="profit-save">
            {save.isPending ? t("common.saving") : t("common.save")}
          </Button>
        ) : null}
      </fieldset>
    </form>
  );
}

/** The rules profit is computed with: tax, fees per payment method, costs per product. */
export default function ProfitSection() {
  const { t } = useI18n();
  const me = useCurrentUser();
  const settings = useQuery({ queryKey: KEY, queryFn: () => unwrap(api.GET("/api/analytics/profit/settings")) });
  return (
    <section className="grid grid-cols-1 gap-4">
      <SectionHeader title={t("profit.title")} description={t("profit.description")} />
      <p className="rounded-md border bg-muted/40 p-3 text-sm" data-testid="profit-formula">
        {t("profit.formula")}
      </p>
      <QueryStates query={settings}>{(s) => <ProfitForm key={JSON.stringify(s)} settings={s} canWrite={me.permissions.includes("analytics:admin")} />}</QueryStates>
    </section>
  );
}
