import { useMutation, useQueryClient } from "@tanstack/react-query";
import { ArrowLeft } from "lucide-react";
import { Link, useNavigate, useParams } from "react-router";
import { api, unwrap } from "@/api/client";
import { useCurrentUser } from "@/auth/session";
import { QueryStates } from "@/components/ui/query-states";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { CampaignActions } from "./CampaignActions";
import { bodyOf, CampaignForm, type CampaignDraft } from "./CampaignForm";
import { useCampaign } from "./queries";
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
    return (
      <section className="grid grid-cols-1 gap-4">
        <BackLink />
        <SectionTitle title={t("email.campaign.new")} subtitle={t("email.campaign.newIntro")} />
        {canWrite ? <CampaignForm onSubmit={(d) => save.mutate(d)} busy={save.isPending} error={save.error} readOnly={false} /> : <p className="text-sm text-muted-foreground">{t("settings.noPermission")}</p>}
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
            </>
          );
        }}
      </QueryStates>
    </section>
  );
}
