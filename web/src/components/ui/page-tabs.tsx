import { NavLink } from "react-router";
import { useI18n, type MessageKey } from "@/i18n";
import { cn } from "@/lib/utils";

export type PageTab = { path: string; labelKey: MessageKey; end?: boolean };

/** The tab bar of a page with sub-pages (Settings, Tracking): links, scrollable on a phone. */
export function PageTabs({ tabs, label }: { tabs: PageTab[]; label: string }) {
  const { t } = useI18n();
  return (
    <nav aria-label={label} className="-mx-1 overflow-x-auto">
      <ul className="flex min-w-max gap-1 border-b px-1">
        {tabs.map((tab) => (
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
  );
}
