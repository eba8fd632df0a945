import { useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import { api, unwrap } from "@/api/client";
import { usePermissions } from "@/auth/session";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Checkbox } from "@/components/ui/checkbox";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { FormError } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { fieldErrors } from "@/lib/errors";
import { formatNumber } from "@/lib/format";
import { ContentEditor, type Content } from "./ContentEditor";
import { useAudiences, useSenders, useTemplates } from "./queries";
import type { Campaign, CampaignCreate } from "./types";

export interface CampaignDraft extends Content {
  name: string;
  objective: string;
  from_name: string;
  from_address: string;
  reply_to: string;
  sender_id: string;
  template_id: string;
  audience_ids: string[];
  landing_page_id: string;
  utm_source: string;
  utm_campaign: string;
  starts_at: string;
  ends_at: string;
}

/** An ISO time as a `datetime-local` value in the browser's time zone ("" for none). */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A `datetime-local` value (browser time zone) as an ISO time with its zone, or null. */
export function fromLocalInput(value: string): string | null {
  return value ? new Date(value).toISOString() : null;
}

export function draftOf(c: Campaign | undefined): CampaignDraft {
  return {
    name: c?.name ?? "",
    objective: c?.objective ?? "",
    subject: c?.subject ?? "",
    html: c?.html ?? "",
    text: c?.text ?? "",
    from_name: c?.from_name ?? "",
    from_address: c?.from_address ?? "",
    reply_to: c?.reply_to ?? "",
    sender_id: c?.sender_id ?? "",
    template_id: c?.template_id ?? "",
    audience_ids: c?.audience_ids ?? [],
    landing_page_id: c?.landing_page_id ?? "",
    utm_source: c?.utm_source ?? "newsletter",
    utm_campaign: c?.utm_campaign ?? "",
    starts_at: toLocalInput(c?.starts_at),
    ends_at: toLocalInput(c?.ends_at),
  };
}

/** The request body of a draft (empty optional fields as null). */
export function bodyOf(d: CampaignDraft): CampaignCreate {
  return {
    name: d.name.trim(),
    objective: d.objective.trim() || null,
    subject: d.subject,
    html: d.html,
    text: d.text,
    from_name: d.from_name.trim(),
    from_address: d.from_address.trim(),
    reply_to: d.reply_to.trim() || null,
    sender_id: d.sender_id || null,
    template_id: d.template_id || null,
    audience_ids: d.audience_ids,
    landing_page_id: d.landing_page_id || null,
    utm_source: d.utm_source.trim() || "newsletter",
    utm_campaign: d.utm_campaign.trim() || null,
    starts_at: fromLocalInput(d.starts_at),
    ends_at: fromLocalInput(d.ends_at),
  };
}

/** Landing pages of every tracked site, for the campaign's page (only for who may read tracking). */
function useLandingPages() {
  const can = usePermissions();
  return useQuery({
    queryKey: ["tracking", "landing-pages", "all-sites"],
    queryFn: () => unwrap(api.GET("/api/landing-pages", { params: { query: { page: 1, page_size: 200 } } })),
    enabled: can("tracking:read"),
  });
}

/**
 * A campaign's fields: what it is for, who sends it, its content (from a template or typed,
 * with a live preview), its audiences, landing page, UTMs and period. Disabled once its
 * messages exist.
 */
export function CampaignForm({
  campaign,
  initial,
  onSubmit,
  busy,
  error,
  readOnly,
}: {
  campaign?: Campaign;
  /** A new campaign's starting values (a duplicated campaign's, a template's). */
  initial?: Partial<CampaignDraft>;
  onSubmit: (draft: CampaignDraft) => void;
  busy: boolean;
  error: unknown;
  readOnly: boolean;
}) {
  const { t, locale } = useI18n();
  const { toast } = useToast();
  const [draft, setDraft] = useState<CampaignDraft>(() => ({ ...draftOf(campaign), ...initial }));
  const templates = useTemplates();
  const audiences = useAudiences();
  const senders = useSenders();
  const pages = useLandingPages();
  const errors = fieldErrors(error);
  const set = (patch: Partial<CampaignDraft>) => setDraft((d) => ({ ...d, ...patch }));

  const chooseTemplate = (id: string) => {
    const template = templates.data?.find((x) => x.template_id === id);
    if (!template) return set({ template_id: "" });
    set({ template_id: id, subject: template.subject, html: template.html, text: template.text });
    toast(t("email.campaign.templateCopied", { name: template.name }));
  };
  const toggleAudience = (id: string, on: boolean) => set({ audience_ids: on ? [...draft.audience_ids, id] : draft.audience_ids.filter((a) => a !== id) });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit(draft);
  };

  return (
    <form onSubmit={submit} className="grid gap-4" data-testid="campaign-form">
      <fieldset disabled={readOnly} className="grid min-w-0 gap-4">
        <Card>
          <CardHeader className="pb-3">
            <CardTitle className="text-base">{t("email.campaign.about")}</CardTitle>
          </CardHeader>
          <CardContent className="grid gap-4 md:grid-cols-2">
            <Field label={t("email.campaign.name")} error={errors.name}>
              {(p) => <Input {...p} value={draft.name} maxLength={200} required onChange={(e) => set({ name: e.target.value })} data-testid="campaign-name" />}
            </Field>
            <Field label={t("email.campaign.objective")} optionalText={t("common.optional")} hint={t("email.campaign.objectiveHint")}>
              {(p) => <Input {...p} value={draft.objective} maxLength={500} onChange={(e) => set({ objective: e.target.value })} />}
            </Field>
            <Field label={t("email.campaign.fromName")} error={errors.from_name}>
              {(p) => <Input {...p} value={draft.from_name} maxLength={200} required onChange={(e) => set({ from_name: e.target.value })} data-testid="campaign-from-name" />}
            </Field>
            <Field label={t("email.campaign.fromAddress")} error={errors.from_address}>
              {(p) => <Input {...p} type="email" value={draft.from_address} maxLength={320} required onChange={(e) => set({ from_address: e.target.value })} data-testid="campaign-from-address" />}
            </Field>
            <Field label={t("email.campaign.replyTo")} optionalText={t("common.optional")} error={errors.reply_to}>
              {(p) => <Input {...p} type="email" value={draft.reply_to} maxLength={320} onChange={(e) => set({ reply_to: e.target.value })} />}
            </Field>
            <Field label={t("email.campaign.sender")} hint={senders.admin ? t("email.campaign.senderHint") : t("email.campaign.senderAdminOnly")} error={errors.sender_id}>
              {(p) => (
                <NativeSelect {...p} value={draft.sender_id} onChange={(e) => set({ sender_id: e.target.value })} data-testid="campaign-sender">
                  <option value="">{t("email.campaign.senderDefault")}</option>
                  {senders.senders.map((s) => (
                    <option key={s.sender_id} value={s.sender_id}>
                      {s.name} · {t(s.kind === "smtp" ? "email.sender.kind.smtp" : "email.sender.kind.simulated")}
                    </option>
                  ))}
                  {draft.sender_id && !senders.senders.some((s) => s.sender_id === draft.sender_id) ? <option value={draft.sender_id}>{t("email.campaign.senderOther")}</option> : null}
                </NativeSelect>
              )}
            </Field>
          </CardContent>
        </Card>

        <Card>
          <CardHeader className="pb-3">
            <CardTitle className="text-base">{t("email.campaign.content")}</CardTitle>
          </CardHeader>
          <CardContent className="grid gap-4">
            <Field label={t("email.campaign.template")} hint={t("email.campaign.templateHint")}>
              {(p) => (
                <NativeSelect {...p} value={draft.template_id} onChange={(e) => chooseTemplate(e.target.value)} data-testid="campaign-template" className="max-w-md">
                  <option value="">{t("email.campaign.noTemplate")}</option>
                  {(templates.data ?? []).map((x) => (
                    <option key={x.template_id} value={x.template_id}>
                      {x.name}
                    </option>
                  ))}
                </NativeSelect>
              )}
            </Field>
            <ContentEditor value={draft} onChange={(c) => set(c)} disabled={readOnly} />
          </CardContent>
        </Card>

        <Card>
          <CardHeader className="pb-3">
            <CardTitle className="text-base">{t("email.campaign.audiences")}</CardTitle>
          </CardHeader>
          <CardContent className="grid gap-2" data-testid="campaign-audiences">
            {audiences.data && audiences.data.length === 0 ? (
              <p className="text-sm text-muted-foreground">
                {t("email.campaign.noAudiences")}{" "}
                <Link to="/email/audiences" className="text-primary hover:underline">
                  {t("email.tab.audiences")}
                </Link>
              </p>
            ) : null}
            {(audiences.data ?? []).map((a) => (
              <label key={a.audience_id} className="flex items-center gap-2 text-sm">
                <Checkbox checked={draft.audience_ids.includes(a.audience_id)} onCheckedChange={(on) => toggleAudience(a.audience_id, on === true)} aria-label={a.name} />
                <span className="min-w-0 break-words">{a.name}</span>
                <span className="text-muted-foreground">· {t("email.audience.count", { count: formatNumber(a.contacts, locale) })}</span>
              </label>
            ))}
          </CardContent>
        </Card>

        <Card>
          <CardHeader className="pb-3">
            <CardTitle className="text-base">{t("email.campaign.tracking")}</CardTitle>
          </CardHeader>
          <CardContent className="grid gap-4 md:grid-cols-2">
            <Field label={t("email.campaign.landingPage")} hint={t("email.campaign.landingPageHint")} error={errors.landing_page_id}>
              {(p) => (
                <NativeSelect {...p} value={draft.landing_page_id} onChange={(e) => set({ landing_page_id: e.target.value })} data-testid="campaign-landing-page">
                  <option value="">{t("email.campaign.noLandingPage")}</option>
                  {(pages.data?.items ?? []).map((lp) => (
                    <option key={lp.page_id} value={lp.page_id}>
                      {lp.page_name} · {lp.page_url}
                    </option>
                  ))}
                </NativeSelect>
              )}
            </Field>
            <Field label={t("email.campaign.utmSource")} hint={t("email.campaign.utmHint")}>
              {(p) => <Input {...p} value={draft.utm_source} maxLength={255} onChange={(e) => set({ utm_source: e.target.value })} />}
            </Field>
            <Field label={t("email.campaign.utmCampaign")} optionalText={t("common.optional")} hint={t("email.campaign.utmCampaignHint")}>
              {(p) => <Input {...p} value={draft.utm_campaign} maxLength={255} onChange={(e) => set({ utm_campaign: e.target.value })} />}
            </Field>
            <div className="grid gap-4 sm:grid-cols-2">
              <Field label={t("email.campaign.startsAt")} optionalText={t("common.optional")}>
                {(p) => <Input {...p} type="datetime-local" value={draft.starts_at} onChange={(e) => set({ starts_at: e.target.value })} />}
              </Field>
              <Field label={t("email.campaign.endsAt")} optionalText={t("common.optional")} error={errors.ends_at}>
                {(p) => <Input {...p} type="datetime-local" value={draft.ends_at} onChange={(e) => set({ ends_at: e.target.value })} />}
              </Field>
            </div>
          </CardContent>
        </Card>
      </fieldset>
      {readOnly ? null : (
        <>
          <FormError error={error} />
          <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
            <Button asChild variant="outline">
              <Link to="/email/campaigns">{t("common.cancel")}</Link>
            </Button>
            <Button type="submit" disabled={busy || !draft.name.trim() || !draft.subject.trim()} data-testid="campaign-save">
              {busy ? t("common.saving") : campaign ? t("common.save") : t("email.campaign.create")}
            </Button>
          </div>
        </>
      )}
    </form>
  );
}
