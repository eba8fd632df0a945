import { act, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import { applyEvent, fromSnapshot, onlineByStep, type MonitorSnapshot } from "./monitorState";

// The live channel, driven by the test: handlers by event, and the topic's join callback.
const handlers = new Map<string, (payload: unknown) => void>();
const joined: { topic: string; id: string | undefined; onJoined: () => void }[] = [];
let liveStatus = "online";
vi.mock("@/live/LiveProvider", () => ({
  useLiveEvent: (event: string, handler: (payload: unknown) => void) => handlers.set(event, handler),
  useLiveTopic: (topic: string, id: string | undefined, onJoined: () => void) => {
    if (!joined.some((j) => j.topic === topic && j.id === id)) joined.push({ topic, id, onJoined });
  },
  useLiveStatus: () => liveStatus,
}));

const { default: MonitorPage } = await import("./MonitorPage");

const F = "f1";
const XSS = "<img src=x onerror=alert(1)>";
const NOW = new Date();

function snapshot(over: Partial<MonitorSnapshot> = {}): MonitorSnapshot {
  return {
    funnel_id: F,
    name: "Lançamento",
    steps: [
      { id: "s1", name: "Captura", slug: "captura", step_type: "capture", order_index: 0, online: 1 },
      { id: "s2", name: "Checkout", slug: "checkout", step_type: "checkout", order_index: 1, online: 0 },
    ],
    online: 1,
    visitors: [
      {
        session_id: "a",
        visitor_id: "va",
        step_id: "s1",
        started_at: NOW.toISOString(),
        last_activity_at: NOW.toISOString(),
        channel: "Paid Social",
        source: XSS,
        medium: "cpc",
        campaign: "black-friday",
        device: "mobile",
      },
    ],
    payments: [],
    today: { paid: 0, revenue: "0.00", currency: "BRL", timezone: "America/Sao_Paulo" },
    as_of: NOW.toISOString(),
    ...over,
  };
}

const visitor = (session_id: string, step_id: string, funnel_id = F) => ({ session_id, visitor_id: `v${session_id}`, funnel_id, step_id, source: "google", device: "desktop" });
const payment = (status: string, previous_status: string | null, funnel_id = F) => ({
  payment_id: "p1",
  funnel_id,
  step_id: "s2",
  session_id: "a",
  previous_status,
  status,
  amount: "97.00",
  currency: "BRL",
  changed_at: NOW.toISOString(),
});

afterEach(() => {
  handlers.clear();
  joined.length = 0;
  liveStatus = "online";
  vi.unstubAllGlobals();
});

describe("monitor state", () => {
  it("moves visitors between steps, drops those who leave, and ignores other funnels", () => {
    let state = fromSnapshot(snapshot());
    expect(onlineByStep(state)).toEqual({ s1: 1 });
    state = applyEvent(state, "visitor_online", visitor("b", "s1"));
    state = applyEvent(state, "visitor_step_change", visitor("a", "s2"));
    expect(onlineByStep(state)).toEqual({ s1: 1, s2: 1 });
    const same = applyEvent(state, "visitor_online", visitor("c", "s1", "other-funnel"));
    expect(same).toBe(state);
    expect(applyEvent(state, "visitor_online", { session_id: "d", step_id: "s1" })).toBe(state); // no funnel: the organization's event
    state = applyEvent(state, "visitor_offline", { session_id: "b", funnel_id: F, step_id: null });
    expect(onlineByStep(state)).toEqual({ s2: 1 });
  });

  it("adds a payment, follows its status and counts today's revenue once", () => {
    let state = fromSnapshot(snapshot());
    state = applyEvent(state, "new_payment", payment("pending", null));
    expect(state.payments.map((p) => [p.id, p.status])).toEqual([["p1", "pending"]]);
    state = applyEvent(state, "payment_status_change", payment("paid", "pending"));
    state = applyEvent(state, "payment_status_change", payment("paid", "pending")); // twice: once
    expect(state.payments.map((p) => p.status)).toEqual(["paid"]);
    expect(state.today).toMatchObject({ paid: 1, revenue: "97.00" });
    state = applyEvent(state, "payment_status_change", payment("refunded", "paid"));
    expect(state.today).toMatchObject({ paid: 0, revenue: "0.00" });
    expect(applyEvent(state, "new_payment", { ...payment("pending", null, "f2"), payment_id: "p2" })).toBe(state);
  });
});

describe("MonitorPage", () => {
  function mount(locale: "en" | "pt-BR" = "en", first: MonitorSnapshot = snapshot()) {
    let current = first;
    const api = routeFetch({ [`GET /api/funnels/${F}/monitor`]: () => jsonResponse(current) });
    vi.stubGlobal("fetch", api.fetch);
    const view = renderWithProviders(<MonitorPage />, { route: `/funnels/${F}/monitor`, path: "/funnels/:funnelId/monitor", me: makeMe(["funnels:read"]), locale });
    return { ...view, api, setSnapshot: (s: MonitorSnapshot) => (current = s) };
  }

  const count = (slug: string) => within(screen.getByTestId(`monitor-step-${slug}`)).getByTestId("monitor-step-count").textContent;

  it("shows the steps with live counts and the visitors as text, and joins the funnel's room", async () => {
    const { container } = mount();
    expect(await screen.findByTestId("monitor-step-captura")).toBeInTheDocument();
    expect(joined.map((j) => [j.topic, j.id])).toEqual([["funnel", F]]);
    expect(count("captura")).toBe("1");
    expect(count("checkout")).toBe("0");
    const table = screen.getByTestId("monitor-visitors");
    expect(within(table).getByText(XSS)).toBeInTheDocument();
    expect(container.querySelector("img")).toBeNull();
    expect(within(table).getByText("Mobile")).toBeInTheDocument();

    act(() => handlers.get("visitor_step_change")?.(visitor("a", "s2")));
    act(() => handlers.get("visitor_online")?.(visitor("b", "s1")));
    expect(count("captura")).toBe("1");
    expect(count("checkout")).toBe("1");
    expect(within(screen.getByTestId("kpi-online")).getByTestId("kpi-value")).toHaveTextContent("2");

    act(() => handlers.get("new_payment")?.(payment("pending", null)));
    expect(within(screen.getByTestId("monitor-payments")).getByTestId("payment-status")).toHaveTextContent("Waiting for payment");
    act(() => handlers.get("payment_status_change")?.(payment("paid", "pending")));
    expect(within(screen.getByTestId("monitor-payments")).getByTestId("payment-status")).toHaveTextContent("Paid");
    expect(within(screen.getByTestId("kpi-revenue_today")).getByTestId("kpi-value")).toHaveTextContent("R$97.00");
  });

  it("reads the snapshot again after a reconnection and replays what arrived meanwhile", async () => {
    const { setSnapshot, api } = mount();
    await screen.findByTestId("monitor-step-captura");
    // While offline, the visitor moved on and another arrived; the server now says so.
    setSnapshot(snapshot({ visitors: [{ ...snapshot().visitors[0], step_id: "s2" }] }));
    liveStatus = "online";
    act(() => {
      joined[0].onJoined(); // re-joined after reconnecting: read again
      handlers.get("visitor_online")?.(visitor("late", "s1")); // arrives while the snapshot loads
    });
    await waitFor(() => expect(count("checkout")).toBe("1"));
    expect(count("captura")).toBe("1"); // "late", replayed on top of the new snapshot
    expect(api.calls.filter((c) => c.url.pathname.endsWith("/monitor")).length).toBe(2);
  });

  it("says what to do when nobody is there, in Portuguese", async () => {
    mount("pt-BR", snapshot({ visitors: [], online: 0 }));
    expect(await screen.findByText(/Ninguém no funil neste momento/)).toBeInTheDocument();
    expect(screen.getByText(/Nenhum pagamento ainda/)).toBeInTheDocument();
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Monitor ao vivo: Lançamento");
    expect(screen.getByTestId("monitor-live")).toHaveTextContent("Ao vivo");
  });
});
