import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import InsightsReport from "./Insights";

afterEach(() => vi.unstubAllGlobals());

const range = { current: { date_from: "2025-03-01", date_to: "2025-03-30", start: "2025-03-01T03:00:00Z", end: "2025-03-31T03:00:00Z" }, previous: null, timezone: "America/Sao_Paulo", currency: "BRL", data_through: null };
const row = (over: Record<string, unknown>) => ({
  platform: "meta", account_id: "act_1", campaign_name: "BF", ad_id: "a1", ad_name: "Vídeo A", recommendation: "keep", rule: 5,
  spend: "100.00", leads: 38, won: 0, revenue: "0", hook_rate: 0.42, cpl: "2.63", sale_rate: 0, sale_rate_low: 0, sale_rate_high: 0.092, hooks_well: true, since: null, ...over,
});

describe("Creative insights board", () => {
  it("explains each recommendation with its figures, filters by kind, and shows the history", async () => {
    const user = userEvent.setup();
    const api = routeFetch({
      "GET /api/analytics/insights": () =>
        jsonResponse({ range, rules_version: 1, baseline_sale_rate: 0.2, baseline_cpl: "50.00", baseline_hook_rate: 0.25, rows: [row({ recommendation: "pause", rule: 3, since: "2025-03-28" }), row({ ad_id: "a2", ad_name: "Carrossel", recommendation: "watch", rule: 2, leads: 3, won: 1 })] }),
      "GET /api/analytics/insights/history": () => jsonResponse([{ day: "2025-03-29", recommendation: "pause", rule: 3, figures: {} }, { day: "2025-03-27", recommendation: "keep", rule: 5, figures: {} }]),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<InsightsReport />, { me: makeMe(["analytics:read"]), locale: "pt-BR", route: "/analytics/creatives" });
    const table = await screen.findByTestId("table-insights");
    expect(table).toHaveTextContent("Taxa de gancho 42%");
    expect(table).toHaveTextContent("0 de 38 leads fecharam");
    expect(table).toHaveTextContent("desde 28/03/2025");
    await user.click(screen.getByRole("radio", { name: "Observar" }));
    await waitFor(() => expect(screen.getByTestId("table-insights")).not.toHaveTextContent("Vídeo A"));
    expect(screen.getByTestId("table-insights")).toHaveTextContent("Carrossel");
    await user.click(screen.getByRole("radio", { name: "Todos" }));
    await user.click(within(screen.getByTestId("table-insights")).getAllByRole("button", { name: "Ver histórico" })[0]!);
    const dialog = await screen.findByTestId("insight-history");
    expect(await within(dialog).findByText("29/03/2025")).toBeInTheDocument();
    expect(within(dialog).getByText("Manter")).toBeInTheDocument();
  });
});
