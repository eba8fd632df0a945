import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, unwrap } from "@/api/client";
import { Route, Routes } from "react-router";
import { errorResponse, jsonResponse, renderWithProviders, routeFetch } from "@/test/utils";
import { AbTestCard } from "./LandingPagesSection";
import { DomainForm } from "./DomainForm";
import { SnippetBox } from "./DomainsSection";
import { formatTimeOnPage } from "./format";
import { groupTouches } from "./journey";
import { LiveTable, RefLookup } from "./LiveSection";
import { EventsTable, PageViewList } from "./SessionSection";
import type { AbTest, PageView, SessionSummary, Touchpoint, TrackedEvent } from "./types";

const XSS = "<script>alert(1)</script>";
const IMG = "<img src=x onerror=alert(1)>";

function session(over: Partial<SessionSummary> = {}): SessionSummary {
  return {
    session_id: "s_abcdefghijklmnopqrstuv",
    visitor_id: "v_abcdefghijklmnopqrstuv",
    domain_id: "d1",
    started_at: "2025-01-01T12:00:00Z",
    last_activity_at: "2025-01-01T12:04:00Z",
    total_page_views: 3,
    total_events: 5,
    converted: false,
    return_visits: 0,
    is_bot: false,
    channel: "Paid Search",
    source: "google",
    medium: "cpc",
    ...over,
  };
}

describe("formatTimeOnPage", () => {
  it("formats seconds as mm:ss", () => {
    expect(formatTimeOnPage(0)).toBe("00:00");
    expect(formatTimeOnPage(7)).toBe("00:07");
    expect(formatTimeOnPage(65)).toBe("01:05");
    expect(formatTimeOnPage(59.6)).toBe("01:00");
    expect(formatTimeOnPage(3599)).toBe("59:59");
    expect(formatTimeOnPage(99 * 60 + 59)).toBe("99:59");
  });
  it("switches to h:mm:ss from 100 minutes and rejects missing or bad values", () => {
    expect(formatTimeOnPage(100 * 60)).toBe("1:40:00");
    expect(formatTimeOnPage(null)).toBeNull();
    expect(formatTimeOnPage(undefined)).toBeNull();
    expect(formatTimeOnPage(-3)).toBeNull();
    expect(formatTimeOnPage(Number.NaN)).toBeNull();
  });
});

describe("LiveTable", () => {
  it("renders collected values (a <script> source/medium) as text and links to the session", () => {
    const { container } = renderWithProviders(
      <LiveTable sessions={[session({ source: XSS, medium: IMG, return_visits: 2, channel: XSS })]} now={new Date("2025-01-01T12:05:00Z")} />,
    );
    const row = screen.getByTestId("live-session-row");
    expect(row).toHaveTextContent(`${XSS} / ${IMG}`);
    expect(container.querySelector("script")).toBeNull();
    expect(container.querySelector("img")).toBeNull();
    expect(within(row).getByText("Returning")).toBeInTheDocument();
    expect(within(row).getByTestId("live-session-link")).toHaveAttribute("href", "/tracking/sessions/s_abcdefghijklmnopqrstuv");
    expect(row).toHaveTextContent("5 minutes ago");
    expect(row).toHaveTextContent("1 minute ago");
  });
});

describe("session timeline pieces", () => {
  it("lists page views in order with time on page and the exit marker, as text", () => {
    const views: PageView[] = [
      { view_id: "b", view_order: 2, page_url: "https://x.test/b", page_title: "B", time_on_page: null, exit_page: true, referrer: null, created_at: "2025-01-01T12:01:00Z" },
      { view_id: "a", view_order: 1, page_url: "https://x.test/a?q=<b>", page_title: XSS, time_on_page: 75, exit_page: false, referrer: null, created_at: "2025-01-01T12:00:00Z" },
    ];
    const { container } = renderWithProviders(<PageViewList views={views} />);
    const items = screen.getAllByTestId("page-view");
    expect(items[0]).toHaveTextContent(XSS);
    expect(items[0]).toHaveTextContent("01:15");
    expect(within(items[0]!).queryByTestId("exit-page")).toBeNull();
    expect(items[1]).toHaveTextContent("—");
    expect(within(items[1]!).getByTestId("exit-page")).toBeInTheDocument();
    expect(container.querySelector("script")).toBeNull();
  });

  it("shows an event label with markup literally", () => {
    const events: TrackedEvent[] = [
      {
        event_id: "e1",
        event_type: "click",
        event_category: null,
        event_action: null,
        event_label: IMG,
        event_value: null,
        element_id: "buy",
        element_class: null,
        event_data: { note: XSS },
        created_at: "2025-01-01T12:00:00Z",
      },
    ];
    const { container } = renderWithProviders(<EventsTable events={events} />);
    expect(screen.getByTestId("event-detail")).toHaveTextContent(IMG);
    expect(screen.getByTestId("event-row")).toHaveTextContent(XSS);
    expect(container.querySelector("img")).toBeNull();
    expect(container.querySelector("script")).toBeNull();
  });
});

describe("SnippetBox", () => {
  afterEach(() => vi.restoreAllMocks());
  it("shows the snippet as text and copies it", async () => {
    const user = userEvent.setup();
    const writeText = vi.spyOn(navigator.clipboard, "writeText").mockResolvedValue(undefined);
    const snippet = '<script defer src="https://r.test/t.js" data-site="sk_123"></script>';
    const { container } = renderWithProviders(<SnippetBox snippet={snippet} />);
    expect(screen.getByTestId("domain-snippet")).toHaveTextContent(snippet);
    expect(container.querySelector("script")).toBeNull();
    await user.click(screen.getByRole("button", { name: /Copy/ }));
    expect(writeText).toHaveBeenCalledWith(snippet);
    expect(await screen.findByText("Copied")).toBeInTheDocument();
  });
});

describe("DomainForm", () => {
  it("edits the allowed origins as a list and sends the cleaned values", async () => {
    const user = userEvent.setup();
    const onSubmit = vi.fn();
    renderWithProviders(<DomainForm onSubmit={onSubmit} onCancel={vi.fn()} />);
    await user.type(screen.getByLabelText("Site URL"), "https://shop.example.com");
    await user.click(screen.getByTestId("add-origin"));
    await user.click(screen.getByTestId("add-origin"));
    await user.click(screen.getByTestId("add-origin"));
    await user.type(screen.getByLabelText("Origin 1"), "https://shop.example.com");
    await user.type(screen.getByLabelText("Origin 2"), "https://remove.me");
    await user.type(screen.getByLabelText("Origin 3"), "https://checkout.example.com");
    await user.click(screen.getByRole("button", { name: "Remove origin 2" }));
    expect((screen.getByLabelText("Origin 2") as HTMLInputElement).value).toBe("https://checkout.example.com");
    expect(screen.queryByLabelText("Origin 3")).toBeNull();
    await user.clear(screen.getByLabelText(/Cookie lifetime/));
    await user.type(screen.getByLabelText(/Cookie lifetime/), "30");
    await user.type(screen.getByLabelText(/Google Analytics ID/), "G-123");
    await user.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    expect(onSubmit).toHaveBeenCalledWith({
      domain_url: "https://shop.example.com",
      allowed_origins: ["https://shop.example.com", "https://checkout.example.com"],
      metadata: { analytics: { googleAnalyticsId: "G-123" }, settings: { timezone: "America/Sao_Paulo", language: "pt-BR", cookie_days: 30, consent_mode: "off" } },
      is_active: true,
    });
  });

  it("refuses a malformed origin before sending", async () => {
    const user = userEvent.setup();
    const onSubmit = vi.fn();
    renderWithProviders(<DomainForm onSubmit={onSubmit} onCancel={vi.fn()} />);
    await user.type(screen.getByLabelText("Site URL"), "https://shop.example.com");
    await user.click(screen.getByTestId("add-origin"));
    await user.type(screen.getByLabelText("Origin 1"), "not an origin");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(screen.getByLabelText("Origin 1")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByText(/Not a valid origin/)).toBeInTheDocument();
    expect(onSubmit).not.toHaveBeenCalled();
  });

  describe("with a 422 from the server", () => {
    const fetchMock = vi.fn<(url: string, init?: RequestInit) => Promise<Response>>();
    beforeEach(() => {
      fetchMock.mockReset();
      vi.stubGlobal("fetch", fetchMock);
    });
    afterEach(() => vi.unstubAllGlobals());

    it("shows each validation message under its input", async () => {
      fetchMock.mockResolvedValueOnce(
        errorResponse(422, "validation_error", "Some fields are invalid.", [
          { loc: "body.allowed_origins.0", message: "Input should be a valid URL", type: "url_parsing" },
          { loc: "body.metadata.settings.timezone", message: "String should have at most 64 characters", type: "string_too_long" },
        ]),
      );
      let error: unknown = null;
      try {
        await unwrap(api.POST("/api/domains", { body: { domain_url: "https://x.test", is_active: true } }));
      } catch (e) {
        error = e;
      }
      renderWithProviders(<DomainForm onSubmit={vi.fn()} onCancel={vi.fn()} error={error} />);
      const user = userEvent.setup();
      await user.click(screen.getByTestId("add-origin"));
      const origin = screen.getByLabelText("Origin 1");
      expect(origin).toHaveAttribute("aria-invalid", "true");
      expect(screen.getAllByText("Input should be a valid URL").length).toBeGreaterThan(0);
      expect(screen.getByLabelText("Time zone")).toHaveAttribute("aria-invalid", "true");
      expect(screen.getByRole("alert")).toHaveTextContent("allowed_origins.0: Input should be a valid URL");
    });
  });
});

/** A running test "Hero" with a control "A" and a variant "B" of these weights. */
function abTest([a, b]: [number, number]): AbTest {
  const base = { domain_id: "d1", ab_test_id: "t1", is_active: true, created_at: "2025-01-01T00:00:00Z", page_url: "https://x.test/" };
  return {
    ab_test_id: "t1",
    domain_id: "d1",
    name: "Hero",
    is_active: true,
    created_at: "2025-01-01T00:00:00Z",
    variants: [
      { ...base, page_id: "p1", page_name: "Original", page_variant: "A", is_control: true, variant_weight: a },
      { ...base, page_id: "p2", page_name: "New hero", page_variant: "B", is_control: false, variant_weight: b },
    ],
  };
}

describe("A/B test variants", () => {
  it("shows the weights as percentages", () => {
    renderWithProviders(<AbTestCard test={abTest([1, 3])} />);
    const shares = screen.getAllByTestId("ab-variant-share").map((e) => e.textContent);
    expect(shares).toEqual(["25%", "75%"]);
    expect(screen.queryByTestId("ab-test-toggle")).toBeNull(); // no actions: read-only
  });

  it("stops a running test and deletes one after confirmation", async () => {
    const user = userEvent.setup();
    const test = abTest([1, 1]);
    const onToggle = vi.fn();
    const onDelete = vi.fn(() => Promise.resolve());
    const { unmount } = renderWithProviders(<AbTestCard test={test} actions={{ onToggle, onDelete, busy: false }} />);
    expect(screen.getByTestId("ab-test-toggle")).toHaveTextContent("Stop");
    await user.click(screen.getByTestId("ab-test-toggle"));
    expect(onToggle).toHaveBeenCalledTimes(1);
    unmount();
    renderWithProviders(<AbTestCard test={{ ...test, is_active: false }} actions={{ onToggle, onDelete, busy: false }} />);
    expect(screen.getByTestId("ab-test-toggle")).toHaveTextContent(/resume|retomar/i);
    await user.click(screen.getByTestId("ab-test-delete"));
    expect(onDelete).not.toHaveBeenCalled();
    await user.click(screen.getByRole("button", { name: /^(delete|excluir)$/i }));
    expect(onDelete).toHaveBeenCalledTimes(1);
  });
});

describe("groupTouches", () => {
  it("puts each touch under the session that had started by then", () => {
    const s1 = session({ session_id: "s1", started_at: "2025-01-01T10:00:00Z" });
    const s2 = session({ session_id: "s2", started_at: "2025-01-02T10:00:00Z" });
    const touch = (id: string, at: string) => ({ tracking_id: id, created_at: at, channel: "Direct" }) as Touchpoint;
    const groups = groupTouches([s2, s1], [touch("t2", "2025-01-02T10:00:30Z"), touch("t1", "2025-01-01T10:00:00Z"), touch("t0", "2024-12-31T00:00:00Z")]);
    expect(groups.map((g) => g.session.session_id)).toEqual(["s1", "s2"]);
    expect(groups[0]!.touches.map((t) => t.tracking_id)).toEqual(["t0", "t1"]);
    expect(groups[1]!.touches.map((t) => t.tracking_id)).toEqual(["t2"]);
  });
});

describe("RefLookup", () => {
  afterEach(() => vi.unstubAllGlobals());
  const page = (items: SessionSummary[]) => () => jsonResponse({ items, total: items.length, page: 1, page_size: 20 });
  const lookup = (
    <Routes>
      <Route path="/" element={<RefLookup now={new Date("2025-01-01T12:05:00Z")} />} />
      <Route path="/tracking/sessions/:id" element={<p>timeline opened</p>} />
    </Routes>
  );

  it("takes the code as pasted from the message and opens the one session it finds", async () => {
    const user = userEvent.setup();
    const api = routeFetch({ "GET /api/sessions/by-ref/K7Q2ZX": page([session({ session_id: "k7q2zxabc" })]) });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(lookup);
    expect(screen.getByTestId("ref-find")).toBeDisabled();
    await user.click(screen.getByTestId("ref-code"));
    await user.paste("[ref:k7q2zx]");
    await user.click(screen.getByTestId("ref-find"));
    expect(await screen.findByText("timeline opened")).toBeInTheDocument();
    expect(api.calls.map((c) => c.url.pathname)).toEqual(["/api/sessions/by-ref/K7Q2ZX"]);
  });

  it("lists several sessions and says when there is none", async () => {
    const user = userEvent.setup();
    const api = routeFetch({
      "GET /api/sessions/by-ref/AAAAAA": page([session({ session_id: "aaaaaa1" }), session({ session_id: "aaaaaa1.2" })]),
      "GET /api/sessions/by-ref/BBBBBB": page([]),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(lookup);
    await user.type(screen.getByTestId("ref-code"), "aaaaaa");
    await user.click(screen.getByTestId("ref-find"));
    expect(await screen.findAllByTestId("live-session-row")).toHaveLength(2);
    await user.clear(screen.getByTestId("ref-code"));
    await user.type(screen.getByTestId("ref-code"), "BBBBBB");
    await user.click(screen.getByTestId("ref-find"));
    expect(await screen.findByTestId("ref-none")).toHaveTextContent("BBBBBB");
  });
});
