import { screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import ConversionDetailSection from "./ConversionDetailSection";
import { HealthPanel } from "./HealthPanel";
import { CONVERSIONS_READ, type ConversionDetail, type PlatformHealth, type PlatformSync } from "./types";
import { shortClickId } from "./UsedClick";

const GCLID = "Cj0KCQjwJOURNEYgclid";

function health(platform: string, over: Partial<PlatformHealth>): PlatformHealth {
  return {
    platform,
    state: "healthy",
    reason: null,
    credential_rejected_at: null,
    last_success_at: null,
    attempts_24h: 0,
    failed_24h: 0,
    error_rate_24h: null,
    queue_length: 0,
    breaker_state: "closed",
    breaker_open_until: null,
    ...over,
  };
}

const CARDS = [
  health("google", { state: "not_configured", reason: "no_credential" }),
  health("meta", { state: "failing", reason: "credential_rejected", attempts_24h: 1, failed_24h: 1, error_rate_24h: 1, credential_rejected_at: "2025-01-02T12:00:00Z" }),
  health("linkedin", { state: "degraded", reason: "error_rate", attempts_24h: 10, failed_24h: 10, error_rate_24h: 1 }),
  health("tiktok", { state: "failing", reason: "breaker_open", breaker_state: "open", breaker_open_until: "2030-01-01T12:00:00Z" }),
  health("utmify", { state: "healthy", reason: null, attempts_24h: 3, failed_24h: 0, error_rate_24h: 0 }),
];

afterEach(() => vi.unstubAllGlobals());

describe("platform health states", () => {
  async function cards(locale: "en" | "pt-BR") {
    vi.stubGlobal("fetch", routeFetch({ "GET /api/conversions/health": () => jsonResponse(CARDS) }).fetch);
    renderWithProviders(<HealthPanel />, { me: makeMe([CONVERSIONS_READ]), locale });
    const found = await screen.findAllByTestId("health-card");
    return Object.fromEntries(found.map((card) => [card.dataset.platform, card])) as Record<string, HTMLElement>;
  }

  it("tells each state with its reason, and links to the credentials where one must act", async () => {
    const by = await cards("en");
    expect(within(by.google!).getByTestId("health-state")).toHaveTextContent("Not configured");
    expect(within(by.google!).getByTestId("health-reason")).toHaveTextContent("No active credential");
    expect(within(by.google!).getByTestId("health-action")).toHaveAttribute("href", "/settings/credentials");
    // No account: no circuit to speak of, so nothing says "Operational".
    expect(within(by.google!).queryByTestId("breaker-state")).toBeNull();
    expect(within(by.meta!).getByTestId("health-state")).toHaveTextContent("Failing");
    expect(within(by.meta!).getByTestId("health-reason")).toHaveTextContent("refused the credential");
    expect(within(by.meta!).getByTestId("health-action")).toHaveTextContent("Reconnect");
    expect(within(by.linkedin!).getByTestId("health-state")).toHaveTextContent("Degraded");
    expect(within(by.linkedin!).getByTestId("health-reason")).toHaveTextContent("10 of the last 10 attempts failed");
    expect(within(by.tiktok!).getByTestId("health-state")).toHaveTextContent("Failing");
    expect(within(by.tiktok!).getByTestId("health-reason")).toHaveTextContent("paused after repeated failures");
    expect(within(by.tiktok!).queryByTestId("health-action")).toBeNull();
    expect(within(by.utmify!).getByTestId("health-state")).toHaveTextContent("Healthy");
    expect(within(by.utmify!).queryByTestId("health-reason")).toBeNull();
    // Never "Operational" for a platform that cannot send, and never a raw code.
    for (const card of [by.google!, by.meta!, by.linkedin!]) {
      expect(within(card).getByTestId("health-state")).not.toHaveTextContent("Operational");
      expect(card).not.toHaveTextContent(/no_credential|credential_rejected|error_rate|not_configured/);
    }
  });

  it("speaks Portuguese", async () => {
    const by = await cards("pt-BR");
    expect(within(by.google!).getByTestId("health-state")).toHaveTextContent("Não configurada");
    expect(within(by.google!).getByTestId("health-action")).toHaveTextContent("Adicionar credencial");
    expect(within(by.meta!).getByTestId("health-state")).toHaveTextContent("Com falha");
    expect(within(by.meta!).getByTestId("health-action")).toHaveTextContent("Reconectar");
    expect(within(by.linkedin!).getByTestId("health-state")).toHaveTextContent("Instável");
    expect(within(by.linkedin!).getByTestId("health-reason")).toHaveTextContent("10 das últimas 10 tentativas falharam");
    expect(within(by.utmify!).getByTestId("health-state")).toHaveTextContent("Saudável");
  });
});

describe("the click each platform got", () => {
  function sync(platform: string, click: PlatformSync["click"]): PlatformSync {
    return { platform, status: "sent", reason: null, attempts: 1, next_attempt_at: null, last_attempt_at: null, sent_at: "2025-01-05T12:00:00Z", click };
  }
  const detail: ConversionDetail = {
    conversion: {
      conversion_id: "c1",
      lead_id: "0193a0d2-1111-7000-8000-000000000001",
      original_tracking_id: "t-meta",
      gclid: null,
      gbraid: null,
      wbraid: null,
      fbclid: "IwAR-first",
      fbc: null,
      fbp: null,
      ttclid: null,
      li_fat_id: null,
      msclkid: null,
      clicked_at: "2025-01-01T10:00:00Z",
      conversion_value: "1500.00",
      conversion_currency: "BRL",
      conversion_date: "2025-01-05T12:00:00Z",
      conversion_name: "purchase",
      order_id: "order-c1",
      origin: "won",
      order_status: "paid",
      refunded_at: null,
      sync_status: { google: "sent", meta: "sent", tiktok: "sent" },
      platforms: [
        sync("google", { tracking_id: "t-google", clicked_at: "2025-01-03T09:00:00Z", click_id_type: "gclid", click_id: GCLID, utm_source: "google", utm_medium: "cpc", utm_campaign: "natal", credited: false }),
        sync("meta", { tracking_id: "t-meta", clicked_at: "2025-01-01T10:00:00Z", click_id_type: "fbclid", click_id: "IwAR-first", utm_source: "facebook", utm_medium: "paid_social", utm_campaign: "bf", credited: true }),
        sync("tiktok", null),
      ],
      lead_name: "Jane",
      campaign: "bf",
      created_at: "2025-01-05T12:00:00Z",
    },
    sync_log: [],
  };

  function render(locale: "en" | "pt-BR") {
    vi.stubGlobal("fetch", routeFetch({ "GET /api/conversions/c1": () => jsonResponse(detail) }).fetch);
    renderWithProviders(<ConversionDetailSection />, { me: makeMe([CONVERSIONS_READ]), route: "/conversions/c1", path: "/conversions/:conversionId", locale });
  }

  it("shows per platform the touch whose click was sent, the id shortened", async () => {
    render("en");
    const rows = await screen.findAllByTestId("delivery-row");
    const by = Object.fromEntries(rows.map((row) => [row.dataset.platform, row])) as Record<string, HTMLElement>;
    const google = within(by.google!).getByTestId("used-click");
    expect(google).toHaveTextContent("google / cpc / natal");
    expect(google).toHaveTextContent(`gclid=${shortClickId(GCLID)}`);
    expect(google).not.toHaveTextContent(GCLID);
    expect(google).toHaveTextContent("not the credited touch");
    expect(within(google).getByRole("time")).toHaveAttribute("dateTime", "2025-01-03T09:00:00Z");
    const meta = within(by.meta!).getByTestId("used-click");
    expect(meta).toHaveTextContent("facebook / paid_social / bf");
    expect(meta).toHaveTextContent("The credited touch");
    expect(by.tiktok).toHaveTextContent("No click of this platform");
  });

  it("speaks Portuguese", async () => {
    render("pt-BR");
    const rows = await screen.findAllByTestId("delivery-row");
    expect(rows[0]).toHaveTextContent("Clique mais recente desta plataforma");
    expect(screen.getByText("Clique enviado")).toBeInTheDocument();
    expect(rows[2]).toHaveTextContent("Nenhum clique desta plataforma");
  });

  it("shortens long ids only", () => {
    expect(shortClickId(GCLID)).toBe("Cj0KCQ…clid");
    expect(shortClickId("short-id")).toBe("short-id");
  });
});
