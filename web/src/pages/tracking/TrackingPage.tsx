import { lazy, Suspense } from "react";
import { Route, Routes } from "react-router";
import { PageTabs } from "@/components/ui/page-tabs";
import { LoadingState } from "@/components/ui/states";
import { useI18n, type MessageKey } from "@/i18n";

const LiveSection = lazy(() => import("./LiveSection"));
const SessionSection = lazy(() => import("./SessionSection"));
const HistorySection = lazy(() => import("./HistorySection"));
const VisitorSection = lazy(() => import("./VisitorSection"));
const DomainsSection = lazy(() => import("./DomainsSection"));
const LandingPagesSection = lazy(() => import("./LandingPagesSection"));

const TABS: { path: string; labelKey: MessageKey; end?: boolean }[] = [
  { path: "/tracking", labelKey: "tracking.tab.live", end: true },
  { path: "/tracking/sessions", labelKey: "tracking.tab.history", end: true },
  { path: "/tracking/domains", labelKey: "tracking.tab.domains" },
  { path: "/tracking/landing-pages", labelKey: "tracking.tab.landingPages" },
];

/** Tracking: live sessions (default), the session history, a session, a visitor's journey, domains, landing pages and A/B tests. */
export default function TrackingPage() {
  const { t } = useI18n();
  return (
    <div className="mx-auto grid max-w-6xl grid-cols-1 gap-4">
      <h1 className="text-2xl font-semibold tracking-tight">{t("tracking.title")}</h1>
      <PageTabs tabs={TABS} label={t("tracking.sections")} />
      <Suspense fallback={<LoadingState />}>
        <Routes>
          <Route index element={<LiveSection />} />
          <Route path="sessions" element={<HistorySection />} />
          <Route path="sessions/:sessionId" element={<SessionSection />} />
          <Route path="visitors/:visitorId" element={<VisitorSection />} />
          <Route path="domains" element={<DomainsSection />} />
          <Route path="landing-pages" element={<LandingPagesSection />} />
          <Route path="*" element={<p className="text-sm text-muted-foreground">{t("notFound.body")}</p>} />
        </Routes>
      </Suspense>
    </div>
  );
}
