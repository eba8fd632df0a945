import { useI18n } from "@/i18n";
import { useCurrentUser } from "@/auth/session";
import AuditLogSection from "./AuditLogSection";
import SubjectRequestsSection from "./SubjectRequestsSection";

/** Settings → Privacy: data-subject requests, the access audit log, and the public page's address. */
export default function PrivacySection() {
  const { t } = useI18n();
  const me = useCurrentUser();
  const slug = me.organization.slug;
  return (
    <div className="grid gap-8">
      {slug ? (
        <p className="text-sm text-muted-foreground" data-testid="privacy-page-link">
          {t("privacy.publicPage")}{" "}
          <a className="break-all text-primary underline" href={`/p/${slug}/privacy`} target="_blank" rel="noreferrer">
            {`${window.location.origin}/p/${slug}/privacy`}
          </a>
        </p>
      ) : null}
      <SubjectRequestsSection />
      <AuditLogSection />
    </div>
  );
}
