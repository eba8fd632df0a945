import { fireEvent, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { captureCsv, reportRange } from "@/test/csv";
import { jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import type { Behavior, ReturningVisitors, VisitorSegment } from "./types";
import Visitors from "./Visitors";

function segment(name: VisitorSegment["segment"], visitors: number, sessions: number, pageViews: number, converted: number): VisitorSegment {
  return {
    segment: name,
    visitors,
    sessions,
    page_views: pageViews,
    pages_per_visitor: visitors ? pageViews / visitors : null,
    sessions_per_visitor: visitors ? sessions / visitors : null,
    converted_visitors: converted,
    conversion_rate: visitors ? converted / visitors : null,
  };
}

const SEGMENTS = [segment("new", 800, 800, 1600, 8), segment("returning", 150, 375, 1200, 9), segment("frequent", 50, 300, 1500, 5)];

function returning(over: Partial<ReturningVisitors> = {}): ReturningVisitors {
  return { range: reportRange(), sessions_counted: "period", segments: SEGMENTS, by_domain: [{ domain_id: "d1", segments: SEGMENTS }], ...over };
}

const path = (p: string, views: number, entries: number, exits: number) => ({ path: p, views, entries, exits, exit_rate: exits / views });

function behavior(over: Partial<Behavior> = {}): Behavior {
  return {
    range: reportRange(),
    sessions: 1475,
    page_views: 4300,
    events: 900,
    pages_per_session: 4300 / 1475,
    events_per_session: 900 / 1475,
    bounce_rate: 0.35,
    average_duration: 180,
    events_by_type: [
      { event_type: "click", events: 600, per_session: 600 / 1475 },
      { event_type: "form_submit", events: 300, per_session: 300 / 1475 },
    ],
    top_paths: [path("/lp", 2000, 900, 400), path("/precos", 1300, 200, 600)],
    top_entry_paths: [path("/lp", 2000, 900, 400)],
    top_exit_paths: [path("/precos", 1300, 200, 600), path("/lp", 2000, 900, 400)],
    ...over,
  };
}

function mount(data: { visitors?: ReturningVisitors; behavior?: Behavior } = {}, locale: "en" | "pt-BR" = "en") {
  const api = routeFetch({
    "GET /api/analytics/visitors/returning": () => jsonResponse(data.visitors ?? returning()),
    "GET /api/analytics/behavior": () => jsonResponse(data.behavior ?? behavior()),
    "GET /api/domains": () => jsonResponse({ items: [{ domain_id: "d1", domain_name: "loja.example.com.br" }], total: 1, page: 1, page_size: 200 }),
  });
  vi.stubGlobal("fetch", api.fetch);
  renderWithProviders(<Visitors />, { route: "/analytics/visitors?channel=Email", locale, me: makeMe(["analytics:read", "tracking:read"]) });
  return api;
}

describe("Visitors", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("shows new, returning and frequent visitors in pt-BR, per domain, with the filters sent", async () => {
    const api = mount({}, "pt-BR");
    const table = await screen.findByTestId("table-segments");
    expect(within(table).getByText("Recorrentes")).toBeInTheDocument();
    expect(within(table).getByText("Frequentes")).toBeInTheDocument();
    const frequent = within(table).getByText("Frequentes").closest("tr") as HTMLElement;
    // 50 visitors, 300 sessions, 1500 / 50 = 30 pages per visitor, 5 leads, 5 / 50 = 10 %.
    expect(within(frequent).getAllByRole("cell").map((c) => c.textContent)).toEqual(["Frequentes", "50", "300", "30", "5", "10%"]);
    expect(await within(screen.getByTestId("table-segments-domains")).findAllByText("loja.example.com.br")).toHaveLength(3);
    expect(screen.getByText("Eventos por tipo")).toBeInTheDocument();
    expect(within(screen.getByTestId("kpi-bounce_rate")).getByTestId("kpi-value")).toHaveTextContent("35%");
    expect(api.calls.find((c) => c.url.pathname === "/api/analytics/behavior")?.url.searchParams.get("channel")).toBe("Email");
    expect(document.body.textContent).not.toMatch(/NaN|undefined|Infinity/);
  });

  it("switches the paths table between views, entries and exits, and exports what is shown", async () => {
    mount();
    const csv = captureCsv();
    const paths = await screen.findByTestId("table-paths");
    expect(within(paths).getAllByRole("row")).toHaveLength(3);
    fireEvent.click(screen.getByTestId("paths-by-exits"));
    expect(screen.getByText("Top exit paths")).toBeInTheDocument();
    fireEvent.click(within(screen.getByTestId("table-paths")).getByTestId("csv-button"));
    expect(await csv.text()).toBe("Path,Views,Entries,Exits,Exit rate (%)\r\n/precos,1300,200,600,46.2\r\n/lp,2000,900,400,20\r\n");
    csv.restore();
  });

  it("shows dashes, not NaN, for an organization without data", async () => {
    const zero = SEGMENTS.map((s) => segment(s.segment, 0, 0, 0, 0));
    mount({
      visitors: returning({ segments: zero, by_domain: [] }),
      behavior: behavior({ sessions: 0, page_views: 0, events: 0, pages_per_session: null, events_per_session: null, bounce_rate: null, average_duration: null, events_by_type: [], top_paths: [], top_entry_paths: [], top_exit_paths: [] }),
    });
    await screen.findByTestId("table-segments");
    expect(screen.queryByTestId("table-segments-domains")).toBeNull();
    expect(within(screen.getByTestId("kpi-pages_per_session")).getByTestId("kpi-value")).toHaveTextContent("—");
    expect(document.body.textContent).not.toMatch(/NaN|Infinity/);
  });
});
