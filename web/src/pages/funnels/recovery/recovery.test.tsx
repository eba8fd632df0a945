import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ptBR } from "@/i18n/pt-BR";
import { errorResponse, jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import RecoveryPage from "./RecoveryPage";
import { defaultPeriod, type RecoveryCase, type RecoveryReport, type RecoverySettings } from "./types";

const XSS = "<img src=x onerror=alert(1)>";
const WRITER = makeMe(["funnels:read", "recovery:read", "recovery:write"]);
const READER = makeMe(["funnels:read", "recovery:read"]);
const WA = "https://wa.me/5511987654321?text=Ol%C3%A1";

function report(over: Partial<RecoveryReport> = {}): RecoveryReport {
  return {
    funnel_id: null,
    date_from: "2026-12-01",
    date_to: "2026-12-06",
    timezone: "America/Sao_Paulo",
    currency: "BRL",
    totals: { abandoned: 1, unpaid: 3, actions_sent: 2, recovered: 2, recovered_revenue: "194.00", recovery_rate: 0.5 },
    by_campaign: [
      { utm_source: "facebook", utm_campaign: XSS, abandoned: 0, unpaid: 2, actions_sent: 2, recovered: 1, recovered_revenue: "97.00", recovery_rate: 0.5 },
      { utm_source: null, utm_campaign: null, abandoned: 1, unpaid: 1, actions_sent: 0, recovered: 1, recovered_revenue: "97.00", recovery_rate: 0.5 },
    ],
    by_day: [
      { day: "2026-12-05", detected: 1, recovered: 0, recovered_revenue: "0.00" },
      { day: "2026-12-06", detected: 3, recovered: 2, recovered_revenue: "194.00" },
    ],
    ...over,
  };
}

function item(over: Partial<RecoveryCase> = {}): RecoveryCase {
  return {
    id: "c1",
    kind: "pix_unpaid",
    funnel_id: "f1",
    payment_id: "p1",
    first_name: "Maria",
    phone: "+5511987654321",
    product_name: "Curso",
    amount: "97.00",
    currency: "BRL",
    utm_source: "facebook",
    utm_campaign: "bf24",
    detected_at: "2026-12-06T12:00:00Z",
    resume_expires_at: "2026-12-09T12:00:00Z",
    resumed_at: null,
    recovered_at: null,
    recovered_amount: null,
    whatsapp_url: WA,
    actions: [{ channel: "whatsapp", status: "pending", attempts: 0, http_status: null, sent_at: null }],
    ...over,
  };
}

const SETTINGS: RecoverySettings = {
  funnel_id: "f1",
  is_default: true,
  enabled: true,
  pix_delay_minutes: 15,
  boleto_delay_minutes: 1440,
  checkout_delay_minutes: 30,
  link_valid_hours: 72,
  language: "pt-BR",
  whatsapp_message: null,
  webhook_credential_id: null,
};

function routes(extra: Record<string, Parameters<typeof routeFetch>[0][string]> = {}) {
  return routeFetch({
    "GET /api/funnels": () => jsonResponse({ items: [{ id: "f1", name: "Lançamento" }], total: 1, page: 1, page_size: 200 }),
    "GET /api/recovery/report": () => jsonResponse(report()),
    "GET /api/recovery/cases": () => jsonResponse({ items: [item(), item({ id: "c2", first_name: XSS, whatsapp_url: null, recovered_at: "2026-12-06T13:00:00Z", recovered_amount: "97.00", actions: [] })], total: 2 }),
    "GET /api/funnels/f1/recovery/settings": () => jsonResponse(SETTINGS),
    "GET /api/credentials": () => jsonResponse({ items: [{ id: "w1", name: "Zap tool" }], total: 1, page: 1, page_size: 200 }),
    ...extra,
  });
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("RecoveryPage", () => {
  it("shows the figures, the chart, the campaigns and the buyers as text, with CSV", async () => {
    const api = routes({ "POST /api/recovery/cases/c1/whatsapp": () => jsonResponse({ channel: "whatsapp", status: "sent", attempts: 1, http_status: null, sent_at: "2026-12-06T14:00:00Z" }) });
    vi.stubGlobal("fetch", api.fetch);
    const user = userEvent.setup();
    const { container } = renderWithProviders(<RecoveryPage />, { me: WRITER, route: "/funnels/recovery" });
    expect(await screen.findByTestId("kpi-detected")).toHaveTextContent("4");
    expect(screen.getByTestId("kpi-detected")).toHaveTextContent("1 checkouts · 3 PIX/boletos");
    expect(screen.getByTestId("kpi-revenue")).toHaveTextContent("R$194.00");
    expect(screen.getByTestId("kpi-rate")).toHaveTextContent("50");
    expect(screen.getByTestId("recovery-chart")).toBeInTheDocument();
    const campaigns = screen.getByTestId("recovery-campaigns");
    expect(within(campaigns).getByText(XSS)).toBeInTheDocument();
    expect(within(campaigns).getAllByText("(no campaign)")).toHaveLength(2);
    expect(within(campaigns).getByTestId("csv-button")).toBeEnabled();
    const buyers = await screen.findByTestId("recovery-cases");
    expect(within(buyers).getByText(XSS)).toBeInTheDocument();
    expect(container.querySelector("img")).toBeNull();
    expect(within(buyers).getByText("No phone")).toBeInTheDocument();
    const link = within(buyers).getByTestId("whatsapp-link");
    expect(link).toHaveAttribute("href", WA);
    expect(link).toHaveAttribute("rel", "noopener noreferrer");
    await user.click(link);
    await waitFor(() => expect(api.calls.some((c) => c.method === "POST")).toBe(true));
    expect(api.calls.find((c) => c.method === "POST")?.url.pathname).toBe("/api/recovery/cases/c1/whatsapp");
    const query = api.calls.find((c) => c.url.pathname === "/api/recovery/report")!.url.searchParams;
    const period = defaultPeriod();
    expect([query.get("date_from"), query.get("date_to")]).toEqual([period.from, period.to]);
    expect(screen.getByText("Choose a funnel to set its recovery delays, the WhatsApp message and the webhook.")).toBeInTheDocument();
  });

  it("says what to do when nothing needs recovering, in Portuguese", async () => {
    const empty = report({
      totals: { abandoned: 0, unpaid: 0, actions_sent: 0, recovered: 0, recovered_revenue: "0.00", recovery_rate: 0 },
      by_campaign: [],
      by_day: [],
    });
    vi.stubGlobal(
      "fetch",
      routes({
        "GET /api/recovery/report": () => jsonResponse(empty),
        "GET /api/recovery/cases": () => jsonResponse({ items: [], total: 0 }),
      }).fetch,
    );
    renderWithProviders(<RecoveryPage />, { me: READER, route: "/funnels/recovery", locale: "pt-BR" });
    expect(await screen.findByText(/Nada para recuperar neste período/)).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "Recuperação de checkout" })).toBeInTheDocument();
    expect(screen.queryByTestId("recovery-chart")).toBeNull();
  });

  it("saves the funnel's settings and shows the server's refusal", async () => {
    const user = userEvent.setup();
    let attempt = 0;
    const api = routes({
      "PUT /api/funnels/f1/recovery/settings": (_url, init) => {
        attempt += 1;
        if (attempt === 1) return errorResponse(422, "validation_error", "Invalid", [{ loc: "body.whatsapp_message", message: "The message must contain {link} (the resume link).", type: "value_error" }]);
        return jsonResponse({ ...SETTINGS, ...JSON.parse(String(init?.body)), is_default: false });
      },
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<RecoveryPage />, { me: WRITER, route: "/funnels/recovery?funnel_id=f1" });
    const form = await screen.findByTestId("recovery-settings");
    const delay = within(form).getByLabelText("PIX unpaid after (minutes)");
    await user.clear(delay);
    await user.type(delay, "30");
    await user.selectOptions(within(form).getByLabelText(/Webhook for your WhatsApp tool/), "w1");
    await user.type(within(form).getByLabelText(/WhatsApp message/), "Oi");
    await user.click(within(form).getByTestId("recovery-settings-save"));
    expect(await within(form).findByText("The message must contain {link} (the resume link).")).toBeInTheDocument();
    await user.clear(within(form).getByLabelText(/WhatsApp message/));
    await user.click(within(form).getByTestId("recovery-settings-save"));
    await waitFor(() => expect(attempt).toBe(2));
    const puts = api.calls.filter((c) => c.method === "PUT");
    expect(puts[1]?.body).toMatchObject({ pix_delay_minutes: 30, webhook_credential_id: "w1", whatsapp_message: null, language: "pt-BR", enabled: true });
    expect(api.calls.find((c) => c.url.pathname === "/api/recovery/report")!.url.searchParams.get("funnel_id")).toBe("f1");
  });

  it("explains a refused period", async () => {
    vi.stubGlobal("fetch", routes({ "GET /api/recovery/report": () => errorResponse(422, "invalid_period", "date_to is before date_from.") }).fetch);
    renderWithProviders(<RecoveryPage />, { me: READER, route: "/funnels/recovery?date_from=2026-12-06&date_to=2026-12-01", locale: "pt-BR" });
    expect(await screen.findByText(ptBR["errors.invalid_period"])).toBeInTheDocument();
  });
});
