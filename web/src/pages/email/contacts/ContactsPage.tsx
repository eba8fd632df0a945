import { lazy, Suspense } from "react";
import { Route, Routes } from "react-router";
import { PageTabs, type PageTab } from "@/components/ui/page-tabs";
import { LoadingState } from "@/components/ui/states";
import { useI18n } from "@/i18n";

const ContactListSection = lazy(() => import("./ContactListSection"));
const ImportSection = lazy(() => import("./ImportSection"));
const FormsSection = lazy(() => import("./FormsSection"));

const TABS: PageTab[] = [
  { path: "/email/contacts", labelKey: "emailContacts.tab.list", end: true },
  { path: "/email/contacts/import", labelKey: "emailContacts.tab.import" },
  { path: "/email/contacts/forms", labelKey: "emailContacts.tab.forms" },
];

/** E-mail contacts: the list (default), the CSV import wizard and the subscription forms. */
export default function ContactsPage() {
  const { t } = useI18n();
  return (
    <div className="mx-auto grid max-w-7xl grid-cols-1 gap-4">
      <h1 className="text-2xl font-semibold tracking-tight">{t("emailContacts.title")}</h1>
      <PageTabs tabs={TABS} label={t("emailContacts.sections")} />
      <Suspense fallback={<LoadingState />}>
        <Routes>
          <Route index element={<ContactListSection />} />
          <Route path="import" element={<ImportSection />} />
          <Route path="forms" element={<FormsSection />} />
        </Routes>
      </Suspense>
    </div>
  );
}
