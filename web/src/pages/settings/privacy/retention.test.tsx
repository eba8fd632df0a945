import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import ConsentSection, { consentMode, withConsentMode } from "./ConsentSection";
import RetentionSection, { changeRows } from "./RetentionSection";

afterEach(() => vi.unstubAllGlobals());

const RUN = {
  run_id: "r1",
  retention_months: 6,
  cutoff: "2026-06-06T04:37:00Z",
  started_at: "2026-12-06T04:37:00Z",
  finished_at: "2026-12-06T04:37:09Z",
  status: "failed",
  changes: {
    tracking: { client_ips: 1200, user_agents: 1180, url_params: 3, event_data: 0 },
    crm: { lead_messages: 41, lead_form_fields: 12 },
    integrations: { error: "OperationalError" },
  },
};
const retention = (last_run: unknown) => ({ retention_months: 6, min_months: 1, max_months: 60, last_run });

describe("retention", () => {
  it("shows what the last anonymisation changed, saves the months and runs it now", async () => {
    const user = userEvent.setup();
    const api = routeFetch({
      "GET /api/privacy/retention": () => jsonResponse(retention(RUN)),
      "PUT /api/privacy/retention": () => jsonResponse({ ...retention(RUN), retention_months: 12 }),
      "POST /api/privacy/retention/run": () => jsonResponse(retention(RUN), 202),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<RetentionSection />, { locale: "pt-BR", me: makeMe(["privacy:retention_read", "privacy:retention_admin"]) });
    const run = await screen.findByTestId("retention-last-run");
    expect(run).toHaveTextContent("Algumas partes falharam");
    expect(run).toHaveTextContent("6 meses de retenção");
    const rows = within(run).getAllByRole("row").map((r) => r.textContent);
    expect(rows).toContain("Visitas e eventosIPs removidos1.200");
    expect(rows).toContain("LeadsMensagens apagadas41");
    expect(rows).toContain("IntegraçõesFalhou (OperationalError); nova tentativa amanhã—");
    expect(within(run).getByTestId("csv-button")).toBeEnabled();

    const months = screen.getByLabelText("Manter dados pessoais por (meses)");
    await user.clear(months);
    await user.type(months, "12");
    await user.click(screen.getByTestId("retention-save"));
    await waitFor(() => expect(api.calls.find((c) => c.method === "PUT")?.body).toEqual({ retention_months: 12 }));
    await user.click(screen.getByTestId("retention-run"));
    await waitFor(() => expect(api.calls.some((c) => c.method === "POST" && c.url.pathname === "/api/privacy/retention/run")).toBe(true));
  });

  it("says what to do when nothing has run yet; a viewer cannot change it", async () => {
    vi.stubGlobal("fetch", routeFetch({ "GET /api/privacy/retention": () => jsonResponse(retention(null)) }).fetch);
    renderWithProviders(<RetentionSection />, { me: makeMe(["privacy:retention_read"]) });
    expect(await screen.findByText(/No anonymisation has run yet/)).toBeInTheDocument();
    expect(screen.getByLabelText("Keep personal data for (months)")).toBeDisabled();
    expect(screen.queryByTestId("retention-save")).toBeNull();
    expect(screen.queryByTestId("retention-run")).toBeNull();
  });

  it("turns a run's changes into rows, a failed area as one row", () => {
    expect(changeRows(RUN as never)).toHaveLength(7);
    expect(changeRows(RUN as never).at(-1)).toEqual({ module: "integrations", change: "", rows: null, error: "OperationalError" });
  });
});

const DOMAIN = {
  domain_id: "d1",
  domain_name: "shop.example.com",
  domain_url: "https://shop.example.com",
  site_key: "k",
  allowed_origins: [],
  metadata: { analytics: { googleAdsId: "AW-1" }, settings: { timezone: "America/Sao_Paulo", language: "pt-BR", cookie_days: 30 } },
  is_active: true,
  created_at: "2026-01-01T00:00:00Z",
  snippet: "<script></script>",
};

describe("consent", () => {
  it("changes a site's consent mode and keeps the rest of its settings", async () => {
    const user = userEvent.setup();
    const api = routeFetch({
      "GET /api/domains": () => jsonResponse({ items: [DOMAIN], total: 1, page: 1, page_size: 200 }),
      "PATCH /api/domains/d1": () => jsonResponse({ ...DOMAIN, metadata: withConsentMode(DOMAIN, "required") }),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<ConsentSection />, { me: makeMe(["tracking:read", "tracking:write"]) });
    const select = await screen.findByLabelText("Consent mode: shop.example.com");
    expect(select).toHaveValue("off");
    await user.selectOptions(select, "required");
    await waitFor(() =>
      expect(api.calls.find((c) => c.method === "PATCH")?.body).toEqual({
        metadata: { analytics: { googleAdsId: "AW-1" }, settings: { timezone: "America/Sao_Paulo", language: "pt-BR", cookie_days: 30, consent_mode: "required" } },
      }),
    );
  });

  it("says where to add a site when there is none; read-only without tracking:write", async () => {
    vi.stubGlobal("fetch", routeFetch({ "GET /api/domains": () => jsonResponse({ items: [], total: 0, page: 1, page_size: 200 }) }).fetch);
    renderWithProviders(<ConsentSection />, { locale: "pt-BR", me: makeMe(["tracking:read"]) });
    expect(await screen.findByText(/Nenhum site ainda: adicione um em Rastreamento › Domínios/)).toBeInTheDocument();
  });

  it("reads the mode from the domain's settings", () => {
    expect(consentMode({ metadata: {} })).toBe("off");
    expect(consentMode({ metadata: { settings: { consent_mode: "required" } } })).toBe("required");
  });
});
