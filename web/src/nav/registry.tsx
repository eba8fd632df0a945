/**
 * The dashboard's pages. A module adds a page with one entry here and one file under
 * src/pages/. Only pages that work are listed. `permission: null` means every member.
 * `path` is relative to the app root; `end` makes the nav link match exactly.
 */
import { lazy, type ComponentType, type LazyExoticComponent } from "react";
import { Activity, BarChart3, Contact, Filter, LayoutDashboard, Mail, Settings, Target, type LucideIcon } from "lucide-react";
import type { MessageKey } from "@/i18n";

export interface NavEntry {
  path: string;
  labelKey: MessageKey;
  icon: LucideIcon;
  permission: string | null;
  element: LazyExoticComponent<ComponentType>;
  /** Match sub-paths too (e.g. /settings/members). */
  nested?: boolean;
  /** A route without a link in the navigation (the landing route redirects). */
  hidden?: boolean;
}

export const NAV: NavEntry[] = [
  {
    path: "/",
    labelKey: "nav.overview",
    icon: LayoutDashboard,
    permission: null,
    hidden: true,
    element: lazy(() => import("@/pages/OverviewPage")),
  },
  {
    path: "/analytics",
    labelKey: "nav.analytics",
    icon: BarChart3,
    permission: "analytics:read",
    nested: true,
    element: lazy(() => import("@/pages/analytics/AnalyticsPage")),
  },
  {
    path: "/tracking",
    labelKey: "nav.tracking",
    icon: Activity,
    permission: "tracking:read",
    nested: true,
    element: lazy(() => import("@/pages/tracking/TrackingPage")),
  },
  {
    path: "/leads",
    labelKey: "nav.leads",
    icon: Contact,
    permission: "crm:read",
    nested: true,
    element: lazy(() => import("@/pages/crm/LeadsPage")),
  },
  {
    path: "/conversions",
    labelKey: "nav.conversions",
    icon: Target,
    permission: "conversions:read",
    nested: true,
    element: lazy(() => import("@/pages/conversions/ConversionsPage")),
  },
  {
    path: "/funnels",
    labelKey: "nav.funnels",
    icon: Filter,
    permission: "funnels:read",
    nested: true,
    element: lazy(() => import("@/pages/funnels/FunnelsPage")),
  },
  {
    path: "/email/contacts",
    labelKey: "nav.emailContacts",
    icon: Mail,
    permission: "email:read",
    nested: true,
    element: lazy(() => import("@/pages/email/contacts/ContactsPage")),
  },
  {
    path: "/settings",
    labelKey: "nav.settings",
    icon: Settings,
    permission: null,
    nested: true,
    element: lazy(() => import("@/pages/settings/SettingsPage")),
  },
];
