import { lazy, Suspense } from "react";
import { Navigate, Route, Routes } from "react-router";
import { usePermissions } from "@/auth/session";
import { PageTabs, type PageTab } from "@/components/ui/page-tabs";
import { LoadingState } from "@/components/ui/states";
import { useI18n } from "@/i18n";
import { EMAIL_ADMIN } from "./types";

const CampaignsSection = lazy(() => import("./CampaignsSection"));
const CampaignEditor = lazy(() => import("./CampaignEditor"));
const CampaignReport = lazy(() => import("./CampaignReport"));
const TemplatesSection = lazy(() => import("./TemplatesSection"));
const TemplateEditor = lazy(() => import("./TemplateEditor"));
const AudiencesSection = lazy(() => import("./AudiencesSection"));
const SuppressionsSection = lazy(() => import("./SuppressionsSection"));
const UnsubscribesSection = lazy(() => import("./UnsubscribesSection"));
const SendersSection = lazy(() => import("./SendersSection"));
const SequencesPage = lazy(() => import("./sequences/SequencesPage"));
const ContactsSection = lazy(() => import("./contacts/ContactsSection"));

/** The section's tabs; `admin` ones only for who may configure senders. */
const TABS: (PageTab & { admin?: boolean })[] = [
  { path: "/email/campaigns", labelKey: "email.tab.campaigns" },
  { path: "/email/sequences", labelKey: "email.tab.sequences" },
  { path: "/email/contacts", labelKey: "email.tab.contacts" },
  { path: "/email/templates", labelKey: "email.tab.templates" },
  { path: "/email/audiences", labelKey: "email.tab.audiences" },
  { path: "/email/suppressions", labelKey: "email.tab.suppressions" },
  { path: "/email/unsubscribes", labelKey: "email.tab.unsubscribes" },
  { path: "/email/senders", labelKey: "email.tab.senders", admin: true },
];

/** E-mail marketing: campaigns (editor, actions, report), templates, audiences, suppressions, unsubscribes and senders. */
export default function EmailPage() {
  const { t } = useI18n();
  const can = usePermissions();
  const tabs = TABS.filter((tab) => !tab.admin || can(EMAIL_ADMIN));
  return (
    <div className="mx-auto grid max-w-6xl grid-cols-1 gap-4">
      <h1 className="text-2xl font-semibold tracking-tight">{t("email.title")}</h1>
      <PageTabs tabs={tabs} label={t("email.sections")} />
      <Suspense fallback={<LoadingState />}>
        <Routes>
          <Route index element={<Navigate to="campaigns" replace />} />
          <Route path="campaigns" element={<CampaignsSection />} />
          <Route path="campaigns/new" element={<CampaignEditor />} />
          <Route path="campaigns/:campaignId" element={<CampaignEditor />} />
          <Route path="campaigns/:campaignId/report" element={<CampaignReport />} />
          <Route path="sequences/*" element={<SequencesPage />} />
          <Route path="contacts/*" element={<ContactsSection />} />
          <Route path="templates" element={<TemplatesSection />} />
          <Route path="templates/new" element={<TemplateEditor />} />
          <Route path="templates/:templateId" element={<TemplateEditor />} />
          <Route path="audiences" element={<AudiencesSection />} />
          <Route path="suppressions" element={<SuppressionsSection />} />
          <Route path="unsubscribes" element={<UnsubscribesSection />} />
          <Route path="senders" element={<SendersSection />} />
          <Route path="*" element={<p className="text-sm text-muted-foreground">{t("notFound.body")}</p>} />
        </Routes>
      </Suspense>
    </div>
  );
}
