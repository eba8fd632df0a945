import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import { DomainStatus } from "./activity";
import HistorySection from "./HistorySection";
import { historyFilters, historyQuery, localDay } from "./historyFilters";

const XSS = "<img src=x onerror=alert(1)>";

function item(id: string, over: Record<string, unknown> = {}) {
  return {
    session_id: id,
    domain_id: "D1",
    visitor_id: "v",
    started_at: "2025-03-01T12:00:00Z",
    last_activity_at: "2025-03-01T12:05:00Z",
    total_page_views: 3,
    total_events: 4,
    converted: false,
    return_visits: 0,
    is_bot: false,
    channel: "Paid Search",
    source: "google",
    medium: "cpc",
    campaign: "bf",
    content: null,
    device: "mobile",
    landing_page_id: null,
    ...over,
  };
}

afterEach(() => vi.unstubAllGlobals());

describe("session history filters", () => {
  it("reads the URL, drops bad values, and asks for whole local days (last 7 by default)", () => {
    const f = historyFilters(new URLSearchParams("from=2025-03-01&to=2025-03-31&device=fridge&converted=yes&bots=1&channel=Email"));
    expect(f.device).toBeNull();
    const q = historyQuery(f, 2, 20);
    expect(q.started_from).toBe(new Date(2025, 2, 1).toISOString());
    expect(q.started_to).toBe(new Date(2025, 3, 1).toISOString());
    expect(q).toMatchObject({ converted: true, include_bots: true, channel: "Email", page: 2 });
    const now = new Date(2025, 5, 10, 15);
    const fallback = historyQuery(historyFilters(new URLSearchParams()), 1, 20, now);
    expect(fallback.started_from).toBe(new Date(2025, 5, 4).toISOString());
    expect(fallback.started_to).toBe(new Date(2025, 5, 11).toISOString());
    expect(fallback.include_bots).toBeUndefined();
    expect(localDay(now, -6)).toBe("2025-06-04");
  });
});

describe("HistorySection", () => {
  it("lists the sessions of the URL's filters as text, and changes the filters in the URL", async () => {
    const user = userEvent.setup();
    const api = routeFetch({
      "GET /api/sessions": () => jsonResponse({ items: [item("s1", { campaign: XSS, converted: true }), item("s2", { is_bot: true, device: "watch" })], total: 2, page: 1, page_size: 20 }),
      "GET /api/domains": () => jsonResponse({ items: [], total: 0, page: 1, page_size: 100 }),
      "GET /api/landing-pages": () => jsonResponse({ items: [], total: 0, page: 1, page_size: 100 }),
    });
    vi.stubGlobal("fetch", api.fetch);
    const { container } = renderWithProviders(<HistorySection />, { me: makeMe(["tracking:read"]), route: "/tracking/sessions?campaign=bf&bots=1" });
    const rows = await screen.findAllByTestId("history-row");
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent(XSS);
    expect(container.querySelector("img")).toBeNull();
    expect(within(rows[0]).getByText("Converted")).toBeInTheDocument();
    expect(rows[1]).toHaveTextContent("watch");
    expect(screen.getByTestId("history-total")).toHaveTextContent("2 sessions");
    expect(screen.getByTestId("csv-button")).toBeEnabled();
    const first = api.calls.find((c) => c.url.pathname === "/api/sessions")!;
    expect(first.url.searchParams.get("campaign")).toBe("bf");
    expect(first.url.searchParams.get("include_bots")).toBe("true");
    await user.selectOptions(screen.getByLabelText("Device"), "desktop");
    await waitFor(() => expect(api.calls.filter((c) => c.url.pathname === "/api/sessions").at(-1)!.url.searchParams.get("device")).toBe("desktop"));
    await user.type(screen.getByLabelText("Medium"), "cpc{Enter}");
    await waitFor(() => expect(api.calls.filter((c) => c.url.pathname === "/api/sessions").at(-1)!.url.searchParams.get("medium")).toBe("cpc"));
  });
});

describe("DomainStatus", () => {
  it("says installed with the last event and today's sessions, or what to do when nothing came", async () => {
    const api = routeFetch({
      "GET /api/tracking/activity": () =>
        jsonResponse({
          today_start: "2025-03-01T03:00:00Z",
          since: "2025-02-01T00:00:00Z",
          domains: [{ domain_id: "D1", last_event_at: new Date(Date.now() - 120_000).toISOString(), sessions_today: 12 }],
          landing_pages: [],
        }),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(
      <>
        <DomainStatus domainId="D1" />
        <DomainStatus domainId="D2" />
      </>,
      { me: makeMe(["tracking:read"]) },
    );
    const [installed, waiting] = await screen.findAllByTestId("domain-status");
    expect(installed).toHaveAttribute("data-state", "installed");
    expect(installed).toHaveTextContent(/Installed — last event 2 minutes ago · 12 sessions today/);
    expect(waiting).toHaveAttribute("data-state", "waiting");
    expect(waiting).toHaveTextContent("No event yet");
  });
});
