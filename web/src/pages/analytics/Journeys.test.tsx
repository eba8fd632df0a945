import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { captureCsv, reportRange } from "@/test/csv";
import { jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import type { TFunction } from "@/i18n";
import Journeys, { sankeyData } from "./Journeys";
import type { Journeys as JourneysData } from "./types";

function journeys(over: Partial<JourneysData> = {}): JourneysData {
  return {
    range: reportRange(),
    conversion: "lead",
    lookback_days: 90,
    conversions: 12,
    with_touches: 10,
    without_touches: 2,
    distinct_paths: 2,
    revenue: "1500.00",
    average_touches: 2.5,
    average_time_to_convert: 3 * 86400,
    other_currencies: [],
    paths: [
      { channels: ["Paid Social", "Organic Search", "Direct"], label: "Paid Social > Organic Search > Direct", conversions: 7, share: 0.7, revenue: "1000.00", average_touches: 3, average_time_to_convert: 4 * 86400 },
      { channels: ["Direct"], label: "Direct", conversions: 3, share: 0.3, revenue: "500.00", average_touches: 1, average_time_to_convert: 7200 },
    ],
    flow: {
      max_steps: 5,
      truncated_paths: 0,
      nodes: [
        { step: 1, name: "Paid Social" },
        { step: 2, name: "Organic Search" },
        { step: 3, name: "Direct" },
        { step: null, name: "lead" },
        { step: 1, name: "Direct" },
      ],
      links: [
        { source: 0, target: 1, value: 7 },
        { source: 1, target: 2, value: 7 },
        { source: 2, target: 3, value: 7 },
        { source: 4, target: 3, value: 3 },
      ],
    },
    ...over,
  };
}

function mount(data: JourneysData = journeys(), locale: "en" | "pt-BR" = "en") {
  const api = routeFetch({ "GET /api/analytics/journeys": () => jsonResponse(data) });
  vi.stubGlobal("fetch", api.fetch);
  renderWithProviders(<Journeys />, { route: "/analytics/journeys", locale, me: makeMe(["analytics:read"]) });
  return api;
}

describe("Journeys", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("shows the top paths with translated channels and the flow chart", async () => {
    mount(journeys(), "pt-BR");
    const table = await screen.findByTestId("table-journeys");
    expect(within(table).getByText("Social pago > Pesquisa orgânica > Direto")).toBeInTheDocument();
    expect(within(screen.getByTestId("kpi-average_time")).getByTestId("kpi-value")).toHaveTextContent("3 dias");
    expect(screen.getByText(/2 conversões não tiveram visita/)).toBeInTheDocument();
    expect(screen.getByTestId("journey-flow")).toBeInTheDocument();
    expect(document.body.textContent).not.toMatch(/NaN|undefined|Infinity/);
  });

  it("builds the Sankey's nodes (step and translated channel, then the conversion) and links", () => {
    const t = ((key: string) => ({ "analytics.channel.Paid Social": "Paid Social", "analytics.channel.Organic Search": "Organic Search", "analytics.channel.Direct": "Direct", "analytics.journeys.conversion.lead": "Lead" })[key] ?? key) as TFunction;
    const chart = sankeyData(journeys().flow, t);
    expect(chart.nodes.map((n) => n.name)).toEqual(["1. Paid Social", "2. Organic Search", "3. Direct", "Lead", "1. Direct"]);
    expect(chart.links).toEqual([
      { source: 0, target: 1, value: 7 },
      { source: 1, target: 2, value: 7 },
      { source: 2, target: 3, value: 7 },
      { source: 4, target: 3, value: 3 },
    ]);
  });

  it("asks for sales and another lookback when chosen", async () => {
    const api = mount();
    await screen.findByTestId("table-journeys");
    expect(api.calls[0]?.url.searchParams.get("conversion")).toBe("lead");
    expect(api.calls[0]?.url.searchParams.get("lookback_days")).toBe("90");
    fireEvent.click(screen.getByTestId("journey-conversion-won"));
    fireEvent.change(screen.getByTestId("journey-lookback"), { target: { value: "30" } });
    await waitFor(() =>
      expect(api.calls.some((c) => c.url.searchParams.get("conversion") === "won" && c.url.searchParams.get("lookback_days") === "30")).toBe(true),
    );
  });

  it("exports the paths table as shown", async () => {
    mount();
    const csv = captureCsv();
    const table = await screen.findByTestId("table-journeys");
    fireEvent.click(within(table).getByTestId("csv-button"));
    expect(await csv.text()).toBe(
      "Path (repeats collapsed),Conversions,Share (%),Revenue (BRL),Average touches,Average time to convert (days)\r\n" +
        "Paid Social > Organic Search > Direct,7,70,1000,3,4\r\n" +
        "Direct,3,30,500,1,0.1\r\n",
    );
    csv.restore();
  });

  it("says so when no conversion has a known path", async () => {
    mount(journeys({ conversions: 0, with_touches: 0, without_touches: 0, distinct_paths: 0, revenue: "0", average_touches: null, average_time_to_convert: null, paths: [], flow: { max_steps: 5, truncated_paths: 0, nodes: [], links: [] } }));
    expect(await screen.findByTestId("flow-empty")).toBeInTheDocument();
    expect(within(screen.getByTestId("kpi-average_touches")).getByTestId("kpi-value")).toHaveTextContent("—");
    expect(document.body.textContent).not.toMatch(/NaN|Infinity/);
  });
});
