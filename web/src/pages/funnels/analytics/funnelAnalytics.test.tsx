import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { captureCsv } from "@/test/csv";
import { jsonResponse, makeMe, renderWithProviders, routeFetch, errorResponse } from "@/test/utils";
import FunnelAnalyticsPage, { type FunnelReport } from "./FunnelAnalyticsPage";

const F = "f1";
const XSS = "<img src=x onerror=alert(1)>";

function report(over: Partial<FunnelReport> = {}): FunnelReport {
  return {
    funnel_id: F,
    name: "Lançamento",
    period: { date_from: "2026-11-10", date_to: "2026-11-10", start: "2026-11-10T03:00:00Z", end: "2026-11-11T03:00:00Z" },
    timezone: "America/Sao_Paulo",
    currency: "BRL",
    visitors: 4,
    steps: [
      { step_id: "s1", name: "Captura", step_type: "capture", order_index: 0, visitors: 4, rate_from_previous: null, rate_from_first: 1 },
      { step_id: "s2", name: "Checkout", step_type: "checkout", order_index: 1, visitors: 3, rate_from_previous: 0.75, rate_from_first: 0.75 },
      { step_id: "s3", name: "Upsell", step_type: "upsell", order_index: 2, visitors: 2, rate_from_previous: 2 / 3, rate_from_first: 0.5 },
    ],
    checkout: { checkout_visitors: 3, pix_generated: 4, paid: 2, reversed: 1, checkout_rate: 4 / 3, paid_rate: 0.5, revenue: "241.00", average_order: "120.50", bump_offered: 2, bump_taken: 1, bump_take_rate: 0.5, bump_revenue: "27.00" },
    offers: [{ step_id: "s3", name: "Upsell", step_type: "upsell", visitors: 2, pix_generated: 2, paid: 1, revenue: "47.00", take_rate: 0.5 }],
    dimension: "source",
    breakdown: [
      { value: "google", visitors: 1, checkout_visitors: 1, pix_generated: 1, paid: 1, revenue: "97.00", paid_rate: 1, conversion_rate: 1 },
      { value: XSS, visitors: 2, checkout_visitors: 2, pix_generated: 3, paid: 1, revenue: "144.00", paid_rate: 1 / 3, conversion_rate: 0.5 },
      { value: null, visitors: 1, checkout_visitors: 0, pix_generated: 0, paid: 0, revenue: "0.00", paid_rate: null, conversion_rate: 0 },
    ],
    ...over,
  };
}

function mount(answer: () => Response, { locale = "en" as "en" | "pt-BR", route = `/funnels/${F}/analytics` } = {}) {
  const api = routeFetch({ [`GET /api/analytics/funnels/${F}`]: answer });
  vi.stubGlobal("fetch", api.fetch);
  const view = renderWithProviders(<FunnelAnalyticsPage />, { route, path: "/funnels/:funnelId/analytics", me: makeMe(["analytics:read", "funnels:read"]), locale });
  return { ...view, api };
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("FunnelAnalyticsPage", () => {
  it("shows the figures, the chart and sortable tables with text only, and exports CSV", async () => {
    const user = userEvent.setup();
    const { container, api } = mount(() => jsonResponse(report()));
    const kpi = (id: string) => within(screen.getByTestId(`kpi-${id}`)).getByTestId("kpi-value").textContent;
    expect(await screen.findByTestId("funnel-chart")).toBeInTheDocument();
    expect(kpi("paid_rate")).toBe("50%");
    expect(kpi("revenue")).toBe("R$241.00");
    expect(kpi("average_order")).toBe("R$120.50");
    expect(kpi("bump_rate")).toBe("50%");
    expect(kpi("bump_revenue")).toBe("R$27.00");
    expect(api.calls[0].url.searchParams.get("preset")).toBe("last_30_days");
    expect(api.calls[0].url.searchParams.get("dimension")).toBe("source");

    const breakdown = screen.getByTestId("funnel-breakdown");
    expect(within(breakdown).getByText(XSS)).toBeInTheDocument();
    expect(container.querySelector("img")).toBeNull();
    expect(within(breakdown).getByText("(none)")).toBeInTheDocument();
    // Sorting by revenue puts the largest first.
    await user.click(within(breakdown).getByRole("button", { name: /Revenue/ }));
    const firstCells = within(breakdown).getAllByRole("row").slice(1).map((r) => within(r).getAllByRole("cell")[0].textContent);
    expect(firstCells).toEqual([XSS, "google", "(none)"]);

    const csv = captureCsv();
    await user.click(within(breakdown).getByTestId("csv-button"));
    const text = await csv.text();
    expect(text.split("\n")[0]).toContain("Source");
    expect(text).toContain("144");
    csv.restore();
    expect(within(screen.getByTestId("funnel-offers")).getByText("50%")).toBeInTheDocument();
  });

  it("leaves the order bump out when no paid order was offered one", async () => {
    const base = report();
    mount(() => jsonResponse(report({ checkout: { ...base.checkout, bump_offered: 0, bump_taken: 0, bump_take_rate: null, bump_revenue: "0.00" } })));
    expect(await screen.findByTestId("kpi-revenue")).toBeInTheDocument();
    expect(screen.queryByTestId("kpi-bump_rate")).toBeNull();
  });

  it("asks for a breakdown by campaign and a custom range", async () => {
    const user = userEvent.setup();
    const { api } = mount(() => jsonResponse(report()), { route: `/funnels/${F}/analytics?date_from=2026-11-01&date_to=2026-11-10` });
    await screen.findByTestId("funnel-chart");
    expect(api.calls[0].url.searchParams.get("date_from")).toBe("2026-11-01");
    expect(api.calls[0].url.searchParams.get("preset")).toBeNull();
    await user.selectOptions(screen.getByTestId("funnel-dimension"), "campaign");
    await waitFor(() => expect(api.calls.at(-1)?.url.searchParams.get("dimension")).toBe("campaign"));
  });

  it("says what to do when the period has no visits, in Portuguese", async () => {
    const empty = report({ visitors: 0, steps: [], offers: [], breakdown: [], checkout: { ...report().checkout, pix_generated: 0, paid: 0 } });
    mount(() => jsonResponse(empty), { locale: "pt-BR" });
    expect(await screen.findByText(/Nenhuma visita neste período ainda/)).toBeInTheDocument();
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Análise do funil: Lançamento");
  });

  it("shows the server's refusal", async () => {
    mount(() => errorResponse(422, "invalid_date_range", "The range ends in the future."));
    expect(await screen.findByRole("alert")).toBeInTheDocument();
  });
});
