import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { captureCsv, reportRange } from "@/test/csv";
import { jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import Cohorts from "./Cohorts";
import type { CohortRow, Cohorts as CohortsData } from "./types";

function cohort(start: string, leads: number, revenueByAge: number[], customersByAge: number[], key: string | null = null): CohortRow {
  let total = 0;
  const ltv = revenueByAge.map((r, age) => {
    total += r;
    const customers = customersByAge[age] ?? 0;
    return { age, revenue: total.toFixed(2), customers, revenue_per_lead: total / leads, revenue_per_customer: customers ? total / customers : null };
  });
  const customers = customersByAge[customersByAge.length - 1] ?? 0;
  return {
    start,
    key,
    leads,
    won: customers + 1,
    customers,
    repeat_customers: 1,
    revenue: total.toFixed(2),
    revenue_per_lead: total / leads,
    revenue_per_customer: customers ? total / customers : null,
    ltv,
    cac: null,
    payback_periods: null,
  };
}

function cohorts(over: Partial<CohortsData> = {}): CohortsData {
  return {
    range: reportRange("2025-01-01", "2025-03-31"),
    period: "month",
    by: "none",
    cohort_basis: "first_touch",
    cohorts: [cohort("2025-01-01", 10, [100, 50, 0], [1, 2, 2]), cohort("2025-02-01", 20, [400, 0], [2, 2])],
    other_currencies: [],
    cac_note: "no_spend_data",
    ...over,
  };
}

function mount(data: CohortsData = cohorts(), locale: "en" | "pt-BR" = "en") {
  const api = routeFetch({ "GET /api/analytics/cohorts": () => jsonResponse(data) });
  vi.stubGlobal("fetch", api.fetch);
  renderWithProviders(<Cohorts />, { route: "/analytics/cohorts", locale, me: makeMe(["analytics:read"]) });
  return api;
}

describe("Cohorts", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("shows the cohorts as a heat map with LTV curves and why CAC is empty, in pt-BR", async () => {
    mount(cohorts(), "pt-BR");
    const table = await screen.findByTestId("table-cohorts");
    expect(within(table).getByText("01/01/2025")).toBeInTheDocument();
    // Jan cohort: 100 then 150 over 10 leads → R$ 10,00 and R$ 15,00; Feb has no +2 yet.
    const cells = within(table).getAllByTestId("heat-cell").map((c) => c.textContent?.replace(/\s/g, " "));
    expect(cells).toEqual(["R$ 10,00", "R$ 15,00", "R$ 15,00", "R$ 20,00", "R$ 20,00", "—"]);
    expect(screen.getByTestId("cohort-cac-note")).toHaveTextContent("gastos com anúncios");
    expect(screen.getByTestId("cohort-chart")).toBeInTheDocument();
    expect(document.body.textContent).not.toMatch(/NaN|undefined|Infinity/);
  });

  it("asks again by week and by channel, and exports the table shown", async () => {
    const api = mount();
    const csv = captureCsv();
    await screen.findByTestId("table-cohorts");
    fireEvent.click(screen.getByTestId("cohort-period-week"));
    fireEvent.click(screen.getByTestId("cohort-by-channel"));
    await waitFor(() => expect(api.calls.some((c) => c.url.searchParams.get("period") === "week" && c.url.searchParams.get("by") === "channel")).toBe(true));
    fireEvent.click(screen.getByTestId("cohort-measure-revenue_per_customer"));
    fireEvent.click(within(screen.getByTestId("table-cohorts")).getByTestId("csv-button"));
    const text = await csv.text();
    expect(text.split("\r\n")[0]).toBe("Cohort,Leads,Customers,Repeat customers,Revenue (BRL),Week 0,Week 1,Week 2");
    expect(text).toContain(",10,2,1,150,100,75,75\r\n");
    csv.restore();
  });

  it("shows an empty state for an organization without leads", async () => {
    mount(cohorts({ cohorts: [] }));
    expect(await screen.findByTestId("cohort-empty")).toBeInTheDocument();
    expect(document.body.textContent).not.toMatch(/NaN|Infinity/);
  });
});
