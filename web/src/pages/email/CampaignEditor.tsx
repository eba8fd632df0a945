import { useMutation, useQueryClient } from "@tanstack/react-query";
import { ArrowLeft } from "lucide-react";
import type { ReactNode } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { api, unwrap } from "@/api/client";
import { useCurrentUser } from "@/auth/session";
import { QueryStates } from "@/components/ui/query-states";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { CampaignActions } from "./CampaignActions";
import { AbTestPanel } from "./campaign-panels/AbTestPanel";
import { TestSendPanel } from "./campaign-panels/TestSendPanel";
import { bodyOf, CampaignForm, draftOf, type CampaignDraft } from "./CampaignForm";
import { useCampaign, useTemplates } from "./queries";
import { SectionTitle } from "./shared";
import { CAMPAIGNS_KEY, EMAIL_WRITE, isEditable, type Campaign } from "./types";

function BackLink() {
  const { t } = useI18n();
  return (
    <Link to="/email/campaigns" className="inline-flex items-center gap-1 text-sm text-muted-foreground hover:text-foreground">
      <ArrowLeft className="h-4 w-4" aria-hidden />
      {t("email.campaigns.back")}
    </Link>
  );
}

/**
 * A new campaign's form, blank or started from `?from=<campaign>` (a copy of it, a draft
 * again) or `?template=<template>` (its subject and content).
 */
function NewCampaignStart({ form }: { form: (initial?: Partial<CampaignDraft>) => ReactNode }) {
  const { t } = useI18n();
  const [params] = useSearchParams();
  const from = params.get("from") ?? undefined;
  const templateId = params.get("template");
  const source = useCampaign(from);
  const templates = useTemplates();
  if (from) {
    return (
      <QueryStates query={source}>
        {(c) => form({ ...draftOf(c), name: t("email.campaign.copyName", { name: c.name }), starts_at: "", ends_at: "" })}
      </QueryStates>
    );
  }
  if (templateId) {
    return (
      <QueryStates query={templates}>
        {(list) => {
          const tpl = list.find((x) => x.template_id === templateId);
          return form(tpl ? { template_id: tpl.template_id, subject: tpl.subject, html: tpl.html, text: tpl.text } : undefined);
        }}
      </QueryStates>
    );
  }
  return <>{form()}</>;
}

/** A new campaign (`/email/campaigns/new`) or an existing one with its actions (`/email/campaigns/:campaignId`). */
export default function CampaignEditor() {
  const { campaignId } = useParams();
  const { t } = useI18n();
  const { toast } = useToast();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const me = useCurrentUser();
  const canWrite = me.permissions.includes(EMAIL_WRITE);
  const campaign = useCampaign(campaignId);

  const save = useMutation({
    mutationFn: (draft: CampaignDraft) => {
      const body = bodyOf(draft);
      return campaignId
        ? unwrap(api.PATCH("/api/email/campaigns/{campaign_id}", { params: { path: { campaign_id: campaignId } }, body }))
        : unwrap(api.POST("/api/email/campaigns", { body }));
    },
    onSuccess: (saved: Campaign) => {
      qc.setQueryData([...CAMPAIGNS_KEY, saved.campaign_id], saved);
      void qc.invalidateQueries({ queryKey: CAMPAIGNS_KEY });
      toast(t(campaignId ? "email.campaign.saved" : "email.campaign.created", { name: saved.name }));
      if (!campaignId) navigate(`/email/campaigns/${saved.campaign_id}`);
    },
  });

  if (!campaignId) {
    const form = (initial?: Partial<CampaignDraft>) => <CampaignForm initial={initial} onSubmit={(d) => save.mutate(d)} busy={save.isPending} error={save.error} readOnly={false} />;
    return (
      <section className="grid grid-cols-1 gap-4">
        <BackLink />
        <SectionTitle title={t("email.campaign.new")} subtitle={t("email.campaign.newIntro")} />
        {canWrite ? <NewCampaignStart form={form} /> : <p className="text-sm text-muted-foreground">{t("settings.noPermission")}</p>}
      </section>
    );
  }

  return (
    <section className="grid grid-cols-1 gap-4">
      <BackLink />
      <QueryStates query={campaign}>
        {(c) => {
          const editable = canWrite && isEditable(c);
          return (
            <>
              <SectionTitle title={c.name} subtitle={editable ? t("email.campaign.editIntro") : t("email.campaign.lockedIntro")} />
              <CampaignActions campaign={c} canWrite={canWrite} />
              <CampaignForm key={`${c.campaign_id}-${editable}`} campaign={c} onSubmit={(d) => save.mutate(d)} busy={save.isPending} error={save.error} readOnly={!editable} />
              <AbTestPanel campaignId={c.campaign_id} editable={editable} />
              {canWrite ? <TestSendPanel campaignId={c.campaign_id} variants={c.subject_variants ?? []} /> : null}
            </>
          );
        }}
      </QueryStates>
    </section>
  );
}
