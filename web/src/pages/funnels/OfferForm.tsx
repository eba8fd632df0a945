import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, isApiError, unwrap } from "@/api/client";
import type { components } from "@/api/schema";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { FormError } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { Check, NumberField, TextField } from "./fields";
import type { Step } from "./types";

type ConfigIn = components["schemas"]["CheckoutConfigIn"];
type Design = components["schemas"]["CheckoutDesign"];
type Bump = components["schemas"]["OrderBump"];
type Testimonial = components["schemas"]["Testimonial"];

interface OfferDraft {
  product_name: string;
  product_price: string;
  address: boolean;
  design: Design;
  bump: Bump | null;
}

const DEFAULT_COLOR = "#1a7f37";

function draftOf(config: components["schemas"]["CheckoutConfig"] | null | undefined): OfferDraft {
  const design = (config?.design_config ?? {}) as Design;
  const upsell = (config?.upsell_config ?? {}) as { order_bump?: Bump | null };
  return {
    product_name: config?.product_name ?? "",
    product_price: config?.product_price ?? "",
    address: Boolean((config?.fields_config as { address?: boolean } | undefined)?.address),
    design: { ...design, testimonials: design.testimonials ?? [] },
    bump: upsell.order_bump ?? null,
  };
}

/** What is sent: the logo only with its URL (its size is asked beside it). */
function bodyOf(d: OfferDraft): ConfigIn {
  const design: Design = { ...d.design };
  if (!design.logo?.url) delete design.logo;
  return {
    product_name: d.product_name,
    product_price: d.product_price,
    currency: "BRL",
    fields_config: { address: d.address },
    design_config: design,
    upsell_config: { order_bump: d.bump },
  };
}

/** The offer of a checkout, upsell or downsell step: product and price; on a checkout also
 * the address, the order bump; and the page's design (colour, logo, guarantee seal, testimonials). */
export function OfferForm({ funnelId, step, canWrite, onSaved }: { funnelId: string; step: Step; canWrite: boolean; onSaved: () => void }) {
  const { t } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const path = { funnel_id: funnelId, step_id: step.id };
  const query = useQuery({
    queryKey: ["funnels", "checkout", step.id],
    queryFn: async () => {
      try {
        return await unwrap(api.GET("/api/checkout/{funnel_id}/{step_id}", { params: { path } }));
      } catch (error) {
        if (isApiError(error) && error.status === 404) return null;
        throw error;
      }
    },
  });
  const [draft, setDraft] = useState<OfferDraft | null>(null);
  const d = draft ?? draftOf(query.data);
  const set = (patch: Partial<OfferDraft>) => setDraft({ ...d, ...patch });
  const setDesign = (patch: Partial<Design>) => set({ design: { ...d.design, ...patch } });
  const testimonials: Testimonial[] = d.design.testimonials ?? [];
  const setTestimonial = (i: number, patch: Partial<Testimonial>) => setDesign({ testimonials: testimonials.map((x, j) => (j === i ? { ...x, ...patch } : x)) });
  const isCheckout = step.step_type === "checkout";
  const save = useMutation({
    mutationFn: () => unwrap(api.PUT("/api/checkout/{funnel_id}/{step_id}", { params: { path }, body: bodyOf(d) })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ["funnels", "checkout", step.id] });
      setDraft(null);
      onSaved();
      toast(t("funnels.offer.saved"));
    },
  });
  const money = (v: string) => v.replace(",", ".");
  return (
    <Card>
      <CardHeader>
        <CardTitle className="text-base">{t("funnels.offer")}</CardTitle>
      </CardHeader>
      <CardContent>
        <form
          className="grid gap-3"
          data-testid="offer-form"
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate();
          }}
        >
          {query.data === null ? <p className="text-sm text-muted-foreground">{t("funnels.offer.missing")}</p> : null}
          <TextField label={t("funnels.offer.product")} value={d.product_name} max={255} onChange={(v) => set({ product_name: v })} />
          <Field label={t("funnels.offer.price")}>{(p) => <Input {...p} inputMode="decimal" value={d.product_price} onChange={(e) => set({ product_price: money(e.target.value) })} />}</Field>
          {isCheckout ? (
            <>
              <Check label={t("funnels.offer.address")} checked={d.address} onChange={(v) => set({ address: v })} />
              <Check label={t("funnels.offer.bump")} checked={d.bump !== null} onChange={(v) => set({ bump: v ? { product_name: "", price: "", description: "" } : null })} />
              {d.bump ? (
                <div className="grid gap-3 rounded-md border border-dashed p-3" data-testid="offer-bump">
                  <TextField label={t("funnels.offer.bumpProduct")} value={d.bump.product_name} max={120} onChange={(v) => set({ bump: { ...d.bump!, product_name: v } })} />
                  <Field label={t("funnels.offer.bumpPrice")}>{(p) => <Input {...p} inputMode="decimal" value={d.bump!.price} onChange={(e) => set({ bump: { ...d.bump!, price: money(e.target.value) } })} />}</Field>
                  <TextField label={t("funnels.offer.bumpDescription")} value={d.bump.description} max={1000} multiline onChange={(v) => set({ bump: { ...d.bump!, description: v } })} />
                </div>
              ) : null}
            </>
          ) : null}
          <p className="mt-2 text-sm font-medium">{t("funnels.offer.design")}</p>
          <Field label={t("funnels.offer.color")}>
            {(p) => (
              <div className="flex items-center gap-2">
                <Input {...p} type="color" className="h-10 w-16 p-1" value={d.design.primary_color ?? DEFAULT_COLOR} onChange={(e) => setDesign({ primary_color: e.target.value })} />
                {d.design.primary_color ? (
                  <Button type="button" variant="ghost" size="sm" onClick={() => setDesign({ primary_color: null })}>
                    {t("funnels.offer.colorDefault")}
                  </Button>
                ) : null}
              </div>
            )}
          </Field>
          <TextField label={t("funnels.offer.logo")} hint={t("funnels.offer.logoHint")} value={d.design.logo?.url ?? ""} max={2000} onChange={(v) => setDesign({ logo: { width: 160, height: 48, alt: "", ...d.design.logo, url: v } })} />
          {d.design.logo?.url ? (
            <div className="grid grid-cols-2 gap-3">
              <NumberField label={t("funnels.offer.logoWidth")} value={d.design.logo.width} min={1} max={4000} onChange={(v) => setDesign({ logo: { ...d.design.logo!, width: v } })} />
              <NumberField label={t("funnels.offer.logoHeight")} value={d.design.logo.height} min={1} max={4000} onChange={(v) => setDesign({ logo: { ...d.design.logo!, height: v } })} />
            </div>
          ) : null}
          <NumberField label={t("funnels.offer.guaranteeDays")} value={d.design.guarantee_days ?? 0} min={0} max={365} onChange={(v) => setDesign({ guarantee_days: v })} />
          <p className="mt-2 text-sm font-medium">{t("funnels.offer.testimonials")}</p>
          {testimonials.length === 0 ? <p className="text-sm text-muted-foreground">{t("funnels.offer.testimonialsEmpty")}</p> : null}
          {testimonials.map((item, i) => (
            <div key={i} className="grid gap-2 rounded-md border p-3" data-testid="offer-testimonial">
              <TextField label={t("funnels.offer.testimonialName")} value={item.name} max={120} onChange={(v) => setTestimonial(i, { name: v })} />
              <TextField label={t("funnels.offer.testimonialText")} value={item.text} max={600} multiline onChange={(v) => setTestimonial(i, { text: v })} />
              <Button type="button" variant="ghost" size="sm" className="justify-self-start" onClick={() => setDesign({ testimonials: testimonials.filter((_, j) => j !== i) })}>
                {t("funnels.offer.testimonialRemove")}
              </Button>
            </div>
          ))}
          {testimonials.length < 6 ? (
            <Button type="button" variant="outline" size="sm" className="justify-self-start" onClick={() => setDesign({ testimonials: [...testimonials, { name: "", text: "" }] })}>
              {t("funnels.offer.testimonialAdd")}
            </Button>
          ) : null}
          <FormError error={save.error} />
          {canWrite ? (
            <Button type="submit" disabled={save.isPending || !d.product_name || !d.product_price} data-testid="offer-save">
              {t("funnels.offer.save")}
            </Button>
          ) : null}
        </form>
      </CardContent>
    </Card>
  );
}
