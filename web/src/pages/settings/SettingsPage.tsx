import { lazy, Suspense } from "react";
import { Navigate, Route, Routes } from "react-router";
import { useCurrentUser } from "@/auth/session";
import { hasAny, PERM } from "@/auth/permissions";
import { PageTabs } from "@/components/ui/page-tabs";
import { LoadingState } from "@/components/ui/states";
import { useI18n, type MessageKey } from "@/i18n";

const OrganizationSection = lazy(() => import("./OrganizationSection"));
const LeadRulesSection = lazy(() => import("./LeadRulesSection"));
const MembersSection = lazy(() => import("./MembersSection"));
const ApiKeysSection = lazy(() => import("./ApiKeysSection"));
const CredentialsSection = lazy(() => import("./CredentialsSection"));
const CrmDestinationsSection = lazy(() => import("./crm/DestinationsSection"));
const CrmWebhooksSection = lazy(() => import("./crm/WebhooksSection"));
const CrmReviewSection = lazy(() => import("./crm/ReviewSection"));
const AdAccountsSection = lazy(() => import("./spend/AdAccountsSection"));
const SpendCsvSection = lazy(() => import("./spend/SpendCsvSection"));
const FxRatesSection = lazy(() => import("./spend/FxRatesSection"));
const ProfitSection = lazy(() => import("./spend/ProfitSection"));
const PrivacySection = lazy(() => import("./privacy/PrivacySection"));
const ProfileSection = lazy(() => import("./ProfileSection"));
const PasswordSection = lazy(() => import("./PasswordSection"));

interface Tab {
  path: string;
  labelKey: MessageKey;
  /** Visible with any of these (empty: everyone). */
  anyOf: string[];
  element: React.ComponentType;
}

const TABS: Tab[] = [
  { path: "organization", labelKey: "settings.organization", anyOf: ["organization:read"], element: OrganizationSection },
  { path: "leads", labelKey: "settings.leadRules", anyOf: ["crm:read"], element: LeadRulesSection },
  { path: "members", labelKey: "settings.members", anyOf: [PERM.membersRead, PERM.membersWrite], element: MembersSection },
  { path: "api-keys", labelKey: "settings.apiKeys", anyOf: [PERM.apiKeysRead, PERM.apiKeysWrite], element: ApiKeysSection },
  { path: "credentials", labelKey: "settings.credentials", anyOf: [PERM.credentialsRead, PERM.credentialsWrite], element: CredentialsSection },
  { path: "crm-destinations", labelKey: "settings.crmDestinations", anyOf: [PERM.crmAdmin], element: CrmDestinationsSection },
  { path: "crm-webhooks", labelKey: "settings.crmWebhooks", anyOf: [PERM.crmAdmin], element: CrmWebhooksSection },
  { path: "crm-review", labelKey: "settings.crmReview", anyOf: [PERM.crmAdmin], element: CrmReviewSection },
  { path: "ad-accounts", labelKey: "settings.adAccounts", anyOf: ["analytics:read", "analytics:admin"], element: AdAccountsSection },
  { path: "spend-csv", labelKey: "settings.spendCsv", anyOf: ["analytics:admin"], element: SpendCsvSection },
  { path: "fx-rates", labelKey: "settings.fxRates", anyOf: ["analytics:read", "analytics:admin"], element: FxRatesSection },
  { path: "profit", labelKey: "settings.profit", anyOf: ["analytics:read", "analytics:admin"], element: ProfitSection },
  { path: "privacy", labelKey: "settings.privacy", anyOf: ["privacy:retention_read", "privacy:admin"], element: PrivacySection },
  { path: "profile", labelKey: "settings.profile", anyOf: [], element: ProfileSection },
  { path: "password", labelKey: "settings.password", anyOf: [], element: PasswordSection },
];

export default function SettingsPage() {
  const { t } = useI18n();
  const me = useCurrentUser();
  const tabs = TABS.filter((tab) => tab.anyOf.length === 0 || hasAny(me.permissions, tab.anyOf));
  return (
    <div className="mx-auto grid max-w-5xl grid-cols-1 gap-4">
      <h1 className="text-2xl font-semibold tracking-tight">{t("settings.title")}</h1>
      <PageTabs tabs={tabs} label={t("settings.sections")} />
      <Suspense fallback={<LoadingState />}>
        <Routes>
          <Route index element={<Navigate to={tabs[0]?.path ?? "profile"} replace />} />
          {tabs.map((tab) => {
            const El = tab.element;
            return <Route key={tab.path} path={tab.path} element={<El />} />;
          })}
          <Route path="*" element={<p className="text-sm text-muted-foreground">{t("settings.noPermission")}</p>} />
        </Routes>
      </Suspense>
    </div>
  );
}
