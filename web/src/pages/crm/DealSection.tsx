import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ArrowLeft } from "lucide-react";
import { useState, type FormEvent } from "react";
import { Link, useParams } from "react-router";
import { api, unwrap } from "@/api/client";
import { useCurrentUser } from "@/auth/session";
import { Button } from "@/components/ui/button";
import { Card, CardContent } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { NativeSelect } from "@/components/ui/native-select";
import { QueryStates } from "@/components/ui/query-states";
import { FormError } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { formatDateTime } from "@/lib/format";
import { PaymentMethodInput } from "@/components/payment-method";
import { OwnerOptions } from "./members";
import { parseMoneyInput } from "./pipeline";
import { StageBadge, StageOptions } from "./shared";
import { CRM_WRITE, type Deal, type DealUpdate, type Stage } from "./types";

interface Draft {
  name: string;
  value: string;
  currency: string;
  stage: Stage;
  probability: string;
  ownerId: string;
  closeDate: string;
  product: string;
  paymentMethod: string;
  commission: string;
  refunded: string;
  chargeback: string;
}

const draftOf = (d: Deal): Draft => ({
  name: d.name,
  value: d.value ?? "",
  currency: d.currency,
  stage: d.stage,
  probability: d.probability === null ? "" : String(d.probability),
  ownerId: d.owner_id ?? "",
  closeDate: d.expected_close_date ?? "",
  product: d.product ?? "",
  paymentMethod: d.payment_method ?? "",
  commission: d.affiliate_commission ?? "",
  refunded: d.refunded_amount ?? "",
  chargeback: d.chargeback_amount ?? "",
});

type MoneyField = "value" | "commission" | "refunded" | "chargeback";

/** The PATCH body of an edited deal, or an error key when a field cannot be sent. */
export function dealPatch(draft: Draft): DealUpdate | { error: MoneyField | "probability" } {
  const money: Partial<Record<MoneyField, string | null>> = {};
  for (const key of ["value", "commission", "refunded", "chargeback"] as const) {
    const text = draft[key].trim();
    const parsed = text ? parseMoneyInput(text) : null;
    if (text && parsed === null) return { error: key };
    money[key] = parsed;
  }
  const value = money.value ?? null;
  const probability = draft.probability.trim() === "" ? null : Number(draft.probability);
  if (probability !== null && !(Number.isInteger(probability) && probability >= 0 && probability <= 100)) return { error: "probability" };
  return {
    name: draft.name.trim(),
    value,
    currency: draft.currency.trim().toUpperCase(),
    stage: draft.stage,
    probability,
    owner_id: draft.ownerId || null,
    expected_close_date: draft.closeDate || null,
    product: draft.product.trim() || null,
    payment_method: draft.paymentMethod.trim() || null,
    affiliate_commission: money.commission ?? null,
    refunded_amount: money.refunded ?? null,
    chargeback_amount: money.chargeback ?? null,
  };
}

function DealForm({ deal, canWrite }: { deal: Deal; canWrite: boolean }) {
  const { t } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const [draft, setDraft] = useState<Draft>(() => draftOf(deal));
  const [invalid, setInvalid] = useState<MoneyField | "probability" | null>(null);
  const save = useMutation({
    mutationFn: (body: DealUpdate) => unwrap(api.PATCH("/api/deals/{deal_id}", { params: { path: { deal_id: deal.deal_id } }, body })),
    onSuccess: () => {
      toast(t("crm.deals.saved"));
      void qc.invalidateQueries({ queryKey: ["crm"] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const body = dealPatch(draft);
    if ("error" in body) {
      setInvalid(body.error);
      return;
    }
    setInvalid(null);
    save.mutate(body);
  };
  const set = (key: keyof Draft) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [key]: e.target.value }));
  return (
    <form className="grid gap-3 sm:grid-cols-2" onSubmit={submit} aria-label={t("crm.deals.edit")}>
      <fieldset disabled={!canWrite || save.isPending} className="contents">
        <div className="grid gap-1.5 sm:col-span-2">
          <Label htmlFor="deal-name">{t("crm.deals.name")}</Label>
          <Input id="deal-name" value={draft.name} onChange={set("name")} maxLength={255} required />
        </div>
        <div className="grid gap-1.5">
          <Label htmlFor="deal-value">{t("crm.lead.value")}</Label>
          <Input id="deal-value" inputMode="decimal" value={draft.value} onChange={set("value")} aria-invalid={invalid === "value"} />
          {invalid === "value" ? <p className="text-xs text-destructive">{t("crm.stageDialog.invalidValue")}</p> : null}
        </div>
        <div className="grid gap-1.5">
          <Label htmlFor="deal-currency">{t("crm.deals.currency")}</Label>
          <Input id="deal-currency" value={draft.currency} onChange={set("currency")} maxLength={3} pattern="[A-Za-z]{3}" />
        </div>
        <div className="grid gap-1.5">
          <Label htmlFor="deal-stage-edit">{t("crm.lead.stage")}</Label>
          <NativeSelect id="deal-stage-edit" value={draft.stage} onChange={set("stage")}>
            <StageOptions />
          </NativeSelect>
        </div>
        <div className="grid gap-1.5">
          <Label htmlFor="deal-probability">{t("crm.deals.probability")}</Label>
          <Input id="deal-probability" type="number" min={0} max={100} value={draft.probability} onChange={set("probability")} aria-invalid={invalid === "probability"} />
        </div>
        <div className="grid gap-1.5">
          <Label htmlFor="deal-owner-edit">{t("crm.lead.owner")}</Label>
          <NativeSelect id="deal-owner-edit" value={draft.ownerId} onChange={set("ownerId")}>
            <option value="">{t("crm.create.noOwner")}</option>
            <OwnerOptions />
          </NativeSelect>
        </div>
        <div className="grid gap-1.5">
          <Label htmlFor="deal-close">{t("crm.deals.closeDate")}</Label>
          <Input id="deal-close" type="date" value={draft.closeDate} onChange={set("closeDate")} />
        </div>
        <fieldset className="grid gap-3 rounded-md border p-3 sm:col-span-2 sm:grid-cols-2" data-testid="deal-sale">
          <legend className="px-1 text-sm font-medium">{t("deal.sale")}</legend>
          <p className="text-xs text-muted-foreground sm:col-span-2">{t("deal.saleHelp")}</p>
          <div className="grid gap-1.5">
            <Label htmlFor="deal-product">{t("deal.product")}</Label>
            <Input id="deal-product" value={draft.product} onChange={set("product")} maxLength={255} />
          </div>
          <div className="grid gap-1.5">
            <Label htmlFor="deal-method">{t("deal.paymentMethod")}</Label>
            <PaymentMethodInput id="deal-method" value={draft.paymentMethod} onChange={(v) => setDraft((d) => ({ ...d, paymentMethod: v }))} />
          </div>
          {(["commission", "refunded", "chargeback"] as const).map((key) => (
            <div className="grid gap-1.5" key={key}>
              <Label htmlFor={`deal-${key}`}>{t(`deal.${key}`)}</Label>
              <Input id={`deal-${key}`} inputMode="decimal" value={draft[key]} onChange={set(key)} aria-invalid={invalid === key} />
              {invalid === key ? <p className="text-xs text-destructive">{t("crm.stageDialog.invalidValue")}</p> : null}
            </div>
          ))}
        </fieldset>
        {canWrite ? (
          <div className="grid gap-2 sm:col-span-2">
            <FormError error={save.error} />
            <Button type="submit" className="justify-self-end" data-testid="deal-save">
              {save.isPending ? t("common.saving") : t("common.save")}
            </Button>
          </div>
        ) : null}
      </fieldset>
    </form>
  );
}

/** A deal: its figures (editable by whoever may write), its lead and contact. */
export default function DealSection() {
  const { t, locale } = useI18n();
  const me = useCurrentUser();
  const { dealId = "" } = useParams();
  const deal = useQuery({
    queryKey: ["crm", "deal", dealId],
    queryFn: () => unwrap(api.GET("/api/deals/{deal_id}", { params: { path: { deal_id: dealId } } })),
  });
  return (
    <div className="grid grid-cols-1 gap-4">
      <Link to="/leads/deals" className="inline-flex items-center gap-1 text-sm text-primary hover:underline">
        <ArrowLeft className="h-4 w-4" aria-hidden />
        {t("crm.deals.back")}
      </Link>
      <QueryStates query={deal}>
        {(d) => (
          <Card>
            <CardContent className="grid gap-4 pt-5">
              <div className="flex flex-wrap items-center gap-2">
                <h2 className="break-words text-xl font-semibold" data-testid="deal-name">
                  {d.name}
                </h2>
                <StageBadge stage={d.stage} />
              </div>
              <p className="flex flex-wrap gap-3 text-sm">
                {d.lead_id ? (
                  <Link to={`/leads/${d.lead_id}`} className="text-primary hover:underline">
                    {t("crm.deals.openLead")}
                  </Link>
                ) : null}
                {d.contact_id ? (
                  <Link to={`/leads/contacts/${d.contact_id}`} className="text-primary hover:underline">
                    {t("crm.deals.openContact")}
                  </Link>
                ) : null}
                <span className="text-muted-foreground">
                  {t("crm.deals.createdAt", { date: formatDateTime(d.created_at, locale) })}
                  {d.closed_at ? ` · ${t("crm.deals.closedOn", { date: formatDateTime(d.closed_at, locale) })}` : ""}
                </span>
              </p>
              <DealForm key={d.updated_at} deal={d} canWrite={me.permissions.includes(CRM_WRITE)} />
            </CardContent>
          </Card>
        )}
      </QueryStates>
    </div>
  );
}
