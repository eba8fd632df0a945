import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import { creditOf } from "@/pages/crm/LeadJourneyPanel";
import LeadRulesSection, { overrides } from "./LeadRulesSection";
import OrganizationSection from "./OrganizationSection";

const DEFAULTS = {
  weights: { demographic: 0.3, behavioral: 0.4, firmographic: 0.3 },
  thresholds: { A: 75, B: 50, C: 25 },
  demographic: { name: 20, email: 40, phone: 40 },
  behavioral: { per_page_view: 10 },
  firmographic: { business_email: 50 },
};

afterEach(() => vi.unstubAllGlobals());

describe("lead rules", () => {
  it("keeps only what differs from the defaults", () => {
    expect(overrides({ thresholds: { A: 80, B: 50, C: 25 }, weights: DEFAULTS.weights }, DEFAULTS)).toEqual({ thresholds: { A: 80 } });
  });

  it("previews a sample lead's score as the rules change, and saves only the overrides", async () => {
    const user = userEvent.setup();
    const api = routeFetch({
      "GET /api/crm/settings": () => jsonResponse({ default_country: "BR", attribution_credit: "first_touch", scoring_rules: {}, effective_scoring_rules: DEFAULTS, default_scoring_rules: DEFAULTS }),
      "POST /api/crm/settings/score-preview": (_url, init) => {
        const body = JSON.parse(String(init?.body));
        return jsonResponse({ demographic: 100, behavioral: 30, firmographic: 0, total: 42, grade: body.scoring_rules.thresholds?.C === 40 ? "C" : "D" });
      },
      "PUT /api/crm/settings": () => jsonResponse({ default_country: "PT", attribution_credit: "last_touch", scoring_rules: {}, effective_scoring_rules: DEFAULTS, default_scoring_rules: DEFAULTS }),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<LeadRulesSection />, { me: makeMe(["crm:read", "crm:admin"]) });
    expect(await screen.findByTestId("score-preview-result", {}, { timeout: 2000 })).toHaveTextContent("Grade D — total 42");
    const c = screen.getByLabelText("C from");
    await user.clear(c);
    await user.type(c, "40");
    await waitFor(() => expect(screen.getByTestId("score-preview-result")).toHaveTextContent("Grade C"), { timeout: 2000 });
    await user.click(screen.getByLabelText(/Last touch/));
    const country = screen.getByLabelText("Default phone country");
    await user.clear(country);
    await user.type(country, "pt");
    await user.click(screen.getByTestId("lead-rules-save"));
    await waitFor(() => expect(api.calls.find((x) => x.method === "PUT")?.body).toEqual({ default_country: "PT", attribution_credit: "last_touch", scoring_rules: { thresholds: { C: 40 } } }));
  });
});

describe("organization", () => {
  it("changes the time zone and currency; a viewer sees them read-only", async () => {
    const user = userEvent.setup();
    const org = { id: "org-1", name: "Loja", slug: "loja", timezone: "America/Sao_Paulo", currency: "BRL", locale: "pt-BR", country: "BR", created_at: "2025-01-01T00:00:00Z" };
    const api = routeFetch({ "GET /api/organization": () => jsonResponse(org), "PATCH /api/organization": () => jsonResponse({ ...org, currency: "USD" }) });
    vi.stubGlobal("fetch", api.fetch);
    const { unmount } = renderWithProviders(<OrganizationSection />, { me: makeMe(["organization:read", "organization:write"]) });
    const currency = await screen.findByLabelText(/Currency/);
    await user.selectOptions(currency, "USD");
    expect(screen.getByText(/Money shows as \$1,234\.50/)).toBeInTheDocument();
    await user.click(screen.getByTestId("organization-save"));
    await waitFor(() => expect(api.calls.find((x) => x.method === "PATCH")?.body).toMatchObject({ currency: "USD", timezone: "America/Sao_Paulo" }));
    unmount();
    renderWithProviders(<OrganizationSection />, { me: makeMe(["organization:read"]) });
    expect(await screen.findByText("Only an administrator changes these.")).toBeInTheDocument();
    expect(screen.queryByTestId("organization-save")).toBeNull();
  });

  it("reads the credit rule kept with a lead", () => {
    expect(creditOf({ attribution_credit: "last_touch" })).toBe("last_touch");
    expect(creditOf({ attribution_credit: "linear" })).toBeNull();
    expect(creditOf({})).toBeNull();
  });
});
