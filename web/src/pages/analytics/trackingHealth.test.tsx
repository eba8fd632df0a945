import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { captureCsv, reportRange } from "@/test/csv";
import { jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import TrackingHealth from "./TrackingHealth";

const admin = makeMe(["analytics:read", "analytics:admin"]);
const viewer = makeMe(["analytics:read"]);

afterEach(() => vi.unstubAllGlobals());

const HEALTH = {
  range: reportRange("2026-11-01", "2026-11-30"),
  totals: {
    sessions: 6,
    sessions_without_campaign: 4,
    paid_sessions: 4,
    paid_sessions_without_campaign: 2,
    spend: "380.00",
    spend_without_sessions: "80.00",
    spend_without_sessions_share: 80 / 380,
    other_currency_spend: false,
  },
  sales: { leads: 3, leads_without_session: 2, won: 2, won_without_session: 1, revenue_without_session: [{ currency: "BRL", amount: "100.00" }], share_without_session: 0.5, fix: "capture_session" },
  sessions: [
    { channel: "Paid Social", source: "facebook", sessions: 3, without_campaign: 2, paid: true, fix: "tag_paid_links" },
    { channel: "Direct", source: null, sessions: 1, without_campaign: 1, paid: false, fix: "none" },
  ],
  spend: [
    { platform: "meta", account_id: "act_1", campaign_id: "111", campaign_name: "Black Friday", ad_id: "a2", ad_name: "Carousel", spend: [{ currency: "BRL", amount: "50.00" }], impressions: 10, clicks: 2, missing_parameters: ["utm_source"], fix: "add_url_parameters" },
    { platform: "meta", account_id: "act_1", campaign_id: "333", campaign_name: "Retargeting", ad_id: "r1", ad_name: "Reminder", spend: [{ currency: "BRL", amount: "30.00" }], impressions: 5, clicks: 1, missing_parameters: null, fix: "add_url_parameters" },
  ],
  utm_campaigns: [{ source: "facebook", medium: "cpc", campaign: "mystery", sessions: 2, last_seen: "2026-11-29T12:00:00Z" }],
};

const EMPTY = {
  ...HEALTH,
  totals: { ...HEALTH.totals, sessions_without_campaign: 0, paid_sessions_without_campaign: 0, spend_without_sessions: "0.00", spend_without_sessions_share: 0 },
  sales: { ...HEALTH.sales, leads_without_session: 0, won_without_session: 0, revenue_without_session: [], share_without_session: 0 },
  sessions: [],
  spend: [],
  utm_campaigns: [],
};

const CHECKS = {
  checks: [
    { platform: "google", account_id: "123", ad_id: "g1", ad_name: "Text ad", campaign_id: "222", campaign_name: "Brand", landing_url: "https://shop.example.com/", url_suffix: "utm_source=google", tracking_template: null, auto_tagging: false, parameters: ["utm_source"], missing: ["utm_medium", "utm_campaign", "gclid", "utm_content"], status: "error", checked_at: "2026-11-30T07:00:00Z" },
    { platform: "meta", account_id: "act_1", ad_id: "a1", ad_name: "Video A", campaign_id: "111", campaign_name: "Black Friday", landing_url: "https://shop.example.com/?ref=1", url_suffix: "utm_source=facebook", tracking_template: null, auto_tagging: null, parameters: [], missing: [], status: "ok", checked_at: "2026-11-30T07:00:00Z" },
  ],
  counts: { error: 1, ok: 1 },
  unsupported_accounts: [],
};

function stub(health: unknown = HEALTH, checks: unknown = CHECKS) {
  const api = routeFetch({
    "GET /api/analytics/health": () => jsonResponse(health),
    "GET /api/analytics/health/urls": () => jsonResponse(checks),
    "POST /api/analytics/health/urls/check": () => jsonResponse({ queued: ["acc-1", "acc-2"] }, 202),
  });
  vi.stubGlobal("fetch", api.fetch);
  return api;
}

describe("Tracking health", () => {
  it("shows each unattributed part with what to fix, the filters passed along", async () => {
    const api = stub();
    renderWithProviders(<TrackingHealth />, { route: "/analytics/health?preset=last_7_days", me: viewer });
    const spend = await screen.findByTestId("health-spend");
    expect(api.calls.find((c) => c.url.pathname === "/api/analytics/health")!.url.searchParams.get("preset")).toBe("last_7_days");
    expect(screen.getByTestId("kpi-spend")).toHaveTextContent("R$80.00");
    expect(screen.getByTestId("kpi-spend")).toHaveTextContent("21.1% of R$380.00");
    expect(within(spend).getByText("Carousel")).toBeInTheDocument();
    expect(spend).toHaveTextContent("utm_source");
    expect(spend).toHaveTextContent("not checked");
    expect(spend).toHaveTextContent("Add the missing UTM parameters");
    const sessions = screen.getByTestId("health-sessions");
    expect(sessions).toHaveTextContent("{{campaign.id}} on Meta");
    expect(sessions).toHaveTextContent("Nothing to fix");
    expect(screen.getByTestId("health-utms")).toHaveTextContent("mystery");
    expect(screen.getByTestId("health-sales")).toHaveTextContent("1 of 2 won sales (50%) and 2 of 3 leads");
    expect(screen.getByTestId("health-sales")).toHaveTextContent("R$100.00");
  });

  it("says what is fine when nothing is unattributed, in Portuguese", async () => {
    stub(EMPTY, { checks: [], counts: {}, unsupported_accounts: [] });
    renderWithProviders(<TrackingHealth />, { route: "/analytics/health", me: admin, locale: "pt-BR" });
    expect(await screen.findByText("Todos os anúncios que gastaram no período receberam visitas rastreadas.")).toBeInTheDocument();
    expect(screen.getByText("Todas as sessões do período alcançam uma campanha de anúncios.")).toBeInTheDocument();
    expect(screen.getByText("Todos os leads e vendas do período trazem a sua sessão.")).toBeInTheDocument();
    expect(await screen.findByText(/Nenhuma URL de anúncio verificada ainda/)).toBeInTheDocument();
  });

  it("lists the ads' URL checks errors first, exports them and checks again", async () => {
    const user = userEvent.setup();
    const api = stub();
    const csv = captureCsv();
    renderWithProviders(<TrackingHealth />, { route: "/analytics/health", me: admin });
    const table = await screen.findByTestId("url-table");
    const rows = within(table).getAllByTestId("report-row");
    expect(rows[0]).toHaveTextContent("Error");
    expect(rows[0]).toHaveTextContent("auto-tagging off");
    expect(rows[0]).toHaveTextContent("gclid");
    expect(rows[1]).toHaveTextContent("OK");
    await user.click(within(screen.getByTestId("url-checks")).getByTestId("csv-button"));
    const text = await csv.text();
    expect(text.split("\r\n")[0]).toBe("Status,Platform,Ad,Campaign,Landing page,Missing,Checked");
    expect(text).toContain("Error,Google,Text ad,Brand,https://shop.example.com/,utm_medium utm_campaign gclid utm_content");
    csv.restore();
    await user.click(screen.getByRole("button", { name: "Check URLs now" }));
    await waitFor(() => expect(api.calls.some((c) => c.method === "POST" && c.url.pathname === "/api/analytics/health/urls/check")).toBe(true));
    expect(await screen.findByText("Checking the URLs of 2 account(s); refresh in a minute.")).toBeInTheDocument();
  });

  it("offers the check to admins only", async () => {
    stub();
    renderWithProviders(<TrackingHealth />, { route: "/analytics/health", me: viewer });
    await screen.findByTestId("url-table");
    expect(screen.queryByRole("button", { name: "Check URLs now" })).not.toBeInTheDocument();
  });
});
