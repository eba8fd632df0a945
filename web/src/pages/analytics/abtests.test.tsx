import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { en } from "@/i18n/en";
import { jsonResponse, renderWithProviders, routeFetch } from "@/test/utils";
import AbTestPage, { AbTestResults } from "./AbTest";
import AbTestList from "./AbTestList";
import { cumulativeSeries, formatPValue, type AbTestReport, type AbTestSummary, type AbVerdict } from "./abTests";

afterEach(() => vi.unstubAllGlobals());

const CONTROL = "11111111-1111-1111-1111-111111111111";
const VARIANT = "22222222-2222-2222-2222-222222222222";

function verdict(code: AbVerdict["code"], reason: AbVerdict["reason"], planned: number | null = 8000): AbVerdict {
  return { code, reason, planned_visitors: planned, alpha: 0.05 };
}

function report(over: Partial<AbTestReport> = {}): AbTestReport {
  const rate = {
    page_id: VARIANT,
    control_rate: 0.05,
    variant_rate: 0.0625,
    absolute_lift: 0.0125,
    relative_lift: 0.25,
    z: 3.81,
    p_value: 0.00014,
    ci_low: 0.0061,
    ci_high: 0.0189,
    probability_to_beat_control: 0.9999,
    verdict: verdict("variant_wins", "significant"),
  };
  return {
    ab_test_id: "t1",
    name: "Hero headline <b>bold</b>",
    domain_id: "d1",
    is_active: true,
    created_at: "2025-03-01T12:00:00Z",
    period: { date_from: "2025-03-01", date_to: "2025-03-03", timezone: "America/Sao_Paulo", currency: "BRL", data_through: null },
    rule: { min_visitors: 100, min_conversions: 10, minimum_detectable_effect: 0.2, alpha: 0.05, power: 0.8 },
    variants: [
      { page_id: CONTROL, page_name: "LP original", page_variant: "A", is_control: true, weight: 1, visitors: 10000, leads: 500, won: 50, revenue: "5000.00", lead_rate: 0.05, win_rate: 0.005, revenue_per_visitor: 0.5 },
      { page_id: VARIANT, page_name: "LP new hero", page_variant: "B", is_control: false, weight: 1, visitors: 10000, leads: 625, won: 55, revenue: "6100.00", lead_rate: 0.0625, win_rate: 0.0055, revenue_per_visitor: 0.61 },
    ],
    sample_ratio: { chi_square: 0, degrees_of_freedom: 1, p_value: 1, mismatch: false },
    leads: { verdict: verdict("variant_wins", "significant"), winner_page_id: VARIANT, comparisons: [rate] },
    won: { verdict: verdict("collecting_data", "below_planned_sample", 160000), winner_page_id: null, comparisons: [{ ...rate, verdict: verdict("collecting_data", "below_planned_sample", 160000) }] },
    revenue: {
      verdict: verdict("no_difference_yet", "not_significant"),
      winner_page_id: null,
      comparisons: [
        { page_id: VARIANT, control_mean: 0.5, variant_mean: 0.61, absolute_lift: 0.11, relative_lift: 0.22, t: 1.2, degrees_of_freedom: 19990.4, p_value: 0.23, verdict: verdict("no_difference_yet", "not_significant") },
      ],
    },
    series: [
      { date: "2025-03-01", page_id: CONTROL, visitors: 100, leads: 5, won: 1, revenue: "100.00" },
      { date: "2025-03-01", page_id: VARIANT, visitors: 50, leads: 5, won: 0, revenue: "0" },
      { date: "2025-03-02", page_id: CONTROL, visitors: 100, leads: 15, won: 0, revenue: "0" },
      { date: "2025-03-03", page_id: VARIANT, visitors: 50, leads: 0, won: 1, revenue: "300.00" },
    ],
    ...over,
  };
}

describe("cumulativeSeries", () => {
  it("accumulates converted visitors per visitor, day by day, per variant", () => {
    const points = cumulativeSeries(report(), "leads");
    expect(points.map((p) => p.date)).toEqual(["2025-03-01", "2025-03-02", "2025-03-03"]);
    expect(points[0]).toMatchObject({ [CONTROL]: 0.05, [VARIANT]: 0.1 });
    expect(points[1]).toMatchObject({ [CONTROL]: 0.1, [VARIANT]: 0.1 });
    expect(points[2]).toMatchObject({ [CONTROL]: 0.1, [VARIANT]: 0.05 });
  });
  it("gives revenue per visitor, and null (not NaN) before a variant's first visitor", () => {
    const data = report({ series: [{ date: "2025-03-01", page_id: CONTROL, visitors: 4, leads: 0, won: 1, revenue: "10.00" }] });
    expect(cumulativeSeries(data, "revenue")).toEqual([{ date: "2025-03-01", [CONTROL]: 2.5, [VARIANT]: null }]);
    expect(cumulativeSeries(report({ series: [] }), "won")).toEqual([]);
  });
});

describe("formatPValue", () => {
  it("shows tiny p-values as a bound and others with three decimals", () => {
    expect(formatPValue(0.00001, "en")).toBe("< 0.001");
    expect(formatPValue(0.04321, "pt-BR")).toBe("0,043");
    expect(formatPValue(null, "en")).toBe("—");
  });
});

describe("AbTestResults", () => {
  it("says which variant wins on leads and keeps user text as text", () => {
    const { container } = renderWithProviders(<AbTestResults report={report()} />);
    const panel = screen.getByTestId("ab-verdict");
    expect(panel).toHaveAttribute("data-code", "variant_wins");
    expect(panel).toHaveTextContent("B · LP new hero wins.");
    expect(panel).toHaveTextContent("p < 0.05");
    expect(screen.getByText("Hero headline <b>bold</b>")).toBeInTheDocument();
    expect(container.querySelector("b")).toBeNull();
    const rows = screen.getAllByTestId("ab-variant-row");
    expect(rows).toHaveLength(2);
    expect(within(rows[0]).getByText("Control")).toBeInTheDocument();
    const comparison = screen.getByTestId("ab-comparison-row");
    expect(comparison).toHaveTextContent("+1.25 pp");
    expect(comparison).toHaveTextContent("+25%");
    expect(comparison).toHaveTextContent("< 0.001");
    expect(comparison).toHaveTextContent("+0.61 pp … +1.89 pp");
    expect(comparison).toHaveTextContent("100%");
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("switches metric: won deals are still collecting data, revenue uses Welch", async () => {
    renderWithProviders(<AbTestResults report={report()} />);
    await userEvent.click(screen.getByRole("radio", { name: "Won deals" }));
    const panel = screen.getByTestId("ab-verdict");
    expect(panel).toHaveAttribute("data-code", "collecting_data");
    expect(panel).toHaveTextContent("Each variant needs 160,000 visitors to detect a 20% change");
    await userEvent.click(screen.getByRole("radio", { name: "Revenue per visitor" }));
    expect(screen.getByTestId("ab-verdict")).toHaveTextContent("No significant difference yet.");
    expect(screen.getByText(en["ab.methods.revenue"])).toBeInTheDocument();
    expect(screen.getByTestId("ab-comparison-row")).toHaveTextContent("1.2 (19,990)");
  });

  it("warns about a sample-ratio mismatch, in Portuguese without English", () => {
    const broken = report({
      sample_ratio: { chi_square: 40.5, degrees_of_freedom: 1, p_value: 0.0000002, mismatch: true },
      leads: { verdict: verdict("srm_warning", "sample_ratio_mismatch"), winner_page_id: null, comparisons: report().leads.comparisons },
    });
    renderWithProviders(<AbTestResults report={broken} />, { locale: "pt-BR" });
    expect(screen.getByRole("alert")).toHaveTextContent("A divisão do tráfego não corresponde aos pesos");
    expect(screen.getByRole("alert")).toHaveTextContent("p = < 0,001");
    expect(screen.getByTestId("ab-verdict")).toHaveTextContent("Resultados suspensos");
    expect(screen.queryByText(/\b(wins|Control|collecting|Variants)\b/)).toBeNull();
  });
});

describe("AbTestPage and AbTestList", () => {
  it("loads one test by its id", async () => {
    const api = routeFetch({ "GET /api/analytics/ab-tests/t1": () => jsonResponse(report()) });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<AbTestPage />, { route: "/analytics/ab-tests/t1", path: "/analytics/ab-tests/:abTestId" });
    expect(await screen.findByText("Hero headline <b>bold</b>")).toBeInTheDocument();
    expect(api.calls.map((c) => c.url.pathname)).toEqual(["/api/analytics/ab-tests/t1"]);
  });

  it("lists tests with their verdict and links to each, or says how to start", async () => {
    const summary: AbTestSummary = {
      ab_test_id: "t1",
      name: "Hero headline",
      domain_id: "d1",
      is_active: false,
      created_at: "2025-03-01T12:00:00Z",
      variants: 2,
      visitors: 1234,
      leads: 56,
      verdict: verdict("collecting_data", "too_few_visitors"),
      winner_page_id: null,
      sample_ratio_mismatch: true,
    };
    vi.stubGlobal("fetch", routeFetch({ "GET /api/analytics/ab-tests": () => jsonResponse([summary]) }).fetch);
    renderWithProviders(<AbTestList />);
    const row = await screen.findByTestId("ab-test-row");
    expect(within(row).getByRole("link", { name: "Hero headline" })).toHaveAttribute("href", "/analytics/ab-tests/t1");
    expect(row).toHaveTextContent("1,234");
    expect(row).toHaveTextContent("Stopped");
    expect(row).toHaveTextContent("Collecting data");
    expect(row).toHaveTextContent("Split mismatch");
  });

  it("shows the empty state without tests", async () => {
    vi.stubGlobal("fetch", routeFetch({ "GET /api/analytics/ab-tests": () => jsonResponse([]) }).fetch);
    renderWithProviders(<AbTestList />);
    expect(await screen.findByText(en["ab.empty"])).toBeInTheDocument();
  });
});
