import { lazy, Suspense } from "react";
import { Route, Routes } from "react-router";
import { useCurrentUser } from "@/auth/session";
import { PageTabs, type PageTab } from "@/components/ui/page-tabs";
import { LoadingState } from "@/components/ui/states";
import { useI18n } from "@/i18n";
import { CONVERSIONS_ADMIN } from "./types";

const ConversionListSection = lazy(() => import("./ConversionListSection"));
const ConversionDetailSection = lazy(() => import("./ConversionDetailSection"));
const ConversionSettingsSection = lazy(() => import("./ConversionSettingsSection"));

/** Offline conversions: the list with the platforms' health (default), a conversion's sync log, the settings. */
export default function ConversionsPage() {
  const { t } = useI18n();
  const me = useCurrentUser();
  const isAdmin = me.permissions.includes(CONVERSIONS_ADMIN);
  const tabs: PageTab[] = [{ path: "/conversions", labelKey: "conversions.tab.list", end: true }];
  if (isAdmin) tabs.push({ path: "/conversions/settings", labelKey: "conversions.tab.settings" });
  return (
    <div className="mx-auto grid max-w-7xl grid-cols-1 gap-4">
      <h1 className="text-2xl font-semibold tracking-tight">{t("conversions.title")}</h1>
      <PageTabs tabs={tabs} label={t("conversions.sections")} />
      <Suspense fallback={<LoadingState />}>
        <Routes>
          <Route index element={<ConversionListSection />} />
          <Route path="settings" element={isAdmin ? <ConversionSettingsSection /> : <p className="text-sm text-muted-foreground">{t("settings.noPermission")}</p>} />
          <Route path=":conversionId" element={<ConversionDetailSection />} />
        </Routes>
      </Suspense>
    </div>
  );
}
