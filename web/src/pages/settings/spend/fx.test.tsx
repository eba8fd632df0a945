import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import FxRatesSection from "./FxRatesSection";

afterEach(() => vi.unstubAllGlobals());

describe("FxRatesSection", () => {
  it("shows what is covered and missing, fetches now, and saves an own rate", async () => {
    const user = userEvent.setup();
    const api = routeFetch({
      "GET /api/analytics/fx-rates": () =>
        jsonResponse({ currency: "BRL", lookback_days: 7, currencies: [{ currency: "USD", first_day: "2025-03-03", last_day: "2025-03-07", days: 5, spend_days: 6, missing_days: 1 }] }),
      "POST /api/analytics/fx-rates/refresh": () => jsonResponse({ stored: 1, error: null }),
      "PUT /api/analytics/fx-rates": () => jsonResponse({ currency: "BRL", lookback_days: 7, currencies: [] }),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<FxRatesSection />, { me: makeMe(["analytics:read", "analytics:admin"]), locale: "pt-BR" });
    const row = await screen.findByTestId("fx-row");
    expect(within(row).getAllByRole("cell").map((c) => c.textContent)).toEqual(["USD", "03/03/2025", "07/03/2025", "5", "6", "1"]);
    await user.click(screen.getByTestId("fx-fetch"));
    expect(await screen.findByText("1 cotação guardada")).toBeInTheDocument();
    await user.type(screen.getByLabelText("Dia"), "2025-03-08");
    await user.type(screen.getByLabelText("BRL por unidade"), "5,12");
    await user.click(screen.getByTestId("fx-save"));
    await waitFor(() => expect(api.calls.find((c) => c.method === "PUT")?.body).toEqual({ rates: [{ currency: "USD", day: "2025-03-08", rate: "5.12" }] }));
  });

  it("says no rate is needed when all spend is in the organization's currency; a reader cannot fetch", async () => {
    vi.stubGlobal("fetch", routeFetch({ "GET /api/analytics/fx-rates": () => jsonResponse({ currency: "BRL", lookback_days: 7, currencies: [] }) }).fetch);
    renderWithProviders(<FxRatesSection />, { me: makeMe(["analytics:read"]) });
    expect(await screen.findByText(/no rate is needed/)).toBeInTheDocument();
    expect(screen.queryByTestId("fx-fetch")).toBeNull();
  });
});
