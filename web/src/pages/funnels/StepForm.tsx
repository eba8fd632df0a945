import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api, authFetch, isApiError, unwrap } from "@/api/client";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { NativeSelect } from "@/components/ui/native-select";
import { FormError } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast";
import { useI18n, type MessageKey } from "@/i18n";
import { Check, NumberField, TextField } from "./fields";
import { OfferForm } from "./OfferForm";
import { OFFER_STEPS, type Step } from "./types";

type Bag = Record<string, unknown>;
export interface Draft {
  name: string;
  slug: string;
  is_active: boolean;
  settings: Bag;
  content: Bag;
}

export function draftOf(step: Step): Draft {
  return { name: step.name, slug: step.slug, is_active: step.is_active, settings: { ...step.settings }, content: { ...step.content } };
}

const BUTTON_TYPES = ["capture", "vsl", "checkout"];

/** The step's public page with the draft's (unsaved) settings and content, refreshed as they change. */
function usePreview(funnelId: string, step: Step, draft: Draft, version: number) {
  const [html, setHtml] = useState<string | null>(null);
  const [invalid, setInvalid] = useState(false);
  const body = JSON.stringify({ settings: draft.settings, content: draft.content });
  useEffect(() => {
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      authFetch(`${window.location.origin}/api/funnels/${funnelId}/steps/${step.id}/preview`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "text/html" },
        body,
        signal: controller.signal,
      })
        .then(async (response) => {
          setHtml(await response.text());
          setInvalid(false);
        })
        .catch((error: unknown) => {
          if (isApiError(error) && error.status === 422) setInvalid(true);
        });
    }, 400);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [funnelId, step.id, body, version]);
  return { html, invalid };
}

/** What the step's type adds to the common fields. */
function TypeFields({ step, draft, steps, setSetting, setContent }: { step: Step; draft: Draft; steps: Step[]; setSetting: (k: string, v: unknown) => void; setContent: (k: string, v: unknown) => void }) {
  const { t } = useI18n();
  const s = draft.settings;
  const c = draft.content;
  switch (step.step_type) {
    case "capture": {
      const fields = Array.isArray(s.fields) ? (s.fields as string[]) : ["name", "email"];
      const toggle = (f: string, on: boolean) => setSetting("fields", on ? [...fields.filter((x) => x !== f), f] : fields.filter((x) => x !== f));
      return (
        <>
          <fieldset className="grid gap-2">
            <legend className="text-sm font-medium">{t("funnels.step.fields")}</legend>
            {(["name", "email", "phone"] as const).map((f) => (
              <Check key={f} label={t(`funnels.step.field.${f}`)} checked={fields.includes(f)} onChange={(on) => toggle(f, on)} />
            ))}
          </fieldset>
          <TextField label={t("funnels.step.privacy")} value={c.privacy_note} max={5000} multiline onChange={(v) => setContent("privacy_note", v)} />
        </>
      );
    }
    case "vsl": {
      const video = (c.video ?? { provider: "youtube" }) as Bag;
      const setVideo = (k: string, v: string) => setContent("video", { ...video, [k]: v || undefined });
      return (
        <>
          <Field label={t("funnels.step.videoProvider")}>
            {(p) => (
              <NativeSelect {...p} value={String(video.provider ?? "youtube")} onChange={(e) => setContent("video", { provider: e.target.value })}>
                <option value="youtube">YouTube</option>
                <option value="vimeo">Vimeo</option>
                <option value="file">MP4 / WebM</option>
              </NativeSelect>
            )}
          </Field>
          {video.provider === "file" ? (
            <TextField label={t("funnels.step.videoUrl")} value={video.url} max={2000} onChange={(v) => setVideo("url", v)} />
          ) : (
            <TextField label={t("funnels.step.videoId")} value={video.video_id} max={20} onChange={(v) => setVideo("video_id", v)} />
          )}
          <NumberField label={t("funnels.step.ctaDelay")} value={s.cta_delay_seconds ?? 0} min={0} max={7200} onChange={(v) => setSetting("cta_delay_seconds", v)} />
        </>
      );
    }
    case "checkout":
      return (
        <>
          <Check label={t("funnels.step.collectPhone")} checked={s.collect_phone !== false} onChange={(v) => setSetting("collect_phone", v)} />
          <Check label={t("funnels.step.collectDocument")} checked={s.collect_document !== false} onChange={(v) => setSetting("collect_document", v)} />
          <NumberField label={t("funnels.step.pixMinutes")} value={s.pix_expires_minutes ?? 30} min={1} max={10080} onChange={(v) => setSetting("pix_expires_minutes", v)} />
          <TextField label={t("funnels.step.guarantee")} value={c.guarantee_text} max={5000} multiline onChange={(v) => setContent("guarantee_text", v)} />
        </>
      );
    case "upsell":
    case "downsell": {
      const others = steps.filter((x) => x.id !== step.id);
      const target = (key: string, label: MessageKey) => (
        <Field label={t(label)}>
          {(p) => (
            <NativeSelect {...p} value={String(s[key] ?? "")} onChange={(e) => setSetting(key, e.target.value || undefined)}>
              <option value="">{t("funnels.step.nextStep")}</option>
              {others.map((x) => (
                <option key={x.id} value={x.slug}>
                  {x.name}
                </option>
              ))}
            </NativeSelect>
          )}
        </Field>
      );
      return (
        <>
          <TextField label={t("funnels.step.accept")} value={c.accept_text} max={60} onChange={(v) => setContent("accept_text", v)} />
          <TextField label={t("funnels.step.decline")} value={c.decline_text} max={60} onChange={(v) => setContent("decline_text", v)} />
          {target("accept_step", "funnels.step.acceptStep")}
          {target("decline_step", "funnels.step.declineStep")}
        </>
      );
    }
    default:
      return null;
  }
}

/** One step's form (common fields, then its type's) with the live preview beside it. */
export function StepForm({ funnelId, step, steps, canWrite }: { funnelId: string; step: Step; steps: Step[]; canWrite: boolean }) {
  const { t } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const [draft, setDraft] = useState<Draft>(() => draftOf(step));
  // The offer is saved apart: its saving refreshes the preview.
  const [offerVersion, setOfferVersion] = useState(0);
  const preview = usePreview(funnelId, step, draft, offerVersion);
  const setSetting = (k: string, v: unknown) => setDraft((d) => ({ ...d, settings: { ...d.settings, [k]: v } }));
  const setContent = (k: string, v: unknown) => setDraft((d) => ({ ...d, content: { ...d.content, [k]: v === "" && k !== "headline" ? undefined : v } }));
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PUT("/api/funnels/{funnel_id}/steps/{step_id}", {
          params: { path: { funnel_id: funnelId, step_id: step.id } },
          body: { name: draft.name, slug: draft.slug, is_active: draft.is_active, settings: draft.settings, content: draft.content },
        }),
      ),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ["funnels", funnelId] });
      toast(t("funnels.step.saved"));
    },
  });
  const c = draft.content;
  return (
    <div className="grid gap-4 xl:grid-cols-2">
      <div className="grid content-start gap-4">
        <Card>
          <CardHeader>
            <CardTitle className="text-base">
              {step.name} · {t(`funnels.stepType.${step.step_type}`)}
            </CardTitle>
          </CardHeader>
          <CardContent>
            <form
              className="grid gap-3"
              data-testid="step-form"
              onSubmit={(e) => {
                e.preventDefault();
                save.mutate();
              }}
            >
              <TextField label={t("funnels.field.name")} value={draft.name} max={255} onChange={(v) => setDraft({ ...draft, name: v })} />
              <TextField label={t("funnels.field.slug")} value={draft.slug} max={100} onChange={(v) => setDraft({ ...draft, slug: v })} />
              <Check label={t("funnels.step.active")} checked={draft.is_active} onChange={(v) => setDraft({ ...draft, is_active: v })} />
              <TextField label={t("funnels.step.headline")} value={c.headline} onChange={(v) => setContent("headline", v)} />
              <TextField label={t("funnels.step.subheadline")} value={c.subheadline} onChange={(v) => setContent("subheadline", v)} />
              <TextField label={t("funnels.step.body")} hint={t("funnels.step.bodyHint")} value={c.body} max={5000} multiline onChange={(v) => setContent("body", v)} />
              {BUTTON_TYPES.includes(step.step_type) ? <TextField label={t("funnels.step.button")} value={c.button_text} max={60} onChange={(v) => setContent("button_text", v)} /> : null}
              <TypeFields step={step} draft={draft} steps={steps} setSetting={setSetting} setContent={setContent} />
              <FormError error={save.error} />
              {canWrite ? (
                <Button type="submit" disabled={save.isPending} data-testid="step-save">
                  {save.isPending ? t("common.saving") : t("funnels.step.save")}
                </Button>
              ) : null}
            </form>
          </CardContent>
        </Card>
        {OFFER_STEPS.includes(step.step_type) ? <OfferForm funnelId={funnelId} step={step} canWrite={canWrite} onSaved={() => setOfferVersion((v) => v + 1)} /> : null}
      </div>
      <Card className="content-start">
        <CardHeader>
          <CardTitle className="text-base">{t("funnels.preview")}</CardTitle>
        </CardHeader>
        <CardContent>
          {preview.invalid ? <p className="mb-2 text-sm text-muted-foreground">{t("funnels.preview.invalid")}</p> : null}
          {/* No scripts run in the frame: the preview is for looking (the server sends it sandboxed too). */}
          <iframe title={t("funnels.preview.title")} sandbox="" srcDoc={preview.html ?? ""} className="h-[640px] w-full rounded-md border bg-white" data-testid="step-preview" />
        </CardContent>
      </Card>
    </div>
  );
}
