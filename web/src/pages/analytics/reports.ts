/**
 * The report pages of the Analytics section, in tab order. A report adds itself with one
 * entry here and one file in this folder; its path is relative to /analytics ("" is the
 * section's first page).
 */
import { lazy, type ComponentType, type LazyExoticComponent } from "react";
import type { MessageKey } from "@/i18n";

export interface ReportEntry {
  path: string;
  labelKey: MessageKey;
  element: LazyExoticComponent<ComponentType>;
}

export const REPORTS: ReportEntry[] = [
  { path: "", labelKey: "analytics.tab.overview", element: lazy(() => import("./Overview")) },
  { path: "visitors", labelKey: "analytics.tab.visitors", element: lazy(() => import("./Visitors")) },
  { path: "journeys", labelKey: "analytics.tab.journeys", element: lazy(() => import("./Journeys")) },
  { path: "cohorts", labelKey: "analytics.tab.cohorts", element: lazy(() => import("./Cohorts")) },
  { path: "campaigns", labelKey: "analytics.tab.campaigns", element: lazy(() => import("./Campaigns")) },
  { path: "ads", labelKey: "ads.tab", element: lazy(() => import("./Ads")) },
  { path: "creatives", labelKey: "insights.tab", element: lazy(() => import("./Insights")) },
  { path: "health", labelKey: "trackingHealth.tab", element: lazy(() => import("./TrackingHealth")) },
  { path: "alerts", labelKey: "alerts.tab", element: lazy(() => import("./Alerts")) },
  { path: "channels", labelKey: "analytics.tab.channels", element: lazy(() => import("./Channels")) },
  { path: "landing-pages", labelKey: "analytics.tab.landingPages", element: lazy(() => import("./LandingPages")) },
  { path: "attribution", labelKey: "nav.attribution", element: lazy(() => import("./Attribution")) },
  { path: "ab-tests", labelKey: "nav.abTests", element: lazy(() => import("./AbTestsPage")) },
];
