import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { errorResponse, jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import { filtersFromParams, leadQuery, NO_FILTERS } from "./filters";
import { IntegrationLogPanel, IntegrationLogTable } from "./IntegrationLogPanel";
import LeadListSection from "./LeadListSection";
import { scoreBreakdown } from "./LeadSection";
import { moveCard, parseMoneyInput } from "./pipeline";
import PipelineBoard from "./PipelineBoard";
import { CRM_READ, CRM_WRITE, STAGES, type IntegrationLog, type Pipeline, type PipelineCard, type Stage } from "./types";

const XSS = "<img src=x onerror=alert(1)>";

function card(id: string, over: Partial<PipelineCard> = {}): PipelineCard {
  return { lead_id: id, name: `Lead ${id}`, company: null, lead_score: "B", stage_value: null, owner_id: null, owner: null, stage_changed_at: "2025-01-01T12:00:00Z", ...over };
}

function board(cards: Partial<Record<Stage, PipelineCard[]>>): Pipeline {
  return {
    stages: STAGES.map((stage) => {
      const list = cards[stage] ?? [];
      const value = list.reduce((sum, c) => sum + Number(c.stage_value ?? 0), 0);
      return { stage, count: list.length, value: value.toFixed(2), cards: list };
    }),
    currency: "BRL",
  };
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("lead filters", () => {
  it("reads the URL, dropping unknown stages, scores and malformed dates", () => {
    const f = filtersFromParams(new URLSearchParams("stage=qualified&stage=bogus&score=A&score=Z&from=2025-01-01&to=31/01/2025&q=%20ana%20&channel=Paid%20Search"));
    expect(f).toEqual({ ...NO_FILTERS, stage: ["qualified"], score: ["A"], from: "2025-01-01", to: null, q: "ana", channel: "Paid Search" });
  });

  it("builds the API query: whole local days, exclusive end, no one-letter search", () => {
    const q = leadQuery({ ...NO_FILTERS, stage: ["won"], score: ["A", "B"], ownerId: "u1", from: "2025-01-01", to: "2025-01-31", q: "a", source: "google" }, 2, 20);
    expect(q).toEqual({
      page: 2,
      page_size: 20,
      stage: ["won"],
      score: ["A", "B"],
      owner_id: "u1",
      source: "google",
      created_from: new Date(2025, 0, 1).toISOString(),
      created_to: new Date(2025, 1, 1).toISOString(),
    });
    expect(leadQuery({ ...NO_FILTERS, q: "an" }, 1, 20).q).toBe("an");
  });
});

describe("LeadListSection", () => {
  let api: ReturnType<typeof routeFetch>;
  beforeEach(() => {
    api = routeFetch({
      "GET /api/leads": () =>
        jsonResponse({
          items: [
            {
              lead_id: "L1",
              contact_id: "C1",
              name: XSS,
              email: "ana@example.com",
              company: "ACME",
              phone: null,
              lead_score: "A",
              current_stage: "qualified",
              stage_changed_at: "2025-01-02T00:00:00Z",
              stage_value: null,
              probability: null,
              owner_id: null,
              owner: null,
              source: "google",
              medium: "cpc",
              campaign: "bf",
              channel: "Paid Search",
              attribution_status: "attributed",
              domain_id: null,
              external_id: null,
              created_at: "2025-01-02T00:00:00Z",
            },
          ],
          total: 1,
          page: 1,
          page_size: 20,
        }),
    });
    vi.stubGlobal("fetch", api.fetch);
  });
  afterEach(() => vi.unstubAllGlobals());

  it("sends the URL's filters to GET /api/leads and changes them from the bar", async () => {
    const user = userEvent.setup();
    const { container } = renderWithProviders(<LeadListSection />, { me: makeMe([CRM_READ]), route: "/leads?stage=qualified&score=A&channel=Paid%20Search&from=2025-01-01" });
    const row = await screen.findByTestId("lead-row");
    expect(row).toHaveTextContent(XSS);
    expect(container.querySelector("img")).toBeNull();
    expect(within(row).getByTestId("lead-link")).toHaveAttribute("href", "/leads/L1");
    expect(within(row).getByTestId("score-chip")).toHaveTextContent("A");
    const first = api.calls.find((c) => c.url.pathname === "/api/leads")!;
    expect(first.url.searchParams.getAll("stage")).toEqual(["qualified"]);
    expect(first.url.searchParams.getAll("score")).toEqual(["A"]);
    expect(first.url.searchParams.get("channel")).toBe("Paid Search");
    expect(first.url.searchParams.get("created_from")).toBe(new Date(2025, 0, 1).toISOString());

    await user.selectOptions(screen.getByLabelText("Stage"), "won");
    await user.type(screen.getByLabelText("Search"), "acme");
    await waitFor(() => {
      const last = api.calls.filter((c) => c.url.pathname === "/api/leads").at(-1)!;
      expect(last.url.searchParams.getAll("stage")).toEqual(["won"]);
      expect(last.url.searchParams.get("q")).toBe("acme");
    });
  });
});

describe("moveCard and parseMoneyInput", () => {
  it("moves a card with its count and value, a won value replacing the old one", () => {
    const b = board({ new: [card("a", { stage_value: "100.00" }), card("b")], won: [card("c", { stage_value: "50.00" })] });
    const moved = moveCard(b, "a", "won", "1500.00");
    const col = (s: Stage) => moved.stages.find((c) => c.stage === s)!;
    expect(col("new")).toMatchObject({ count: 1, value: "0.00" });
    expect(col("new").cards.map((c) => c.lead_id)).toEqual(["b"]);
    expect(col("won")).toMatchObject({ count: 2, value: "1550.00" });
    expect(col("won").cards[0]).toMatchObject({ lead_id: "a", stage_value: "1500.00" });
    expect(moveCard(b, "a", "new")).toBe(b);
    expect(moveCard(b, "zzz", "won")).toBe(b);
  });

  it("reads Brazilian and plain amounts", () => {
    expect(parseMoneyInput("1.500,00")).toBe("1500.00");
    expect(parseMoneyInput("R$ 1.234.567,8")).toBe("1234567.80");
    expect(parseMoneyInput("1500")).toBe("1500.00");
    expect(parseMoneyInput("1,5")).toBe("1.50");
    expect(parseMoneyInput("1,500.25")).toBe("1500.25");
    expect(parseMoneyInput("1.500")).toBe("1500.00");
    expect(parseMoneyInput("-3")).toBeNull();
    expect(parseMoneyInput("abc")).toBeNull();
    expect(parseMoneyInput("1,234")).toBeNull();
    expect(parseMoneyInput("")).toBeNull();
  });
});

describe("scoreBreakdown", () => {
  it("reads metadata.scoring and ignores malformed values", () => {
    expect(scoreBreakdown({ scoring: { demographic: 60, behavioral: 40, firmographic: 80, total: 58 } })).toEqual({ demographic: 60, behavioral: 40, firmographic: 80, total: 58 });
    expect(scoreBreakdown({ scoring: { demographic: "60" } })).toBeNull();
    expect(scoreBreakdown({})).toBeNull();
  });
});

// --- the pipeline board: real pointer events through dnd-kit ------------------------------------

class TestPointerEvent extends MouseEvent {
  pointerId: number;
  isPrimary: boolean;
  pointerType: string;
  constructor(type: string, init: PointerEventInit = {}) {
    super(type, init);
    this.pointerId = init.pointerId ?? 1;
    this.isPrimary = init.isPrimary ?? true;
    this.pointerType = init.pointerType ?? "mouse";
  }
}

const COL_W = 300;
function rect(x: number, y: number, width: number, height: number): DOMRect {
  return { x, y, left: x, top: y, width, height, right: x + width, bottom: y + height, toJSON: () => ({}) } as DOMRect;
}

/** Columns side by side (300px apart), cards stacked in them: what layout would give. */
function fakeLayout(this: Element): DOMRect {
  const el = this as HTMLElement;
  if (el.dataset.stage) return rect(STAGES.indexOf(el.dataset.stage as Stage) * COL_W, 0, COL_W - 20, 800);
  // The card held by the pointer or the keyboard starts where the first card of "new" is.
  if (el.dataset.testid === "pipeline-overlay") return rect(10, 60, 240, 60);
  if (el.dataset.testid === "pipeline-card") {
    const column = el.closest<HTMLElement>("[data-stage]");
    const i = column ? STAGES.indexOf(column.dataset.stage as Stage) : 0;
    const index = column ? [...column.querySelectorAll("[data-testid=pipeline-card]")].indexOf(el) : 0;
    return rect(i * COL_W + 10, 60 + index * 70, 240, 60);
  }
  return rect(0, 0, 0, 0);
}

function drag(from: HTMLElement, toColumn: Stage) {
  const start = fakeLayout.call(from);
  const x0 = start.left + 20;
  const y0 = start.top + 20;
  const x1 = STAGES.indexOf(toColumn) * COL_W + 100;
  fireEvent.pointerDown(from, { clientX: x0, clientY: y0, button: 0, isPrimary: true });
  for (let step = 1; step <= 5; step++) {
    fireEvent.pointerMove(document, { clientX: x0 + ((x1 - x0) * step) / 5, clientY: y0 + step, isPrimary: true });
  }
  fireEvent.pointerUp(document, { clientX: x1, clientY: y0 + 5, isPrimary: true });
}

const column = (stage: Stage) => screen.getByTestId(`pipeline-column-${stage}`);
const cardIds = (stage: Stage) => within(column(stage)).queryAllByTestId("pipeline-card").map((c) => c.dataset.leadId);

describe("PipelineBoard", () => {
  const original = Element.prototype.getBoundingClientRect;
  const originalPointer = window.PointerEvent;
  beforeAll(() => {
    (window as unknown as { PointerEvent: unknown }).PointerEvent = TestPointerEvent;
    Element.prototype.getBoundingClientRect = fakeLayout;
  });
  afterAll(() => {
    Element.prototype.getBoundingClientRect = original;
    (window as unknown as { PointerEvent: unknown }).PointerEvent = originalPointer;
  });
  afterEach(() => vi.unstubAllGlobals());

  it("moves a dropped card at once, calls the API, and puts it back with a toast when the API refuses", async () => {
    const answer = deferred<Response>();
    let gets = 0;
    const api = routeFetch({
      // The refetch after the error never answers: only the rollback can restore the board.
      "GET /api/pipeline": () => (gets++ === 0 ? jsonResponse(board({ new: [card("L1", { name: XSS, stage_value: "200.00" }), card("L2")] })) : new Promise<Response>(() => undefined)),
      "POST /api/leads/L1/stages": () => answer.promise,
    });
    vi.stubGlobal("fetch", api.fetch);
    const { container } = renderWithProviders(<PipelineBoard />, { me: makeMe([CRM_READ, CRM_WRITE]) });
    await screen.findAllByTestId("pipeline-card");
    expect(container.querySelector("img")).toBeNull();
    expect(within(column("new")).getByTestId("column-count")).toHaveTextContent("2");

    drag(within(column("new")).getAllByTestId("pipeline-card")[0]!, "qualified");

    await waitFor(() => expect(api.calls.some((c) => c.method === "POST")).toBe(true));
    const post = api.calls.find((c) => c.method === "POST")!;
    expect(post.url.pathname).toBe("/api/leads/L1/stages");
    expect(post.body).toEqual({ stage_name: "qualified" });
    // Optimistic: already in its new column, counts and sums moved with it.
    await waitFor(() => expect(cardIds("qualified")).toEqual(["L1"]));
    expect(cardIds("new")).toEqual(["L2"]);
    expect(within(column("qualified")).getByTestId("column-count")).toHaveTextContent("1");
    expect(within(column("qualified")).getByTestId("column-value")).toHaveTextContent("200.00");

    await act(async () => answer.resolve(errorResponse(409, "stage_conflict", "The lead changed meanwhile.")));
    await waitFor(() => expect(cardIds("new")).toEqual(["L1", "L2"]));
    expect(cardIds("qualified")).toEqual([]);
    expect(await screen.findByText(/The lead could not be moved: The lead changed meanwhile\./)).toBeInTheDocument();
  });

  it("asks for the deal value before moving to won, and sends it as a decimal", async () => {
    const user = userEvent.setup();
    const api = routeFetch({
      "GET /api/pipeline": () => jsonResponse(board({ negotiation: [card("L9")] })),
      "POST /api/leads/L9/stages": () => jsonResponse({}, 201),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<PipelineBoard />, { me: makeMe([CRM_READ, CRM_WRITE]) });
    drag(await screen.findByTestId("pipeline-card"), "won");
    const dialog = await screen.findByTestId("stage-dialog");
    expect(api.calls.some((c) => c.method === "POST")).toBe(false);
    await user.type(within(dialog).getByLabelText(/Deal value/), "abc");
    await user.click(within(dialog).getByTestId("stage-dialog-submit"));
    expect(within(dialog).getByText(/Enter an amount/)).toBeInTheDocument();
    await user.clear(within(dialog).getByLabelText(/Deal value/));
    await user.type(within(dialog).getByLabelText(/Deal value/), "1.500,00");
    await user.click(within(dialog).getByTestId("stage-dialog-submit"));
    await waitFor(() => expect(api.calls.find((c) => c.method === "POST")?.body).toEqual({ stage_name: "won", stage_value: "1500.00", probability: 100 }));
  });

  it("moves a card one column per arrow key with the keyboard, never past the board's end", async () => {
    const api = routeFetch({
      "GET /api/pipeline": () => jsonResponse(board({ new: [card("L1")] })),
      "POST /api/leads/L1/stages": () => jsonResponse({}, 201),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<PipelineBoard />, { me: makeMe([CRM_READ, CRM_WRITE]) });
    const item = await screen.findByTestId("pipeline-card");
    const key = async (target: Element | Document, code: string) => {
      fireEvent.keyDown(target, { code, key: code === "Space" ? " " : code });
      await new Promise((r) => setTimeout(r, 5));
    };
    item.focus();
    await key(item, "Space");
    await key(document, "ArrowLeft"); // already the first column: stays
    await key(document, "ArrowRight");
    await key(document, "ArrowRight");
    await key(document, "Space");
    await waitFor(() => expect(api.calls.find((c) => c.method === "POST")?.body).toEqual({ stage_name: "proposal" }));
  });

  it("shows each card's campaign and filters the board like the list, without a stage filter", async () => {
    const api = routeFetch({
      "GET /api/pipeline": () =>
        jsonResponse({ ...board({ new: [card("L1", { campaign: "black-friday", source: "facebook", medium: "paid_social", stage_value: "10.00" }), card("L2")] }), currency: "USD" }),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<PipelineBoard />, { me: makeMe([CRM_READ]), route: "/leads/pipeline?campaign=black-friday&score=A&stage=won" });
    const origins = await screen.findAllByTestId("pipeline-card-origin");
    expect(origins[0]).toHaveTextContent("black-friday");
    expect(origins[0]).toHaveAttribute("title", "black-friday · facebook / paid_social");
    expect(origins[1]).toHaveTextContent("No campaign or source");
    expect(within(column("new")).getByTestId("column-value")).toHaveTextContent("$10.00");
    const get = api.calls.find((c) => c.url.pathname === "/api/pipeline")!;
    expect(get.url.searchParams.get("campaign")).toBe("black-friday");
    expect(get.url.searchParams.getAll("score")).toEqual(["A"]);
    expect(get.url.searchParams.has("stage")).toBe(false);
    expect(screen.queryByLabelText("Stage")).toBeNull();
  });

  it("lets a viewer look but not drag", async () => {
    const api = routeFetch({ "GET /api/pipeline": () => jsonResponse(board({ new: [card("L1")] })) });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<PipelineBoard />, { me: makeMe([CRM_READ]) });
    drag(await screen.findByTestId("pipeline-card"), "qualified");
    await new Promise((r) => setTimeout(r, 20));
    expect(api.calls.some((c) => c.method === "POST")).toBe(false);
    expect(cardIds("new")).toEqual(["L1"]);
  });
});

// --- integrations log -----------------------------------------------------------------------------

function logEntry(id: string, status: string, over: Partial<IntegrationLog> = {}): IntegrationLog {
  return {
    log_id: id,
    lead_id: "L1",
    destination_id: "d1",
    event: "lead.created",
    integration_type: "crm",
    integration_name: "hubspot",
    status,
    request_data: {},
    response_data: {},
    error_message: status === "failed" ? XSS : null,
    http_status: status === "failed" ? 500 : 201,
    retry_count: 0,
    created_at: "2025-01-01T12:00:00Z",
    processed_at: null,
    ...over,
  };
}

describe("IntegrationLogTable", () => {
  it("offers Retry on failed rows only, and shows errors as text", async () => {
    const user = userEvent.setup();
    const onRetry = vi.fn();
    const { container } = renderWithProviders(<IntegrationLogTable entries={[logEntry("a", "success"), logEntry("b", "failed"), logEntry("c", "pending")]} onRetry={onRetry} />);
    const rows = screen.getAllByTestId("integration-log-row");
    expect(within(rows[0]!).getByTestId("status-chip")).toHaveTextContent("Sent");
    expect(within(rows[1]!).getByTestId("status-chip")).toHaveTextContent("Failed");
    expect(rows[1]).toHaveTextContent(XSS);
    expect(container.querySelector("img")).toBeNull();
    expect(screen.getAllByTestId("integration-retry")).toHaveLength(1);
    await user.click(within(rows[1]!).getByTestId("integration-retry"));
    expect(onRetry).toHaveBeenCalledWith(expect.objectContaining({ log_id: "b" }));
  });

  it("has no Retry column without onRetry (a viewer)", () => {
    renderWithProviders(<IntegrationLogTable entries={[logEntry("b", "failed")]} />);
    expect(screen.queryByTestId("integration-retry")).toBeNull();
  });

  describe("IntegrationLogPanel", () => {
    afterEach(() => vi.unstubAllGlobals());
    it("retries through the API and reloads the log", async () => {
      const user = userEvent.setup();
      let retried = false;
      const api = routeFetch({
        "GET /api/integrations-log": () =>
          jsonResponse({ items: retried ? [logEntry("n", "pending"), logEntry("b", "failed")] : [logEntry("b", "failed")], total: retried ? 2 : 1, page: 1, page_size: 10 }),
        "POST /api/integrations-log/b/retry": () => {
          retried = true;
          return jsonResponse(logEntry("n", "pending"), 202);
        },
      });
      vi.stubGlobal("fetch", api.fetch);
      renderWithProviders(<IntegrationLogPanel leadId="L1" />, { me: makeMe([CRM_READ, CRM_WRITE]) });
      await user.click(await screen.findByTestId("integration-retry"));
      await waitFor(() => expect(screen.getAllByTestId("integration-log-row")).toHaveLength(2));
      expect(api.calls.find((c) => c.method === "GET")!.url.searchParams.get("lead_id")).toBe("L1");
      expect(await screen.findByText("A new attempt to hubspot was queued.")).toBeInTheDocument();
    });
  });
});
