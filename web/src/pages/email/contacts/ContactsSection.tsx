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

/**
 * The contacts' sub-pages under /email/contacts: the list (default), the CSV import
 * wizard and the subscription forms. Mountable as a tab of the E-mail section
 * (`<Route path="contacts/*" element={<ContactsSection />} />`).
 */
export default function ContactsSection() {
  const { t } = useI18n();
  return (
    <div className="grid grid-cols-1 gap-4">
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
