import { useI18n } from "@/i18n";
import { hasAny } from "@/auth/permissions";
import { useCurrentUser } from "@/auth/session";
import AuditLogSection from "./AuditLogSection";
import ConsentSection from "./ConsentSection";
import RetentionSection from "./RetentionSection";
import SubjectRequestsSection from "./SubjectRequestsSection";

/** Settings → Privacy: retention and each site's consent mode; for administrators, the
 * data-subject requests, the access audit log and the public page's address. */
export default function PrivacySection() {
  const { t } = useI18n();
  const me = useCurrentUser();
  const slug = me.organization.slug;
  const admin = hasAny(me.permissions, ["privacy:admin"]);
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
      <RetentionSection />
      {hasAny(me.permissions, ["tracking:read"]) ? <ConsentSection /> : null}
      {admin ? <SubjectRequestsSection /> : null}
      {admin ? <AuditLogSection /> : null}
    </div>
  );
}
