import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { downloadCsv } from "@/lib/csv";
import { reportRange } from "@/test/csv";
import { jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import Ads from "./Ads";
import { buildTree, type SpendNode } from "./adsTree";

vi.mock("@/lib/csv", async (original) => ({ ...(await original<typeof import("@/lib/csv")>()), downloadCsv: vi.fn() }));

const me = makeMe(["analytics:read"]);

afterEach(() => {
  vi.unstubAllGlobals();
  vi.mocked(downloadCsv).mockClear();
});

function node(level: SpendNode["level"], over: Partial<SpendNode>): SpendNode {
  return {
    level,
    platform: "meta",
    account_id: null,
    campaign_id: null,
    campaign_name: null,
    ad_set_id: null,
    ad_set_name: null,
    ad_id: null,
    ad_name: null,
    currency: "BRL",
    spend: "0",
    impressions: 0,
    clicks: 0,
    video_3s_views: null,
    conversions: "0",
    conversion_value: "0",
    ctr: null,
    cpc: null,
    hook_rate: null,
    platform_roas: null,
    ...over,
  };
}

const c1 = { account_id: "act_1", campaign_id: "c1", campaign_name: "Black Friday" };
const c2 = { account_id: "act_1", campaign_id: "c2", campaign_name: "Remarketing" };
const ROWS: SpendNode[] = [
  node("total", { platform: null, spend: "330", conversion_value: "990", platform_roas: 3 }),
  node("total", { platform: null, currency: "USD", spend: "10" }),
  node("platform", { spend: "330", impressions: 3000, clicks: 90, conversion_value: "990", platform_roas: 3 }),
  node("platform", { platform: "pinterest", currency: "USD", spend: "10" }),
  node("campaign", { ...c1, spend: "200", conversion_value: "300", platform_roas: 1.5 }),
  node("campaign", { ...c2, spend: "130", conversion_value: "690", platform_roas: 5.3077 }),
  node("ad_set", { ...c1, ad_set_id: "s1", ad_set_name: "Women", spend: "200" }),
  node("ad_set", { ...c2, spend: "130" }),
  node("ad", { ...c1, ad_set_id: "s1", ad_id: "a1", ad_name: "Video A", spend: "150", clicks: 80, ctr: 0.04, cpc: "1.88", platform_roas: 2 }),
  node("ad", { ...c1, ad_set_id: "s1", ad_id: "a2", ad_name: "Video B", spend: "50", platform_roas: 0.5 }),
  node("ad", { ...c2, ad_id: "a9", spend: "130" }),
];

const report = () => ({ range: reportRange("2026-11-01", "2026-11-30"), rows: ROWS });

function names(): string[] {
  return screen.getAllByTestId("ads-row").map((r) => (within(r).getAllByRole("cell")[0]!.textContent ?? "").replace(/\u00a0/g, " "));
}

describe("Ads report tree", () => {
  it("links every row to its parent, per currency", () => {
    const roots = buildTree(ROWS);
    expect(roots.map((r) => `${r.row.platform}:${r.row.currency}`)).toEqual(["meta:BRL", "pinterest:USD"]);
    const [bf, rm] = roots[0]!.children;
    expect(bf!.children[0]!.children.map((a) => a.row.ad_id)).toEqual(["a1", "a2"]);
    // a campaign without ad sets: its ads hang from it, one level down
    expect(rm!.children.map((a) => [a.level, a.row.ad_id, a.depth])).toEqual([["ad", "a9", 2]]);
  });

  it("asks for the URL's period, expands level by level, sorts within each parent and exports the rows shown", async () => {
    const api = routeFetch({ "GET /api/analytics/spend/report": () => jsonResponse(report()) });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<Ads />, { route: "/analytics/ads?date_from=2026-11-01&date_to=2026-11-30", me });
    await screen.findByTestId("ads-report");
    expect(api.calls[0]!.url.searchParams.get("date_from")).toBe("2026-11-01");
    expect(names()).toEqual(["MetaBRL", "pinterestUSD"]);
    expect(screen.getByTestId("ads-totals")).toHaveTextContent("R$330.00 spent · platform value R$990.00 · platform ROAS 3×");
    expect(screen.getByTestId("ads-real-note")).toBeInTheDocument();

    fireEvent.click(screen.getByRole("button", { name: "Show what is in Meta" }));
    expect(names()).toEqual(["MetaBRL", "Black Fridayc1", "Remarketingc2", "pinterestUSD"]);
    fireEvent.click(screen.getByRole("button", { name: "Show what is in Black Friday" }));
    fireEvent.click(screen.getByRole("button", { name: "Show what is in Women" }));
    expect(names()).toEqual(["MetaBRL", "Black Fridayc1", "Womens1", "Video Aa1", "Video Ba2", "Remarketingc2", "pinterestUSD"]);
    const videoA = screen.getAllByTestId("ads-row")[3]!;
    const cells = within(videoA).getAllByRole("cell").map((c) => c.textContent);
    expect(cells).toEqual(expect.arrayContaining(["R$150.00", "2.00×", "4%", "R$1.88", "—"]));

    // platform ROAS ascending: within Meta, Black Friday (1.5) before Remarketing (5.3); levels stay nested
    fireEvent.click(screen.getByTestId("sort-platform_roas"));
    fireEvent.click(screen.getByTestId("sort-platform_roas"));
    expect(names()).toEqual(["MetaBRL", "Black Fridayc1", "Womens1", "Video Ba2", "Video Aa1", "Remarketingc2", "pinterestUSD"]);
    fireEvent.click(screen.getByTestId("sort-spend"));
    expect(names().slice(0, 2)).toEqual(["MetaBRL", "Black Fridayc1"]);

    fireEvent.click(screen.getByRole("button", { name: "Hide what is in Black Friday" }));
    expect(names()).toEqual(["MetaBRL", "Black Fridayc1", "Remarketingc2", "pinterestUSD"]);
    fireEvent.click(screen.getByTestId("csv-button"));
    const [filename, columns, rows] = vi.mocked(downloadCsv).mock.calls[0] as unknown as [string, { header: string; value: (r: unknown) => unknown }[], unknown[]];
    expect(filename).toBe("ads-2026-11-01-2026-11-30");
    expect(columns.slice(0, 8).map((c) => c.header)).toEqual(["Level", "Platform", "Account", "Campaign", "Ad set", "Ad", "Currency", "Spend"]);
    expect(rows.map((r) => [columns[0]!.value(r), columns[3]!.value(r), columns[7]!.value(r)])).toEqual([
      ["Platform", null, 330],
      ["Campaign", "Black Friday", 200],
      ["Campaign", "Remarketing", 130],
      ["Platform", null, 10],
    ]);

    fireEvent.click(screen.getByTestId("ads-expand-all"));
    expect(screen.getAllByTestId("ads-row")).toHaveLength(8);
    expect(names()).toContain("a9");
    fireEvent.click(screen.getByTestId("ads-collapse-all"));
    expect(screen.getAllByTestId("ads-row")).toHaveLength(2);
  });

  it("shows Portuguese labels, an empty state and that visit filters do not narrow spend", async () => {
    vi.stubGlobal("fetch", routeFetch({ "GET /api/analytics/spend/report": () => jsonResponse({ range: reportRange(), rows: [] }) }).fetch);
    renderWithProviders(<Ads />, { route: "/analytics/ads?channel=Paid+Search", locale: "pt-BR", me });
    expect(await screen.findByText(/Nenhum gasto com anúncios neste período/)).toBeInTheDocument();
    expect(screen.getByTestId("ads-filter-note")).toHaveTextContent("só o período vale");
  });

  it("names the columns in Portuguese, both ROAS side by side", async () => {
    vi.stubGlobal("fetch", routeFetch({ "GET /api/analytics/spend/report": () => jsonResponse(report()) }).fetch);
    renderWithProviders(<Ads />, { route: "/analytics/ads", locale: "pt-BR", me });
    await screen.findByTestId("ads-report");
    const headers = screen.getAllByRole("columnheader").map((h) => h.textContent);
    expect(headers.slice(0, 5)).toEqual(["Plataforma / campanha / conjunto / anúncio", "Gasto", "Receita real", "ROAS real", "ROAS da plataforma"]);
    expect(screen.getByTestId("ads-totals")).toHaveTextContent("R$ 330,00 gastos");
    await waitFor(() => expect(document.body.textContent).not.toContain("NaN"));
  });
});
