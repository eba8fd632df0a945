import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { Route, Routes, useLocation } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { errorResponse, jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import Overview from "./Overview";
import type { Overview as OverviewData, Totals } from "./types";

function totals(over: Partial<Totals> = {}): Totals {
  return {
    visitors: 900,
    sessions: 1200,
    new_sessions: 800,
    bounce_rate: 0.4,
    pages_per_session: 2.5,
    leads: 60,
    qualified: 30,
    won: 12,
    revenue: [
      { currency: "BRL", amount: "15432.50" },
      { currency: "USD", amount: "100.00" },
    ],
    conversion_rate: 0.05,
    qualification_rate: 0.5,
    win_rate: 0.2,
    average_score: 2.5,
    average_time_to_conversion: 3600,
    average_sales_cycle: 86400,
    cost: null,
    roas: null,
    ...over,
  };
}

const period = (from: string, to: string) => ({ date_from: from, date_to: to, start: `${from}T03:00:00Z`, end: `${to}T03:00:00Z` });

function overview(over: Partial<OverviewData> = {}): OverviewData {
  return {
    range: { current: period("2025-03-01", "2025-03-03"), previous: null, timezone: "America/Sao_Paulo", currency: "BRL", data_through: "2025-03-03T12:00:00Z" },
    attribution_model: "last_touch",
    totals: totals(),
    previous: null,
    series: [
      { date: "2025-03-01", visitors: 300, sessions: 400, leads: 20, qualified: 10, won: 4, revenue: "5000.00" },
      { date: "2025-03-02", visitors: 300, sessions: 400, leads: 20, qualified: 10, won: 4, revenue: "5000.00" },
      { date: "2025-03-03", visitors: 300, sessions: 400, leads: 20, qualified: 10, won: 4, revenue: "5432.50" },
    ],
    previous_series: null,
    by_channel: [
      { key: "Paid Search", label: null, sessions: 700, leads: 40, qualified: 20, won: 9, revenue: "12000.00", conversion_rate: 40 / 700, win_rate: 0.225 },
      { key: "Organic Search", label: null, sessions: 500, leads: 20, qualified: 10, won: 3, revenue: "3432.50", conversion_rate: 0.04, win_rate: 0.15 },
    ],
    by_campaign: [
      { key: "black-friday", label: null, sessions: 700, leads: 40, qualified: 20, won: 9, revenue: "12000.00", conversion_rate: 40 / 700, win_rate: 0.225 },
      { key: null, label: null, sessions: 500, leads: 20, qualified: 10, won: 3, revenue: "3432.50", conversion_rate: 0.04, win_rate: null },
    ],
    live_visitors: 7,
    other_currencies: ["USD"],
    cost_note: "no_spend_data",
    ...over,
  };
}

function empty(): OverviewData {
  const zero = totals({ visitors: 0, sessions: 0, new_sessions: 0, leads: 0, qualified: 0, won: 0, revenue: [], conversion_rate: null, qualification_rate: null, win_rate: null, bounce_rate: null, pages_per_session: null, average_score: null, average_time_to_conversion: null, average_sales_cycle: null });
  return overview({ totals: zero, series: [], by_channel: [], by_campaign: [], live_visitors: 0, other_currencies: [] });
}

function Search() {
  return <output data-testid="search">{useLocation().search}</output>;
}

function renderOverview(route: string, locale: "en" | "pt-BR" = "en", permissions = ["analytics:read"]) {
  return renderWithProviders(
    <Routes>
      <Route
        path="/analytics"
        element={
          <>
            <Overview />
            <Search />
          </>
        }
      />
    </Routes>,
    { route, locale, me: makeMe(permissions) },
  );
}

const kpi = (id: string) => within(screen.getByTestId(`kpi-${id}`)).getByTestId("kpi-value").textContent;

describe("Overview", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("shows the key figures in pt-BR, cost and ROAS as — with the reason, visitors now, and no NaN", async () => {
    const api = routeFetch({ "GET /api/analytics/overview": () => jsonResponse(overview()) });
    vi.stubGlobal("fetch", api.fetch);
    renderOverview("/analytics", "pt-BR");
    await screen.findByTestId("kpi-sessions");
    expect(kpi("visitors")).toBe("900");
    expect(kpi("sessions")).toBe("1.200");
    expect(kpi("revenue")?.replace(/\s/g, " ")).toBe("R$ 15.432,50");
    expect(within(screen.getByTestId("kpi-revenue")).getByText(/US\$\s100,00/)).toBeInTheDocument();
    expect(kpi("conversion_rate")).toBe("5%");
    expect(kpi("cost")).toBe("—");
    expect(kpi("roas")).toBe("—");
    expect(within(screen.getByTestId("kpi-cost")).getByText(/Nenhum gasto com anúncios/)).toBeInTheDocument();
    expect(screen.getByTestId("live-visitors-count")).toHaveTextContent("7");
    expect(screen.getByTestId("overview-period")).toHaveTextContent("01/03/2025 – 03/03/2025");
    const channels = screen.getByTestId("table-channels");
    expect(within(channels).getByText("Pesquisa paga")).toBeInTheDocument();
    expect(within(channels).getByText("Pesquisa orgânica")).toBeInTheDocument();
    expect(within(screen.getByTestId("table-campaigns")).getByText("(sem campanha)")).toBeInTheDocument();
    expect(document.body.textContent).not.toMatch(/NaN|undefined|Infinity/);
    expect(api.calls[0]?.url.searchParams.get("preset")).toBe("last_30_days");
  });

  it("shows the funnels block with each funnel's checkout figures and a link to its analytics", async () => {
    const summary = {
      period: period("2025-03-01", "2025-03-03"),
      timezone: "America/Sao_Paulo",
      currency: "BRL",
      more: false,
      funnels: [{ funnel_id: "f1", name: "Lançamento <b>", checkout_visitors: 30, pix_generated: 12, paid: 6, paid_rate: 0.5, revenue: "582.00" }],
    };
    const api = routeFetch({
      "GET /api/analytics/overview": () => jsonResponse(overview()),
      "GET /api/analytics/funnels": () => jsonResponse(summary),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderOverview("/analytics", "pt-BR", ["analytics:read", "funnels:read"]);
    const table = await screen.findByTestId("table-funnels", {}, { timeout: 5000 });
    const link = within(table).getByRole("link", { name: "Lançamento <b>" });
    expect(link).toHaveAttribute("href", "/funnels/f1/analytics?date_from=2025-03-01&date_to=2025-03-03");
    expect(within(table).getByText("R$ 582,00")).toBeInTheDocument();
    expect(within(table).getByText("50%")).toBeInTheDocument();
    const asked = api.calls.find((c) => c.url.pathname === "/api/analytics/funnels");
    expect(asked?.url.searchParams.get("date_from")).toBe("2025-03-01");
    expect(screen.getByText(/os filtros acima não se aplicam/)).toBeInTheDocument();
  });

  it("shows each figure's change when the URL asks for a comparison", async () => {
    const data = overview({
      range: { ...overview().range, previous: period("2025-02-26", "2025-02-28") },
      previous: totals({ sessions: 1000, leads: 0, conversion_rate: 0.04 }),
      previous_series: overview().series.map((p) => ({ ...p, sessions: 300 })),
    });
    const api = routeFetch({ "GET /api/analytics/overview": () => jsonResponse(data) });
    vi.stubGlobal("fetch", api.fetch);
    renderOverview("/analytics?compare=previous&channel=Paid+Search");
    await screen.findByTestId("kpi-sessions");
    expect(api.calls[0]?.url.searchParams.get("compare")).toBe("previous");
    expect(api.calls[0]?.url.searchParams.get("channel")).toBe("Paid Search");
    expect(within(screen.getByTestId("kpi-sessions")).getByTestId("kpi-change")).toHaveTextContent("+20% vs compared period");
    // Nothing before: no percentage out of a zero.
    expect(within(screen.getByTestId("kpi-leads")).getByTestId("kpi-change")).toHaveTextContent("no data to compare");
    expect(within(screen.getByTestId("kpi-conversion_rate")).getByTestId("kpi-change")).toHaveTextContent("+1 p.p. vs compared period");
    expect(screen.getByTestId("overview-period")).toHaveTextContent("compared with");
    expect(document.body.textContent).not.toMatch(/NaN|Infinity/);
  });

  it("changing a filter asks the API again with it, and puts it in the URL", async () => {
    const api = routeFetch({ "GET /api/analytics/overview": () => jsonResponse(overview()) });
    vi.stubGlobal("fetch", api.fetch);
    renderOverview("/analytics");
    await screen.findByTestId("kpi-sessions");
    fireEvent.change(screen.getByLabelText("Channel"), { target: { value: "Email" } });
    await waitFor(() => expect(api.calls.some((c) => c.url.searchParams.get("channel") === "Email")).toBe(true));
    expect(screen.getByTestId("search")).toHaveTextContent("channel=Email");
  });

  it("sorts a table and exports exactly the rows shown, in that order", async () => {
    const api = routeFetch({ "GET /api/analytics/overview": () => jsonResponse(overview()) });
    vi.stubGlobal("fetch", api.fetch);
    const blobs: Blob[] = [];
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: (b: Blob) => (blobs.push(b), "blob:x"), revokeObjectURL: () => undefined }));
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => undefined);
    renderOverview("/analytics");
    const table = await screen.findByTestId("table-channels");
    fireEvent.click(within(table).getByTestId("sort-sessions"));
    fireEvent.click(within(table).getByTestId("sort-sessions")); // ascending: Organic first
    fireEvent.click(within(table).getByTestId("csv-button"));
    expect(click).toHaveBeenCalledOnce();
    const text = await new Promise<string>((resolve) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result));
      reader.readAsText(blobs[0] as Blob);
    });
    expect(text.replace(/^\uFEFF/, "")).toBe(
      "Channel,Sessions,Leads,Qualified,Won,Revenue (BRL),Conversion rate (%),Win rate (%)\r\n" +
        "Organic Search,500,20,10,3,3432.5,4,15\r\n" +
        "Paid Search,700,40,20,9,12000,5.7,22.5\r\n",
    );
    click.mockRestore();
  });

  it("says what to do next when the organization has no data at all", async () => {
    const api = routeFetch({ "GET /api/analytics/overview": () => jsonResponse(empty()) });
    vi.stubGlobal("fetch", api.fetch);
    renderOverview("/analytics?channel=Email", "pt-BR", ["analytics:read", "tracking:read", "tracking:write"]);
    const box = await screen.findByTestId("overview-empty");
    expect(within(box).getByText("Ainda não há dados")).toBeInTheDocument();
    expect(within(box).getByRole("link", { name: /Cadastrar um domínio/ })).toHaveAttribute("href", "/tracking/domains");
    // It asked the widest, unfiltered question before saying so.
    expect(api.calls.some((c) => c.url.searchParams.get("preset") === "last_12_months" && !c.url.searchParams.get("channel"))).toBe(true);
  });

  it("shows zeros, not the empty state, when only these filters have no data", async () => {
    const api = routeFetch({
      "GET /api/analytics/overview": (url) => jsonResponse(url.searchParams.get("channel") ? empty() : overview()),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderOverview("/analytics?channel=Email");
    await waitFor(() => expect(api.calls.length).toBe(2));
    expect(await screen.findByTestId("kpi-sessions")).toBeInTheDocument();
    expect(screen.queryByTestId("overview-empty")).toBeNull();
    expect(kpi("sessions")).toBe("0");
    expect(kpi("conversion_rate")).toBe("—");
    expect(screen.getByTestId("chart-empty")).toBeInTheDocument();
    expect(document.body.textContent).not.toMatch(/NaN|Infinity/);
  });

  it("keeps the filter bar when the API refuses the filters, so they can be fixed", async () => {
    const api = routeFetch({
      "GET /api/analytics/overview": (url) =>
        url.searchParams.get("date_from") === "2025-02-01" ? errorResponse(422, "invalid_date_range", "The range is reversed.") : jsonResponse(overview()),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderOverview("/analytics?date_from=2025-02-01&date_to=2025-01-01");
    expect(await screen.findByRole("alert")).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText("Period"), { target: { value: "last_7_days" } });
    expect(await screen.findByTestId("kpi-sessions")).toBeInTheDocument();
    expect(screen.getByTestId("search")).toHaveTextContent("preset=last_7_days");
  });
});
