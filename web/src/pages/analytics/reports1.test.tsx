import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { makeMe, jsonResponse, renderWithProviders, routeFetch } from "@/test/utils";
import { downloadCsv } from "@/lib/csv";
import Campaigns from "./Campaigns";
import Channels from "./Channels";
import { funnelSteps } from "./LandingPages";
import LandingPages from "./LandingPages";
import { campaignReport, channelReport, landingReport, offlineReport } from "./reportFixtures";

vi.mock("@/lib/csv", async (original) => ({ ...(await original<typeof import("@/lib/csv")>()), downloadCsv: vi.fn() }));

const me = makeMe(["analytics:read"]);

afterEach(() => {
  vi.unstubAllGlobals();
  vi.mocked(downloadCsv).mockClear();
});

function headers(table: HTMLElement): string[] {
  return within(table)
    .getAllByRole("columnheader")
    .map((th) => th.textContent ?? "");
}

function cells(row: HTMLElement): string[] {
  return within(row)
    .getAllByRole("cell")
    .map((td) => (td.textContent ?? "").replace(/\u00a0/g, " "));
}

describe("Campaigns", () => {
  it("asks for the chosen grouping with the URL's filters and shows every row", async () => {
    const api = routeFetch({ "GET /api/analytics/campaigns": (url) => jsonResponse({ ...campaignReport(), group_by: url.searchParams.get("group_by") }) });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<Campaigns />, { route: "/analytics/campaigns?channel=Paid+Search", me });
    const table = await screen.findByTestId("campaign-table");
    expect(within(table).getAllByTestId("report-row")).toHaveLength(3);
    expect(api.calls[0].url.searchParams.get("channel")).toBe("Paid Search");
    expect(api.calls[0].url.searchParams.get("group_by")).toBe("campaign");
    expect(screen.getByTestId("cost-note")).toHaveTextContent("until ad spend is imported");
    fireEvent.change(screen.getByTestId("group-by"), { target: { value: "source_medium" } });
    await waitFor(() => expect(api.calls.at(-1)?.url.searchParams.get("group_by")).toBe("source_medium"));
    expect(api.calls.at(-1)?.url.searchParams.get("channel")).toBe("Paid Search");
  });

  it("sorts by a column and exports exactly the rows and columns shown, in that order", async () => {
    vi.stubGlobal("fetch", routeFetch({ "GET /api/analytics/campaigns": () => jsonResponse(campaignReport(true)) }).fetch);
    renderWithProviders(<Campaigns />, { route: "/analytics/campaigns?compare=previous", me });
    const table = await screen.findByTestId("campaign-table");
    expect(headers(table)).toContain("Sessions (compared)");
    expect(headers(table)).toContain("Revenue in other currencies");
    fireEvent.click(within(table).getByTestId("sort-sessions"));
    const rows = within(table).getAllByTestId("report-row");
    expect(rows.map((r) => cells(r)[0])).toEqual(["summer", "spring", "(not set)"]);
    expect(cells(rows[0])).toContain("R$900.00");
    expect(cells(rows[1])).toContain("10%");
    fireEvent.click(within(table).getByTestId("csv-button"));
    const [filename, columns, exported] = vi.mocked(downloadCsv).mock.calls[0] as unknown as [string, { header: string; value: (r: unknown) => unknown }[], unknown[]];
    expect(filename).toBe("campaigns-campaign-2026-11-01-2026-11-30");
    expect(columns.map((c) => c.header)).toEqual(headers(table));
    expect(exported.map((r) => columns[0].value(r))).toEqual(["summer", "spring", null]);
    const revenue = columns.find((c) => c.header === "Revenue");
    expect(exported.map((r) => revenue?.value(r))).toEqual([900, 4500.5, 0]);
  });

  it("shows Portuguese labels and an empty state without NaN", async () => {
    const empty = { ...campaignReport(), rows: [], other_currencies: [] };
    vi.stubGlobal("fetch", routeFetch({ "GET /api/analytics/campaigns": () => jsonResponse(empty) }).fetch);
    renderWithProviders(<Campaigns />, { route: "/analytics/campaigns", locale: "pt-BR", me });
    expect(await screen.findByText("Sem dados para este período e estes filtros.")).toBeInTheDocument();
    expect(screen.getByLabelText("Agrupar por")).toBeInTheDocument();
    expect(document.body.textContent).not.toContain("NaN");
  });
});

describe("Channels", () => {
  it("shows revenue per channel with the cost left empty and why, and the offline metrics", async () => {
    vi.stubGlobal(
      "fetch",
      routeFetch({
        "GET /api/analytics/channels": () => jsonResponse(channelReport()),
        "GET /api/analytics/offline-conversions": () => jsonResponse(offlineReport()),
      }).fetch,
    );
    renderWithProviders(<Channels />, { route: "/analytics/channels", locale: "pt-BR", me });
    const table = await screen.findByTestId("channel-table");
    const [paid] = within(table).getAllByTestId("report-row");
    expect(cells(paid)[0]).toBe("Pesquisa paga");
    expect(cells(paid)).toContain("R$ 3.000,00");
    const roi = headers(table).indexOf("Retorno sobre o investimento");
    expect(cells(paid)[roi]).toBe("—");
    expect(screen.getAllByTestId("cost-note")[0]).toHaveTextContent("nenhum custo é presumido");
    const bySource = await screen.findByTestId("offline-source-table");
    const [google, none] = within(bySource).getAllByTestId("report-row");
    expect(cells(google)).toEqual(expect.arrayContaining(["google", "20%", "R$ 1.500,00", "2 dias"]));
    expect(cells(none)[0]).toBe("(não definido)");
  });
});

describe("LandingPages", () => {
  it("adds up the funnel steps with each step's rate from the one before", () => {
    const steps = funnelSteps(landingReport().rows.map((r) => r.current));
    expect(steps.map((s) => s.value)).toEqual([150, 50, 25, 12, 6]);
    expect(steps[0].rate).toBeNull();
    expect(steps[1].rate).toBeCloseTo(50 / 150);
    expect(steps[4].rate).toBeCloseTo(6 / 12);
    expect(funnelSteps([]).every((s) => s.value === 0 && s.rate === null)).toBe(true);
  });

  it("shows each page and variant and the funnel of the chosen one", async () => {
    vi.stubGlobal("fetch", routeFetch({ "GET /api/analytics/landing-pages": () => jsonResponse(landingReport()) }).fetch);
    renderWithProviders(<LandingPages />, { route: "/analytics/landing-pages", me });
    const table = await screen.findByTestId("landing-table");
    const rows = within(table).getAllByTestId("report-row");
    expect(rows.map((r) => cells(r)[1])).toEqual(["A", "B"]);
    expect(cells(rows[0])).toEqual(expect.arrayContaining(["40%", "50%"]));
    const steps = screen.getByTestId("funnel-steps");
    expect(steps).toHaveTextContent("Visits150");
    fireEvent.change(screen.getByTestId("funnel-page"), { target: { value: "p-b" } });
    expect(steps).toHaveTextContent("Visits50");
    expect(steps).toHaveTextContent("Form starts1020%");
    expect(screen.getByTestId("unregistered")).toHaveTextContent("7 visits, 1 leads");
  });
});
