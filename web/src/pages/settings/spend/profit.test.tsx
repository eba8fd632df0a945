import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import ProfitSection, { profitBody } from "./ProfitSection";

afterEach(() => vi.unstubAllGlobals());

const EMPTY = { currency: "BRL", tax_percent: "0", fees: [], products: [], formula: "" };

describe("ProfitSection", () => {
  it("starts empty with what to do, adds a PIX fee and a product, and saves every rule", async () => {
    const user = userEvent.setup();
    const api = routeFetch({
      "GET /api/analytics/profit/settings": () => jsonResponse(EMPTY),
      "PUT /api/analytics/profit/settings": () => jsonResponse(EMPTY),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<ProfitSection />, { me: makeMe(["analytics:read", "analytics:admin"]), locale: "pt-BR" });
    expect(await screen.findByTestId("fees-empty")).toHaveTextContent("Cadastre as taxas do seu gateway");
    expect(screen.getByTestId("profit-formula")).toHaveTextContent("Lucro = receita líquida − taxas");
    await user.clear(screen.getByTestId("profit-tax"));
    await user.type(screen.getByTestId("profit-tax"), "6");
    await user.click(screen.getByTestId("fee-add"));
    const fee = screen.getByTestId("fee-row");
    expect(within(fee).getByTestId("fee-method")).toHaveValue("pix");
    await user.type(within(fee).getByTestId("fee-percent"), "0,99");
    await user.click(screen.getByTestId("product-add"));
    await user.type(screen.getByTestId("product-name"), "Curso");
    await user.type(screen.getByTestId("product-fixed"), "10");
    await user.type(screen.getByTestId("product-commission"), "30");
    await user.click(screen.getByTestId("profit-save"));
    await waitFor(() =>
      expect(api.calls.find((c) => c.method === "PUT")?.body).toEqual({
        tax_percent: "6",
        fees: [{ payment_method: "pix", percent: "0.99", fixed: "0", chargeback_fee: "0" }],
        products: [{ product: "Curso", cost_fixed: "10", cost_percent: "0", commission_percent: "30" }],
      }),
    );
  });

  it("refuses a field that is not a number before sending; a reader sees the rules without editing", async () => {
    expect(profitBody({ tax: "seis", fees: [], products: [] })).toEqual({ invalid: true });
    expect(profitBody({ tax: "", fees: [{ method: "", percent: "1.5", fixed: "", chargeback: "15" }], products: [] })).toEqual({
      tax_percent: "0",
      fees: [{ payment_method: null, percent: "1.5", fixed: "0", chargeback_fee: "15" }],
      products: [],
    });
    vi.stubGlobal("fetch", routeFetch({ "GET /api/analytics/profit/settings": () => jsonResponse({ ...EMPTY, fees: [{ payment_method: "credit_card", percent: "4.99", fixed: "0.49", chargeback_fee: "15" }] }) }).fetch);
    renderWithProviders(<ProfitSection />, { me: makeMe(["analytics:read"]) });
    const row = await screen.findByTestId("fee-row");
    expect(within(row).getByTestId("fee-method")).toHaveValue("credit_card");
    expect(within(row).getByTestId("fee-percent")).toHaveValue("4.99");
    expect(within(row).getByTestId("fee-percent")).toBeDisabled();
    expect(screen.queryByTestId("profit-save")).toBeNull();
  });
});
