import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { reportRange } from "@/test/csv";
import { errorResponse, jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import SpendMapping from "./SpendMapping";

const admin = makeMe(["analytics:read", "analytics:admin"]);

afterEach(() => vi.unstubAllGlobals());

const UNMAPPED = {
  range: reportRange("2026-11-01", "2026-11-30"),
  spend: [
    { platform: "meta", account_id: "act_1", campaign_id: "120200", campaign_name: "BF | Conversions", spend: [{ currency: "BRL", amount: "500.00" }], impressions: 9000, clicks: 300 },
    { platform: "pinterest", account_id: "csv", campaign_id: "Pins", campaign_name: "Pins", spend: [{ currency: "BRL", amount: "20.00" }], impressions: 10, clicks: 1 },
  ],
  utm_campaigns: [
    { source: "facebook", medium: "paid", campaign: "bf_conv", sessions: 42, last_seen: "2026-11-29T12:00:00Z" },
    { source: "newsletter", medium: "email", campaign: null, sessions: 3, last_seen: "2026-11-28T12:00:00Z" },
  ],
};

const MAPPING = {
  id: "m1",
  utm_source: "facebook",
  utm_campaign: "bf_conv",
  utm_content: null,
  utm_term: null,
  platform: "meta",
  account_id: "act_1",
  campaign_id: "120200",
  campaign_name: "BF | Conversions",
  ad_set_id: null,
  ad_id: null,
  updated_at: "2026-11-30T10:00:00Z",
};

function stub(putStatus = 200) {
  let mappings: (typeof MAPPING)[] = [];
  const api = routeFetch({
    "GET /api/analytics/spend/unmapped": () => jsonResponse(mappings.length ? { ...UNMAPPED, spend: UNMAPPED.spend.slice(1), utm_campaigns: UNMAPPED.utm_campaigns.slice(1) } : UNMAPPED),
    "GET /api/analytics/spend/mappings": () => jsonResponse(mappings),
    "PUT /api/analytics/spend/mappings": () => {
      if (putStatus !== 200) return errorResponse(422, "validation_error", "The mapping's target is not an imported campaign, ad set or ad.", [{ loc: "body.mappings.0.campaign_id", message: "an imported campaign of this platform" }]);
      mappings = [MAPPING];
      return jsonResponse(mappings);
    },
    "DELETE /api/analytics/spend/mappings/m1": () => {
      mappings = [];
      return jsonResponse(null, 204);
    },
  });
  vi.stubGlobal("fetch", api.fetch);
  return api;
}

describe("SpendMapping", () => {
  it("shows unmapped spend and UTM campaigns side by side and maps one to the other", async () => {
    const user = userEvent.setup();
    const api = stub();
    renderWithProviders(<SpendMapping />, { route: "/analytics/ads/mapping?preset=last_7_days", me: admin });
    const spend = await screen.findByTestId("unmapped-spend");
    const utms = screen.getByTestId("unmapped-utm");
    expect(api.calls.find((c) => c.url.pathname.endsWith("/unmapped"))!.url.searchParams.get("preset")).toBe("last_7_days");
    expect(spend).toHaveTextContent("BF | Conversions");
    expect(spend).toHaveTextContent("R$500.00");
    expect(utms).toHaveTextContent("bf_conv");
    expect(utms).toHaveTextContent("42 session(s)");
    // CSV sources and touches without utm_campaign cannot be mapped
    const [metaRadio, csvRadio] = within(spend).getAllByRole("radio");
    expect(csvRadio).toBeDisabled();
    expect(within(spend).getByText(/cannot be mapped/)).toBeInTheDocument();
    const [bfRadio, noCampaignRadio] = within(utms).getAllByRole("radio");
    expect(noCampaignRadio).toBeDisabled();
    expect(screen.getByTestId("mapping-save")).toBeDisabled();

    await user.click(metaRadio!);
    await user.click(bfRadio!);
    expect(screen.getByTestId("mapping-choice")).toHaveTextContent("Visits with utm_campaign “bf_conv” (source facebook) will count for the campaign “BF | Conversions”.");
    await user.click(screen.getByTestId("mapping-save"));
    await waitFor(() =>
      expect(api.calls.find((c) => c.method === "PUT")?.body).toEqual({
        mappings: [{ utm_source: "facebook", utm_campaign: "bf_conv", platform: "meta", account_id: "act_1", campaign_id: "120200" }],
      }),
    );
    const row = await screen.findByTestId("mapping-row");
    expect(row).toHaveTextContent("utm_source=facebook · utm_campaign=bf_conv");
    expect(row).toHaveTextContent("Meta · BF | Conversions");
    await waitFor(() => expect(within(screen.getByTestId("unmapped-spend")).queryByText("BF | Conversions")).toBeNull());

    await user.click(within(row).getByTestId("mapping-remove"));
    await user.click(await screen.findByRole("button", { name: "Delete" }));
    await waitFor(() => expect(api.calls.some((c) => c.method === "DELETE")).toBe(true));
    expect(await screen.findByText("No mapping yet.")).toBeInTheDocument();
  });

  it("shows the server's refusal", async () => {
    stub(422);
    renderWithProviders(<SpendMapping />, { route: "/analytics/ads/mapping", me: admin });
    const spend = await screen.findByTestId("unmapped-spend");
    fireEvent.click(within(spend).getAllByRole("radio")[0]!);
    fireEvent.click(within(screen.getByTestId("unmapped-utm")).getAllByRole("radio")[0]!);
    fireEvent.click(screen.getByTestId("mapping-save"));
    expect(await screen.findByText(/an imported campaign of this platform/)).toBeInTheDocument();
  });

  it("is read-only for readers, in Portuguese", async () => {
    stub();
    renderWithProviders(<SpendMapping />, { route: "/analytics/ads/mapping", me: makeMe(["analytics:read"]), locale: "pt-BR" });
    const spend = await screen.findByTestId("unmapped-spend");
    expect(screen.getByText("Gastos que não chegam a nenhuma visita")).toBeInTheDocument();
    expect(screen.getByText("Campanhas UTM que não levam a nenhuma campanha")).toBeInTheDocument();
    expect(within(spend).getAllByRole("radio").every((r) => (r as HTMLInputElement).disabled)).toBe(true);
    expect(screen.queryByTestId("mapping-save")).toBeNull();
    expect(await screen.findByText("Nenhuma associação ainda.")).toBeInTheDocument();
  });
});
