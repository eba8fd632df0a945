import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import { OfferForm } from "./OfferForm";
import type { Step } from "./types";

const WRITER = makeMe(["funnels:read", "funnels:write"]);

function step(step_type: Step["step_type"]): Step {
  return {
    id: "s1",
    funnel_id: "f1",
    name: "Checkout",
    slug: "checkout",
    step_type,
    order_index: 0,
    is_active: true,
    settings: {},
    content: { headline: "Compre" },
    public_path: "/f/org/lancamento/checkout",
    created_at: "2026-12-01T12:00:00Z",
    updated_at: "2026-12-01T12:00:00Z",
  };
}

const STORED = {
  id: "c1",
  funnel_id: "f1",
  step_id: "s1",
  product_name: "Curso",
  product_price: "97.00",
  currency: "BRL",
  payment_methods: ["pix"],
  fields_config: {},
  design_config: { guarantee_days: 7 },
  upsell_config: {},
  created_at: "2026-12-01T12:00:00Z",
  updated_at: "2026-12-01T12:00:00Z",
};

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("OfferForm", () => {
  it("saves the order bump, the address and a testimonial with the offer", async () => {
    const user = userEvent.setup();
    const api = routeFetch({
      "GET /api/checkout/f1/s1": () => jsonResponse(STORED),
      "PUT /api/checkout/f1/s1": () => jsonResponse(STORED),
    });
    vi.stubGlobal("fetch", api.fetch);
    const saved = vi.fn();
    renderWithProviders(<OfferForm funnelId="f1" step={step("checkout")} canWrite onSaved={saved} />, { me: WRITER });
    const form = await screen.findByTestId("offer-form");
    await waitFor(() => expect(within(form).getByLabelText("Product")).toHaveValue("Curso"));
    await user.click(within(form).getByLabelText(/postal address/));
    await user.click(within(form).getByLabelText(/order bump/));
    const bump = screen.getByTestId("offer-bump");
    await user.type(within(bump).getByLabelText("Order bump product"), "Planilha");
    await user.type(within(bump).getByLabelText("Order bump price (R$)"), "27,00");
    await user.click(within(form).getByRole("button", { name: "Add testimonial" }));
    const testimonial = screen.getByTestId("offer-testimonial");
    await user.type(within(testimonial).getByLabelText("Name"), "Ana");
    await user.type(within(testimonial).getByLabelText("What they said"), "Funciona");
    await user.click(screen.getByTestId("offer-save"));
    await waitFor(() => expect(saved).toHaveBeenCalled());
    const put = api.calls.find((c) => c.method === "PUT");
    expect(put?.body).toEqual({
      product_name: "Curso",
      product_price: "97.00",
      currency: "BRL",
      fields_config: { address: true },
      design_config: { guarantee_days: 7, testimonials: [{ name: "Ana", text: "Funciona" }] },
      upsell_config: { order_bump: { product_name: "Planilha", price: "27.00", description: "" } },
    });
  });

  it("offers no order bump on an upsell and speaks pt-BR", async () => {
    vi.stubGlobal("fetch", routeFetch({ "GET /api/checkout/f1/s1": () => jsonResponse({ ...STORED, design_config: {} }) }).fetch);
    renderWithProviders(<OfferForm funnelId="f1" step={step("upsell")} canWrite onSaved={() => {}} />, { me: WRITER, locale: "pt-BR" });
    const form = await screen.findByTestId("offer-form");
    expect(within(form).getByText("Aparência da página")).toBeInTheDocument();
    expect(within(form).queryByLabelText(/order bump/)).toBeNull();
    expect(within(form).getByText(/Nenhum depoimento ainda/)).toBeInTheDocument();
  });
});
