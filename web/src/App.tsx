import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { lazy, Suspense, useEffect, type ReactNode } from "react";
import { BrowserRouter, Navigate, Route, Routes, useLocation, useNavigate } from "react-router";
import { ApiError, setAuthFailureHandler } from "@/api/client";
import { useMe, usePermissions } from "@/auth/session";
import { PreferencesSync } from "@/auth/PreferencesSync";
import { getAccessToken, onTokensChange } from "@/auth/tokens";
import { AppLayout } from "@/components/layout/AppLayout";
import { ErrorState, LoadingState } from "@/components/ui/states";
import { ToastProvider } from "@/components/ui/toast";
import { I18nProvider, useI18n } from "@/i18n";
import { NAV } from "@/nav/registry";

const LoginPage = lazy(() => import("@/pages/LoginPage"));
const InvitationPage = lazy(() => import("@/pages/InvitationPage"));
const ForgotPasswordPage = lazy(() => import("@/pages/ForgotPasswordPage"));
const ResetPasswordPage = lazy(() => import("@/pages/ResetPasswordPage"));
// Pages a signed-out visitor may stay on.
const PUBLIC_PATHS = ["/login", "/invitation", "/forgot-password", "/reset-password"];
const NotFoundPage = lazy(() => import("@/pages/NotFoundPage"));

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: (count, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
        refetchOnWindowFocus: false,
      },
      mutations: { retry: false },
    },
  });
}

const queryClient = makeQueryClient();

/** Sends the user to /login when the session cannot be recovered. */
function AuthFailureRedirect() {
  const navigate = useNavigate();
  useEffect(() => {
    setAuthFailureHandler(() => {
      queryClient.clear();
      navigate("/login", { replace: true, state: { reason: "expired" } });
    });
    return () => setAuthFailureHandler(null);
  }, [navigate]);
  return null;
}

function RequireAuth() {
  const location = useLocation();
  const me = useMe();
  if (!getAccessToken()) return <Navigate to="/login" replace state={{ from: location.pathname }} />;
  if (me.isPending) {
    return (
      <div className="mx-auto max-w-md p-8">
        <LoadingState />
      </div>
    );
  }
  if (me.isError) {
    return (
      <div className="mx-auto max-w-md p-8">
        <ErrorState error={me.error} onRetry={() => void me.refetch()} />
      </div>
    );
  }
  return <AppLayout />;
}

function PermissionGate({ permission, children }: { permission: string | null; children: ReactNode }) {
  const can = usePermissions();
  const { t } = useI18n();
  if (!can(permission)) return <p className="p-6 text-sm text-muted-foreground">{t("settings.noPermission")}</p>;
  return <>{children}</>;
}

function TokenWatcher() {
  // Re-render routing when tokens disappear (logout in another tab, failed refresh).
  const navigate = useNavigate();
  useEffect(
    () =>
      onTokensChange((token) => {
        if (!token && !PUBLIC_PATHS.includes(window.location.pathname)) navigate("/login", { replace: true });
      }),
    [navigate],
  );
  return null;
}

export function AppRoutes() {
  return (
    <Suspense
      fallback={
        <div className="p-8">
          <LoadingState />
        </div>
      }
    >
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route path="/invitation" element={<InvitationPage />} />
        <Route path="/forgot-password" element={<ForgotPasswordPage />} />
        <Route path="/reset-password" element={<ResetPasswordPage />} />
        <Route element={<RequireAuth />}>
          {NAV.map((entry) => {
            const Element = entry.element;
            const path = entry.nested ? `${entry.path.replace(/\/$/, "")}/*` : entry.path;
            return entry.path === "/" ? (
              <Route key={entry.path} index element={<PermissionGate permission={entry.permission}><Element /></PermissionGate>} />
            ) : (
              <Route key={entry.path} path={path} element={<PermissionGate permission={entry.permission}><Element /></PermissionGate>} />
            );
          })}
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Routes>
    </Suspense>
  );
}

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <I18nProvider>
        <ToastProvider>
          <BrowserRouter>
            <AuthFailureRedirect />
            <TokenWatcher />
            <PreferencesSync />
            <AppRoutes />
          </BrowserRouter>
        </ToastProvider>
      </I18nProvider>
    </QueryClientProvider>
  );
}
