import { screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import HealthReport from "./Health";

afterEach(() => vi.unstubAllGlobals());

const range = { current: { date_from: "2025-03-01", date_to: "2025-03-30", start: "2025-03-01T03:00:00Z", end: "2025-03-31T03:00:00Z" }, previous: null, timezone: "America/Sao_Paulo", currency: "BRL", data_through: null };

describe("Tracking health", () => {
  it("shows each check with its share, money and what to fix, in Portuguese", async () => {
    vi.stubGlobal(
      "fetch",
      routeFetch({
        "GET /api/analytics/tracking-health": () =>
          jsonResponse({
            range,
            checks: [
              { id: "leads_without_session", count: 3, total: 4, amount: null, status: "warning", examples: [] },
              { id: "spend_without_sessions", count: 1, total: null, amount: "80.00", status: "warning", examples: ["meta · Sem UTM"] },
              { id: "utms_without_campaign", count: 0, total: null, amount: null, status: "ok", examples: [] },
            ],
          }),
      }).fetch,
    );
    renderWithProviders(<HealthReport />, { me: makeMe(["analytics:read"]), locale: "pt-BR", route: "/analytics/tracking-health" });
    const cards = await screen.findAllByTestId("health-check");
    expect(cards).toHaveLength(3);
    expect(cards[0]).toHaveTextContent("Leads sem visita rastreada");
    expect(within(cards[0]).getByTestId("health-count")).toHaveTextContent("3de 4 (75%)");
    expect(cards[0]).toHaveTextContent("rastro_session_id");
    expect(cards[1]).toHaveTextContent("R$ 80,00 de investimento que nenhuma visita alcança");
    expect(within(cards[1]).getByRole("link", { name: "Abrir o editor de mapeamento" })).toHaveAttribute("href", "/analytics/ads/mapping");
    expect(cards[2]).toHaveTextContent("Nada a corrigir aqui.");
  });
});
