import { lazy, Suspense } from "react";
import { Route, Routes } from "react-router";
import { PageTabs } from "@/components/ui/page-tabs";
import { LoadingState } from "@/components/ui/states";
import { useI18n, type MessageKey } from "@/i18n";

const LeadListSection = lazy(() => import("./LeadListSection"));
const PipelineBoard = lazy(() => import("./PipelineBoard"));
const TasksSection = lazy(() => import("./TasksSection"));
const ContactsSection = lazy(() => import("./ContactsSection"));
const ContactSection = lazy(() => import("./ContactSection"));
const DealsSection = lazy(() => import("./DealsSection"));
const DealSection = lazy(() => import("./DealSection"));
const LeadSection = lazy(() => import("./LeadSection"));

const TABS: { path: string; labelKey: MessageKey; end?: boolean }[] = [
  { path: "/leads", labelKey: "crm.tab.list", end: true },
  { path: "/leads/pipeline", labelKey: "crm.tab.pipeline" },
  { path: "/leads/tasks", labelKey: "crm.tab.tasks" },
  { path: "/leads/contacts", labelKey: "crm.tab.contacts" },
  { path: "/leads/deals", labelKey: "crm.tab.deals" },
];

/** Leads (CRM): the list (default), the pipeline board, tasks due, contacts, deals, and a lead's page. */
export default function LeadsPage() {
  const { t } = useI18n();
  return (
    <div className="mx-auto grid max-w-7xl grid-cols-1 gap-4">
      <h1 className="text-2xl font-semibold tracking-tight">{t("crm.title")}</h1>
      <PageTabs tabs={TABS} label={t("crm.sections")} />
      <Suspense fallback={<LoadingState />}>
        <Routes>
          <Route index element={<LeadListSection />} />
          <Route path="pipeline" element={<PipelineBoard />} />
          <Route path="tasks" element={<TasksSection />} />
          <Route path="contacts" element={<ContactsSection />} />
          <Route path="contacts/:contactId" element={<ContactSection />} />
          <Route path="deals" element={<DealsSection />} />
          <Route path="deals/:dealId" element={<DealSection />} />
          <Route path=":leadId" element={<LeadSection />} />
        </Routes>
      </Suspense>
    </div>
  );
}
