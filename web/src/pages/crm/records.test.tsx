import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import ContactSection from "./ContactSection";
import ContactsSection from "./ContactsSection";
import DealSection, { dealPatch } from "./DealSection";
import DealsSection, { valueByCurrency } from "./DealsSection";
import { CRM_READ, CRM_WRITE, type Deal } from "./types";

const XSS = "<img src=x onerror=alert(1)>";

function deal(over: Partial<Deal> = {}): Deal {
  return {
    deal_id: "D1",
    lead_id: "L1",
    contact_id: "C1",
    name: "Plano anual",
    value: "1200.00",
    currency: "BRL",
    stage: "proposal",
    probability: 50,
    owner_id: "u-me",
    expected_close_date: "2025-04-30",
    closed_at: null,
    external_id: null,
    created_at: "2025-03-01T12:00:00Z",
    updated_at: "2025-03-01T12:00:00Z",
    product: null,
    payment_method: null,
    affiliate_commission: null,
    refunded_amount: null,
    refunded_at: null,
    chargeback_amount: null,
    chargeback_at: null,
    ...over,
  };
}

const contact = {
  contact_id: "C1",
  email: "ana@example.com",
  phone: null,
  name: XSS,
  company: "ACME",
  owner_id: null,
  owner: null,
  visitor_ids: ["v1", "v2"],
  external_id: null,
  metadata: {},
  created_at: "2025-03-01T12:00:00Z",
  updated_at: "2025-03-01T12:00:00Z",
};

afterEach(() => vi.unstubAllGlobals());

describe("contacts", () => {
  it("searches after two characters and lists contacts as text", async () => {
    const user = userEvent.setup();
    const api = routeFetch({ "GET /api/contacts": () => jsonResponse({ items: [contact], total: 1, page: 1, page_size: 20 }) });
    vi.stubGlobal("fetch", api.fetch);
    const { container } = renderWithProviders(<ContactsSection />, { me: makeMe([CRM_READ]), route: "/leads/contacts" });
    expect(await screen.findByTestId("contact-row")).toHaveTextContent(XSS);
    expect(container.querySelector("img")).toBeNull();
    await user.type(screen.getByLabelText("Search"), "an");
    await waitFor(() => expect(api.calls.at(-1)!.url.searchParams.get("q")).toBe("an"));
  });

  it("shows a contact with its leads, deals and timeline, and changes its owner", async () => {
    const user = userEvent.setup();
    const api = routeFetch({
      "GET /api/contacts/C1": () => jsonResponse({ contact, leads: [], deals: [deal()], tasks: [], notes: [], activities: [] }),
      "PATCH /api/contacts/C1": () => jsonResponse(contact),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(
      <Routes>
        <Route path="/leads/contacts/:contactId" element={<ContactSection />} />
      </Routes>,
      { me: makeMe([CRM_READ, CRM_WRITE]), route: "/leads/contacts/C1" },
    );
    expect(await screen.findByTestId("contact-name")).toHaveTextContent(XSS);
    expect(screen.getByText("1 deal")).toBeInTheDocument();
    expect(screen.getByTestId("deal-row")).toHaveTextContent("Plano anual");
    await user.selectOptions(screen.getByTestId("contact-owner"), "u-me");
    await waitFor(() => expect(api.calls.find((c) => c.method === "PATCH")?.body).toEqual({ owner_id: "u-me" }));
  });
});

describe("deals", () => {
  it("filters by the URL, sums the page per currency, never across currencies", async () => {
    const api = routeFetch({ "GET /api/deals": () => jsonResponse({ items: [deal(), deal({ deal_id: "D2", value: "100.00", currency: "USD" }), deal({ deal_id: "D3", value: "300.00" })], total: 3, page: 1, page_size: 20 }) });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<DealsSection />, { me: makeMe([CRM_READ]), route: "/leads/deals?stage=proposal&close_from=2025-04-01" });
    expect(await screen.findByTestId("deal-totals")).toHaveTextContent("3 deals · this page: R$1,500.00 + $100.00");
    const call = api.calls.find((c) => c.url.pathname === "/api/deals")!;
    expect(call.url.searchParams.getAll("stage")).toEqual(["proposal"]);
    expect(call.url.searchParams.get("close_from")).toBe("2025-04-01");
    expect(valueByCurrency([deal({ value: null })])).toEqual([]);
  });

  it("edits a deal and refuses a bad value or probability before sending", async () => {
    const user = userEvent.setup();
    const api = routeFetch({ "GET /api/deals/D1": () => jsonResponse(deal()), "PATCH /api/deals/D1": () => jsonResponse(deal({ value: "1500.00" })) });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(
      <Routes>
        <Route path="/leads/deals/:dealId" element={<DealSection />} />
      </Routes>,
      { me: makeMe([CRM_READ, CRM_WRITE]), route: "/leads/deals/D1" },
    );
    const value = await screen.findByLabelText("Value");
    await user.clear(value);
    await user.type(value, "abc");
    await user.click(screen.getByTestId("deal-save"));
    expect(screen.getByText(/Enter an amount/)).toBeInTheDocument();
    expect(api.calls.some((c) => c.method === "PATCH")).toBe(false);
    await user.clear(value);
    await user.type(value, "1.500,00");
    await user.click(screen.getByTestId("deal-save"));
    await waitFor(() => expect(api.calls.find((c) => c.method === "PATCH")?.body).toMatchObject({ value: "1500.00", currency: "BRL", stage: "proposal", probability: 50 }));
    const blank = { product: "", paymentMethod: "", commission: "", refunded: "", chargeback: "" };
    expect(dealPatch({ name: "x", value: "", currency: "brl", stage: "won", probability: "101", ownerId: "", closeDate: "", ...blank })).toEqual({ error: "probability" });
    expect(dealPatch({ name: "x", value: "10", currency: "brl", stage: "won", probability: "", ownerId: "", closeDate: "", ...blank, refunded: "dez" })).toEqual({ error: "refunded" });
    expect(dealPatch({ name: "x", value: "100", currency: "brl", stage: "won", probability: "", ownerId: "", closeDate: "", product: " Curso ", paymentMethod: "pix", commission: "12,50", refunded: "", chargeback: "" })).toMatchObject({ product: "Curso", payment_method: "pix", affiliate_commission: "12.50", refunded_amount: null, chargeback_amount: null });
    expect(within(document.body).getByRole("link", { name: "Open the lead" })).toHaveAttribute("href", "/leads/L1");
  });
});
