import { useCurrentUser } from "@/auth/session";
import { hasAny } from "@/auth/permissions";
import ConsentSection from "./ConsentSection";
import RetentionSection from "./RetentionSection";

/** Settings › Privacy: retention and each site's consent mode (the audit log mounts here too). */
export default function PrivacySection() {
  const me = useCurrentUser();
  return (
    <div className="grid gap-4">
      <RetentionSection />
      {hasAny(me.permissions, ["tracking:read"]) ? <ConsentSection /> : null}
    </div>
  );
}
