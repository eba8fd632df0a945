/**
 * The funnel monitor's state: the REST snapshot (`GET /api/funnels/{id}/monitor`) with the
 * funnel's live events applied on top. Pure functions, so a reconnection can replay the
 * events received while the snapshot was loading.
 */
import type { paths } from "@/api/schema";

type Json<T> = T extends { content: { "application/json": infer J } } ? J : never;
export type MonitorSnapshot = Json<paths["/api/funnels/{funnel_id}/monitor"]["get"]["responses"][200]>;
export type MonitorStep = MonitorSnapshot["steps"][number];
export type MonitorVisitor = MonitorSnapshot["visitors"][number];
export type MonitorPayment = MonitorSnapshot["payments"][number];

/** The server's events that change the monitor. */
export const MONITOR_EVENTS = ["visitor_online", "visitor_step_change", "visitor_offline", "new_payment", "payment_status_change"] as const;
export type MonitorEvent = (typeof MONITOR_EVENTS)[number];

export interface LiveVisitor extends MonitorVisitor {
  /** When the visitor reached its current step (as far as this page knows). */
  step_since: string;
}

export interface MonitorState {
  funnelId: string;
  name: string;
  steps: MonitorStep[];
  /** Online visitors by session id. */
  visitors: Record<string, LiveVisitor>;
  payments: MonitorPayment[];
  today: MonitorSnapshot["today"];
}

const KEPT_PAYMENTS = 30;
const PAID = "paid";

export function fromSnapshot(snapshot: MonitorSnapshot): MonitorState {
  const visitors: Record<string, LiveVisitor> = {};
  for (const v of snapshot.visitors) visitors[v.session_id] = { ...v, step_since: v.last_activity_at };
  return {
    funnelId: snapshot.funnel_id,
    name: snapshot.name,
    steps: snapshot.steps,
    visitors,
    payments: snapshot.payments,
    today: snapshot.today,
  };
}

type Payload = Record<string, unknown>;
const text = (value: unknown): string | null => (typeof value === "string" ? value : null);

function isToday(iso: string | null, timezone: string, now: Date): boolean {
  if (!iso) return false;
  const day = (d: Date) => d.toLocaleDateString("en-CA", { timeZone: timezone });
  return day(new Date(iso)) === day(now);
}

function moneyAdd(a: string, b: string, sign: 1 | -1): string {
  const cents = Math.round(Number(a) * 100) + sign * Math.round(Number(b) * 100);
  return (cents / 100).toFixed(2);
}

/** The state after one live event; events of another funnel (or of none) change nothing. */
export function applyEvent(state: MonitorState, event: MonitorEvent, payload: unknown, now: Date = new Date()): MonitorState {
  if (!payload || typeof payload !== "object") return state;
  const data = payload as Payload;
  if (data.funnel_id !== state.funnelId) return state;
  switch (event) {
    case "visitor_online":
    case "visitor_step_change": {
      const sessionId = text(data.session_id);
      if (!sessionId) return state;
      const before = state.visitors[sessionId];
      const stepId = text(data.step_id);
      const moved = !before || before.step_id !== stepId;
      const visitor: LiveVisitor = {
        session_id: sessionId,
        visitor_id: text(data.visitor_id) ?? before?.visitor_id ?? "",
        step_id: stepId,
        started_at: text(data.started_at) ?? before?.started_at ?? now.toISOString(),
        last_activity_at: text(data.last_activity_at) ?? now.toISOString(),
        channel: text(data.channel),
        source: text(data.source),
        medium: text(data.medium),
        campaign: text(data.campaign),
        device: text(data.device),
        step_since: moved ? now.toISOString() : (before?.step_since ?? now.toISOString()),
      };
      return { ...state, visitors: { ...state.visitors, [sessionId]: visitor } };
    }
    case "visitor_offline": {
      const sessionId = text(data.session_id);
      if (!sessionId || !(sessionId in state.visitors)) return state;
      const visitors = { ...state.visitors };
      delete visitors[sessionId];
      return { ...state, visitors };
    }
    case "new_payment":
    case "payment_status_change": {
      const id = text(data.payment_id);
      const status = text(data.status);
      if (!id || !status) return state;
      const existing = state.payments.find((p) => p.id === id);
      const previous = existing?.status ?? text(data.previous_status);
      if (existing && existing.status === status) return state;
      const changedAt = text(data.changed_at) ?? now.toISOString();
      const payment: MonitorPayment = existing
        ? { ...existing, status: status as MonitorPayment["status"], status_changed_at: changedAt, paid_at: status === PAID ? changedAt : existing.paid_at }
        : {
            id,
            funnel_id: state.funnelId,
            step_id: text(data.step_id),
            session_id: text(data.session_id),
            parent_payment_id: null,
            status: status as MonitorPayment["status"],
            amount: text(data.amount) ?? "0",
            currency: text(data.currency) ?? state.today.currency,
            payment_method: "pix",
            product_name: null,
            created_at: changedAt,
            paid_at: status === PAID ? changedAt : null,
            status_changed_at: changedAt,
          };
      const payments = existing ? state.payments.map((p) => (p.id === id ? payment : p)) : [payment, ...state.payments].slice(0, KEPT_PAYMENTS);
      let today = state.today;
      const counts = payment.currency === today.currency && isToday(payment.created_at, today.timezone, now);
      if (counts && status === PAID && previous !== PAID) today = { ...today, paid: today.paid + 1, revenue: moneyAdd(today.revenue, payment.amount, 1) };
      if (counts && previous === PAID && status !== PAID) today = { ...today, paid: today.paid - 1, revenue: moneyAdd(today.revenue, payment.amount, -1) };
      return { ...state, payments, today };
    }
  }
}

/** Online visitors per step id (visitors on no known step are left out). */
export function onlineByStep(state: MonitorState): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of Object.values(state.visitors)) if (v.step_id) counts[v.step_id] = (counts[v.step_id] ?? 0) + 1;
  return counts;
}

/** Online visitors, the most recently active first. */
export function visitorList(state: MonitorState): LiveVisitor[] {
  return Object.values(state.visitors).sort((a, b) => b.last_activity_at.localeCompare(a.last_activity_at));
}
