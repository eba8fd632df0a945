import { lazy, Suspense } from "react";
import { NavLink, Route, Routes } from "react-router";
import { LoadingState } from "@/components/ui/states";
import { useI18n, type MessageKey } from "@/i18n";
import { cn } from "@/lib/utils";

const LiveSection = lazy(() => import("./LiveSection"));
const SessionSection = lazy(() => import("./SessionSection"));
const VisitorSection = lazy(() => import("./VisitorSection"));
const DomainsSection = lazy(() => import("./DomainsSection"));
const LandingPagesSection = lazy(() => import("./LandingPagesSection"));

const TABS: { path: string; labelKey: MessageKey; end?: boolean }[] = [
  { path: "/tracking", labelKey: "tracking.tab.live", end: true },
  { path: "/tracking/domains", labelKey: "tracking.tab.domains" },
  { path: "/tracking/landing-pages", labelKey: "tracking.tab.landingPages" },
];

/** Tracking: live sessions (default), a session, a visitor's journey, domains, landing pages and A/B tests. */
export default function TrackingPage() {
  const { t } = useI18n();
  return (
    <div className="mx-auto grid max-w-6xl grid-cols-1 gap-4">
      <h1 className="text-2xl font-semibold tracking-tight">{t("tracking.title")}</h1>
      <nav aria-label={t("tracking.sections")} className="-mx-1 overflow-x-auto">
        <ul className="flex min-w-max gap-1 border-b px-1">
          {TABS.map((tab) => (
            <li key={tab.path}>
              <NavLink
                to={tab.path}
                end={tab.end}
                className={({ isActive }) =>
                  cn(
                    "-mb-px inline-block border-b-2 px-3 py-2 text-sm font-medium focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring",
                    isActive ? "border-primary text-primary" : "border-transparent text-muted-foreground hover:text-foreground",
                  )
                }
              >
                {t(tab.labelKey)}
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <Suspense fallback={<LoadingState />}>
        <Routes>
          <Route index element={<LiveSection />} />
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
