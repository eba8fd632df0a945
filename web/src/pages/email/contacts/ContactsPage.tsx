import { useI18n } from "@/i18n";
import ContactsSection from "./ContactsSection";

/** E-mail contacts as a page of its own (the list, the CSV import, the subscription forms). */
export default function ContactsPage() {
  const { t } = useI18n();
  return (
    <div className="mx-auto grid max-w-7xl grid-cols-1 gap-4">
      <h1 className="text-2xl font-semibold tracking-tight">{t("emailContacts.title")}</h1>
      <ContactsSection />
    </div>
  );
}
