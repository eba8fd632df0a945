import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { MemoryRouter, Route, Routes } from "react-router";
import type { Me } from "@/api/types";
import { ME_KEY } from "@/auth/session";
import { ToastProvider } from "@/components/ui/toast";
import { I18nProvider, type Locale } from "@/i18n";

/**
 * Render inside the app's providers. `me` seeds the signed-in user (for components that
 * read it); `path` mounts `ui` on a route pattern so that `useParams` works.
 */
export function renderWithProviders(ui: ReactElement, { locale = "en" as Locale, route = "/", me, path }: { locale?: Locale; route?: string; me?: Me; path?: string } = {}) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  if (me) qc.setQueryData(ME_KEY, me);
  const result = render(
    <QueryClientProvider client={qc}>
      <I18nProvider initialLocale={locale}>
        <ToastProvider>
          <MemoryRouter initialEntries={[route]}>
            {path ? (
              <Routes>
                <Route path={path} element={ui} />
              </Routes>
            ) : (
              ui
            )}
          </MemoryRouter>
        </ToastProvider>
      </I18nProvider>
    </QueryClientProvider>,
  );
  return { ...result, queryClient: qc };
}

/** A signed-in user with the given permissions. */
export function makeMe(permissions: string[], over: Partial<Me> = {}): Me {
  return {
    id: "u-me",
    email: "ana@example.com",
    name: "Ana",
    locale: "en",
    theme: "system",
    role: "admin",
    permissions,
    organization: { id: "org-1", name: "Org", slug: "org", currency: "BRL", timezone: "America/Sao_Paulo" },
    organizations: [],
    ...over,
  } as Me;
}

type Handler = (url: URL, init: RequestInit | undefined) => Response | Promise<Response>;

/**
 * A fetch stub answering by "METHOD /path" (query ignored for matching); unknown routes
 * answer 404. Every call is kept in `calls` with its parsed URL and JSON body.
 */
export function routeFetch(routes: Record<string, Handler>) {
  const calls: { method: string; url: URL; body: unknown }[] = [];
  const fn = async (input: string, init?: RequestInit): Promise<Response> => {
    const url = new URL(input, "http://localhost");
    const method = (init?.method ?? "GET").toUpperCase();
    // An upload (a Blob of multipart/form-data) is kept as it is.
    calls.push({ method, url, body: typeof init?.body === "string" ? JSON.parse(init.body) : init?.body });
    const handler = routes[`${method} ${url.pathname}`];
    if (!handler) return errorResponse(404, "not_found", `${method} ${url.pathname}`);
    return handler(url, init);
  };
  return { fetch: fn, calls };
}

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

export function errorResponse(status: number, code: string, message = code, details: unknown = null, headers: Record<string, string> = {}): Response {
  return jsonResponse({ error: { code, message, details } }, status, headers);
}

/** The JSON body a mocked fetch was called with. */
export function sentBody(call: unknown[]): unknown {
  const init = call[1] as RequestInit | undefined;
  return init?.body ? JSON.parse(String(init.body)) : undefined;
}

export function sentHeaders(call: unknown[]): Headers {
  const init = call[1] as RequestInit | undefined;
  return new Headers(init?.headers);
}
