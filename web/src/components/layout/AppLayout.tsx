import * as DialogPrimitive from "@radix-ui/react-dialog";
import { Menu, X } from "lucide-react";
import { Suspense, useState } from "react";
import { NavLink, Outlet, useLocation } from "react-router";
import { useEffect } from "react";
import { usePermissions } from "@/auth/session";
import { Button } from "@/components/ui/button";
import { LoadingState } from "@/components/ui/states";
import { useI18n } from "@/i18n";
import { LiveProvider } from "@/live/LiveProvider";
import { cn } from "@/lib/utils";
import { NAV } from "@/nav/registry";
import { AlertsBadge } from "./AlertsBadge";
import { LiveIndicator } from "./LiveIndicator";
import { MyInvitations } from "./MyInvitations";
import { OrgSwitcher } from "./OrgSwitcher";
import { UserMenu } from "./UserMenu";

function NavList({ onNavigate }: { onNavigate?: () => void }) {
  const { t } = useI18n();
  const can = usePermissions();
  return (
    <ul className="flex flex-col gap-1">
      {NAV.filter((e) => !e.hidden && can(e.permission)).map((entry) => {
        const Icon = entry.icon;
        return (
          <li key={entry.path}>
            <NavLink
              to={entry.path}
              end={!entry.nested}
              onClick={onNavigate}
              className={({ isActive }) =>
                cn(
                  "flex items-center gap-3 rounded-md px-3 py-2 text-sm font-medium transition-colors focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring",
                  isActive ? "bg-primary/10 text-primary" : "text-muted-foreground hover:bg-accent hover:text-accent-foreground",
                )
              }
            >
              <Icon className="h-4 w-4" aria-hidden />
              {t(entry.labelKey)}
            </NavLink>
          </li>
        );
      })}
    </ul>
  );
}

function Brand() {
  return (
    <div className="flex items-center gap-2 px-3 py-1 text-lg font-bold tracking-tight">
      <span aria-hidden className="inline-block h-6 w-6 rounded-md bg-primary" />
      Rastro
    </div>
  );
}

export function AppLayout() {
  const { t } = useI18n();
  const [drawerOpen, setDrawerOpen] = useState(false);
  const location = useLocation();
  useEffect(() => setDrawerOpen(false), [location.pathname]);

  return (
    <LiveProvider>
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded-md focus:bg-background focus:p-2">
        {t("app.skipToContent")}
      </a>
      <div className="flex min-h-screen">
        <aside className="hidden w-60 shrink-0 flex-col gap-4 border-r bg-card p-3 md:flex">
          <Brand />
          <nav aria-label={t("nav.main")}>
            <NavList />
          </nav>
        </aside>

        <DialogPrimitive.Root open={drawerOpen} onOpenChange={setDrawerOpen}>
          <DialogPrimitive.Portal>
            <DialogPrimitive.Overlay className="fixed inset-0 z-40 bg-black/50 md:hidden" />
            <DialogPrimitive.Content className="fixed inset-y-0 left-0 z-50 flex w-72 max-w-[85vw] flex-col gap-4 border-r bg-card p-3 shadow-xl focus:outline-none md:hidden">
              <div className="flex items-center justify-between">
                <DialogPrimitive.Title asChild>
                  <div>
                    <Brand />
                  </div>
                </DialogPrimitive.Title>
                <DialogPrimitive.Description className="sr-only">{t("nav.main")}</DialogPrimitive.Description>
                <DialogPrimitive.Close asChild>
                  <Button variant="ghost" size="icon" aria-label={t("nav.closeMenu")}>
                    <X aria-hidden />
                  </Button>
                </DialogPrimitive.Close>
              </div>
              <nav aria-label={t("nav.main")}>
                <NavList onNavigate={() => setDrawerOpen(false)} />
              </nav>
            </DialogPrimitive.Content>
          </DialogPrimitive.Portal>
        </DialogPrimitive.Root>

        <div className="flex min-w-0 flex-1 flex-col">
          <header className="sticky top-0 z-30 flex h-14 items-center gap-2 border-b bg-background/95 px-3 backdrop-blur sm:px-4">
            <Button variant="ghost" size="icon" className="md:hidden" aria-label={t("nav.openMenu")} onClick={() => setDrawerOpen(true)}>
              <Menu aria-hidden />
            </Button>
            <OrgSwitcher />
            <div className="ml-auto flex items-center gap-2">
              <AlertsBadge />
              <LiveIndicator />
              <UserMenu />
            </div>
          </header>
          <main id="main" tabIndex={-1} className="flex-1 p-4 focus:outline-none sm:p-6">
            <MyInvitations />
            <Suspense fallback={<LoadingState />}>
              <Outlet />
            </Suspense>
          </main>
        </div>
      </div>
    </LiveProvider>
  );
}
