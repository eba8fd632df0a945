import { ArrowRight, KeyRound, Plug, UserCog, Users } from "lucide-react";
import { Link, Navigate } from "react-router";
import { useCurrentUser, usePermissions } from "@/auth/session";
import { hasAny, PERM } from "@/auth/permissions";
import { Card, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { useI18n, type MessageKey } from "@/i18n";
import type { LucideIcon } from "lucide-react";

interface Step {
  to: string;
  title: MessageKey;
  hint: MessageKey;
  icon: LucideIcon;
  visible: boolean;
}

/** The landing route: the analytics Overview for those who may read it, else the first steps. */
export default function OverviewPage() {
  const me = useCurrentUser();
  const can = usePermissions();
  const { t } = useI18n();
  if (can("analytics:read")) return <Navigate to="/analytics" replace />;
  const perms = me.permissions;
  const steps: Step[] = [
    { to: "/settings/members", title: "overview.step.members", hint: "overview.step.membersHint", icon: Users, visible: hasAny(perms, [PERM.membersWrite]) },
    {
      to: "/settings/credentials",
      title: "overview.step.credentials",
      hint: "overview.step.credentialsHint",
      icon: Plug,
      visible: hasAny(perms, [PERM.credentialsWrite]),
    },
    { to: "/settings/api-keys", title: "overview.step.apiKeys", hint: "overview.step.apiKeysHint", icon: KeyRound, visible: hasAny(perms, [PERM.apiKeysWrite]) },
    { to: "/settings/profile", title: "overview.step.profile", hint: "overview.step.profileHint", icon: UserCog, visible: true },
  ];
  return (
    <div className="mx-auto grid max-w-5xl grid-cols-1 gap-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">{t("overview.welcome", { name: me.name || me.email })}</h1>
        <p className="mt-1 text-muted-foreground">
          {t("overview.orgLine", { org: me.organization.name, role: t(`role.${me.role}`) })}
        </p>
      </div>
      <section aria-labelledby="next-steps">
        <h2 id="next-steps" className="mb-3 text-lg font-semibold">
          {t("overview.nextSteps")}
        </h2>
        <ul className="grid gap-4 sm:grid-cols-2">
          {steps
            .filter((s) => s.visible)
            .map((s) => {
              const Icon = s.icon;
              return (
                <li key={s.to}>
                  <Link to={s.to} className="group block h-full rounded-lg focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring">
                    <Card className="h-full transition-colors group-hover:border-primary/50">
                      <CardHeader>
                        <div className="flex items-center gap-3">
                          <Icon className="h-5 w-5 text-primary" aria-hidden />
                          <CardTitle className="text-base">{t(s.title)}</CardTitle>
                          <ArrowRight className="ml-auto h-4 w-4 text-muted-foreground transition-transform group-hover:translate-x-0.5" aria-hidden />
                        </div>
                        <CardDescription>{t(s.hint)}</CardDescription>
                      </CardHeader>
                    </Card>
                  </Link>
                </li>
              );
            })}
        </ul>
      </section>
    </div>
  );
}
