import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { downloadCsv } from "@/lib/csv";
import { reportRange } from "@/test/csv";
import { jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import Ads from "./Ads";
import { buildTree, levelsNeeded, type AdsFigures, type AdsLevel, type AdsRow } from "./adsTree";

vi.mock("@/lib/csv", async (original) => ({ ...(await original<typeof import("@/lib/csv")>()), downloadCsv: vi.fn() }));

const me = makeMe(["analytics:read"]);

afterEach(() => {
  vi.unstubAllGlobals();
  vi.mocked(downloadCsv).mockClear();
});

function figures(over: Partial<AdsFigures> = {}): AdsFigures {
  return {
    spend: "0",
    other_spend: [],
    impressions: 0,
    clicks: 0,
    ctr: null,
    cpc: null,
    hook_rate: null,
    leads: 0,
    cpl: null,
    qualified: 0,
    qualified_rate: null,
    won: 0,
    lead_to_customer_rate: null,
    average_deal_value: null,
    average_sales_cycle: null,
    real_revenue: "0",
    other_revenue: [],
    real_roas: null,
    platform_conversions: "0",
    platform_value: "0",
    platform_roas: null,
    roas_gap: null,
    ...over,
  };
}

const c1 = { platform: "meta", account_id: "act_1", campaign_id: "c1", campaign_name: "Black Friday" };
const c2 = { platform: "meta", account_id: "act_1", campaign_id: "c2", campaign_name: "Remarketing" };
const LEVELS: Record<AdsLevel, AdsRow[]> = {
  platform: [
    { platform: "meta", figures: figures({ spend: "330", real_revenue: "990", real_roas: 3, platform_roas: 3.5, roas_gap: -0.5, leads: 12 }) },
    { platform: "google", figures: figures({ spend: "0", other_spend: [{ currency: "USD", amount: "10" }] }) },
  ],
  campaign: [
    { ...c1, figures: figures({ spend: "200", real_revenue: "300", real_roas: 1.5, platform_roas: 3.5, roas_gap: -2, leads: 8, cpl: "25" }) },
    { ...c2, figures: figures({ spend: "130", real_revenue: "690", real_roas: 5.3077, platform_roas: 3.5, roas_gap: 1.81, leads: 4 }) },
    { platform: "google", account_id: "123", campaign_id: "g1", campaign_name: "Search", figures: figures({ other_spend: [{ currency: "USD", amount: "10" }] }) },
  ],
  ad_set: [
    { ...c1, ad_set_id: "s1", ad_set_name: "Women", figures: figures({ spend: "200", real_revenue: "300", real_roas: 1.5 }) },
    { ...c2, ad_set_id: null, figures: figures({ spend: "130", real_revenue: "690", real_roas: 5.3 }) },
  ],
  ad: [
    { ...c1, ad_set_id: "s1", ad_id: "a1", ad_name: "Video A", figures: figures({ spend: "150", clicks: 80, ctr: 0.04, cpc: "1.88", real_revenue: "300", real_roas: 2, platform_roas: 4 }) },
    { ...c1, ad_set_id: "s1", ad_id: "a2", ad_name: "Video B", figures: figures({ spend: "50", real_roas: 0, platform_roas: 1 }) },
    { ...c2, ad_set_id: null, ad_id: "a9", figures: figures({ spend: "130" }) },
  ],
};

function report(level: AdsLevel) {
  const rows = LEVELS[level];
  return {
    range: reportRange("2026-11-01", "2026-11-30"),
    level,
    model: "last_touch",
    rows,
    totals: figures({ spend: "330", real_revenue: "990", real_roas: 3, platform_roas: 3.5, leads: 12, other_spend: [{ currency: "USD", amount: "10" }] }),
    unattributed: figures({ leads: 2, real_revenue: "100" }),
    notes: ["other_currency_spend"],
  };
}

function names(): string[] {
  return screen.getAllByTestId("ads-row").map((r) => (within(r).getAllByRole("cell")[0]!.textContent ?? "").replace(/\u00a0/g, " "));
}

function stub() {
  const api = routeFetch({ "GET /api/analytics/ads": (url) => jsonResponse(report(url.searchParams.get("level") as AdsLevel)) });
  vi.stubGlobal("fetch", api.fetch);
  return api;
}
const levelsAsked = (api: ReturnType<typeof stub>) => api.calls.map((c) => c.url.searchParams.get("level"));

describe("Ads report tree", () => {
  it("links every row to its parent; an ad without its ad set hangs from the campaign", () => {
    const roots = buildTree(LEVELS);
    expect(roots.map((r) => r.row.platform)).toEqual(["meta", "google"]);
    const [bf, rm] = roots[0]!.children;
    expect(bf!.children[0]!.children.map((a) => a.row.ad_id)).toEqual(["a1", "a2"]);
    expect(rm!.children.map((n) => [n.level, n.row.ad_set_id])).toEqual([["ad_set", null]]);
    expect(rm!.children[0]!.children.map((a) => a.row.ad_id)).toEqual(["a9"]);
    const partial = buildTree({ platform: LEVELS.platform, campaign: LEVELS.campaign, ad: LEVELS.ad });
    expect(partial[0]!.children[0]!.children.map((a) => [a.level, a.depth])).toEqual([
      ["ad", 2],
      ["ad", 2],
    ]);
    expect(levelsNeeded(new Set(), false)).toBe(2);
    expect(levelsNeeded(new Set(["meta|act_1|c1"]), false)).toBe(3);
    expect(levelsNeeded(new Set(["meta|act_1|c1|s1"]), false)).toBe(4);
    expect(levelsNeeded(new Set(), true)).toBe(4);
  });

  it("loads deeper levels on expand, shows spend against real revenue, sorts within each parent and exports the rows shown", async () => {
    const api = stub();
    renderWithProviders(<Ads />, { route: "/analytics/ads?date_from=2026-11-01&date_to=2026-11-30", me, path: "/analytics/ads/*" });
    await screen.findByTestId("ads-report");
    expect(levelsAsked(api).sort()).toEqual(["campaign", "platform"]);
    expect(api.calls[0]!.url.searchParams.get("date_from")).toBe("2026-11-01");
    expect(names()).toEqual(["Meta", "Google"]);
    expect(screen.getByTestId("ads-totals")).toHaveTextContent("R$330.00 spent · real revenue R$990.00 · real ROAS 3.00× · platform ROAS 3.50×");
    expect(screen.getByTestId("ads-unattributed")).toHaveTextContent("2 lead(s), R$100.00 in sales");
    expect(screen.getByTestId("ads-note")).toHaveTextContent("left out of the ROAS");

    fireEvent.click(screen.getByRole("button", { name: "Show what is in Meta" }));
    expect(names()).toEqual(["Meta", "Black Fridayc1", "Remarketingc2", "Google"]);
    fireEvent.click(screen.getByRole("button", { name: "Show what is in Black Friday" }));
    await waitFor(() => expect(levelsAsked(api)).toContain("ad_set"));
    expect(levelsAsked(api)).not.toContain("ad");
    fireEvent.click(await screen.findByRole("button", { name: "Show what is in Women" }));
    await waitFor(() => expect(names()).toEqual(["Meta", "Black Fridayc1", "Womens1", "Video Aa1", "Video Ba2", "Remarketingc2", "Google"]));
    const videoA = screen.getAllByTestId("ads-row")[3]!;
    const cells = within(videoA).getAllByRole("cell").map((c) => c.textContent);
    // spend, real revenue, real ROAS, platform ROAS side by side
    expect(cells.slice(1, 5)).toEqual(["R$150.00", "R$300.00", "2.00×", "4.00×"]);
    expect(cells).toEqual(expect.arrayContaining(["4%", "R$1.88"]));

    // real ROAS ascending: within Meta, Black Friday (1.5) before Remarketing (5.3), Video B (0) before Video A (2)
    fireEvent.click(screen.getByTestId("sort-real_roas"));
    fireEvent.click(screen.getByTestId("sort-real_roas"));
    expect(names()).toEqual(["Meta", "Black Fridayc1", "Womens1", "Video Ba2", "Video Aa1", "Remarketingc2", "Google"]);
    fireEvent.click(screen.getByTestId("sort-real_roas"));
    expect(names().slice(0, 3)).toEqual(["Meta", "Remarketingc2", "Black Fridayc1"]);

    fireEvent.click(screen.getByRole("button", { name: "Hide what is in Black Friday" }));
    fireEvent.click(screen.getByTestId("csv-button"));
    const [filename, columns, rows] = vi.mocked(downloadCsv).mock.calls[0] as unknown as [string, { header: string; value: (r: unknown) => unknown }[], unknown[]];
    expect(filename).toBe("ads-2026-11-01-2026-11-30");
    expect(columns.slice(0, 10).map((c) => c.header)).toEqual(["Level", "Platform", "Account", "Campaign", "Ad set", "Ad", "Spend", "Real revenue", "Real ROAS", "Platform ROAS"]);
    expect(rows.map((r) => [columns[0]!.value(r), columns[3]!.value(r), columns[6]!.value(r), columns[8]!.value(r)])).toEqual([
      ["Platform", null, 330, 3],
      ["Campaign", "Remarketing", 130, 5.31],
      ["Campaign", "Black Friday", 200, 1.5],
      ["Platform", null, 0, null],
    ]);
    const other = columns.find((c) => c.header === "Spend in other currencies")!;
    expect(other.value(rows[3])).toBe("USD 10");

    fireEvent.click(screen.getByTestId("ads-expand-all"));
    await waitFor(() => expect(screen.getAllByTestId("ads-row")).toHaveLength(10));
    expect(names()).toContain("(no ad set named)");
    fireEvent.click(screen.getByTestId("ads-collapse-all"));
    expect(screen.getAllByTestId("ads-row")).toHaveLength(2);
  });

  it("asks for the chosen attribution model", async () => {
    const api = stub();
    renderWithProviders(<Ads />, { route: "/analytics/ads", me, path: "/analytics/ads/*" });
    await screen.findByTestId("ads-report");
    expect(screen.getByTestId("ads-model")).toHaveValue("last_touch");
    fireEvent.change(screen.getByTestId("ads-model"), { target: { value: "linear" } });
    await waitFor(() => expect(api.calls.at(-1)!.url.searchParams.get("model")).toBe("linear"));
  });

  it("names the columns in Portuguese, both ROAS side by side, and shows an empty state", async () => {
    stub();
    renderWithProviders(<Ads />, { route: "/analytics/ads", locale: "pt-BR", me, path: "/analytics/ads/*" });
    await screen.findByTestId("ads-report");
    const headers = screen.getAllByRole("columnheader").map((h) => h.textContent);
    expect(headers.slice(0, 5)).toEqual(["Plataforma / campanha / conjunto / anúncio", "Gasto", "Receita real", "ROAS real", "ROAS da plataforma"]);
    expect(screen.getByTestId("ads-totals")).toHaveTextContent("R$ 330,00 gastos · receita real R$ 990,00");
    expect(document.body.textContent).not.toContain("NaN");
  });

  it("says so when there is nothing", async () => {
    const empty = { ...report("campaign"), rows: [], totals: figures(), unattributed: figures(), notes: [] };
    vi.stubGlobal("fetch", routeFetch({ "GET /api/analytics/ads": () => jsonResponse(empty) }).fetch);
    renderWithProviders(<Ads />, { route: "/analytics/ads", locale: "pt-BR", me, path: "/analytics/ads/*" });
    expect(await screen.findByText(/Nenhum gasto com anúncios e nenhum lead creditado/)).toBeInTheDocument();
  });
});
