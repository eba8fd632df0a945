import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { captureCsv } from "@/test/csv";
import { errorResponse, jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import Alerts from "./Alerts";

const admin = makeMe(["analytics:read", "analytics:admin"]);
const viewer = makeMe(["analytics:read"]);

afterEach(() => vi.unstubAllGlobals());

const METRICS = [
  { name: "real_roas", unit: "ratio", scopes: ["all", "campaign", "each_campaign"], needs_budget: false },
  { name: "spend_pace", unit: "ratio", scopes: ["all", "campaign", "each_campaign"], needs_budget: true },
];
const RULE = {
  id: "r1",
  name: "ROAS BF",
  metric: "real_roas",
  comparator: "below",
  threshold: "1.5000",
  window_days: 3,
  scope: "campaign",
  platform: "meta",
  account_id: "act_1",
  campaign_id: "111",
  daily_budget: null,
  webhook_credential_id: "c1",
  email_recipients: ["u2"],
  is_active: true,
  created_at: "2026-11-01T10:00:00Z",
  updated_at: "2026-11-01T10:00:00Z",
  open_alerts: 1,
};
const EVENT = {
  id: "e1",
  rule_id: "r1",
  rule_name: "ROAS BF",
  metric: "real_roas",
  comparator: "below",
  threshold: "1.5000",
  subject_key: "meta:act_1:111",
  subject: { platform: "meta", account_id: "act_1", campaign_id: "111", campaign_name: "Black Friday" },
  status: "open",
  figures: [
    { day: "2026-11-27", value: 0.5, breached: true, spend: "100.00", revenue: "50.00", won: 1, leads: 2, spend_without_sessions: "0" },
    { day: "2026-11-28", value: null, breached: false, spend: "0", revenue: "0", won: 0, leads: 0, spend_without_sessions: "0" },
  ],
  resolved_figures: null,
  opened_at: "2026-11-29T10:10:00Z",
  resolved_at: null,
  last_evaluated_at: "2026-11-29T10:10:00Z",
  deliveries: [
    { transition: "opened", channel: "webhook", status: "success", attempts: 1, http_status: 200, error: null, delivered_at: "2026-11-29T10:10:01Z" },
    { transition: "opened", channel: "email", status: "failed", attempts: 1, http_status: null, error: "No mail sender.", delivered_at: null },
  ],
};

function stub({ rules = [RULE], events = [EVENT], postStatus = 201 }: { rules?: unknown[]; events?: unknown[]; postStatus?: number } = {}) {
  const api = routeFetch({
    "GET /api/analytics/alerts/metrics": () => jsonResponse(METRICS),
    "GET /api/analytics/alerts/rules": () => jsonResponse(rules),
    "GET /api/analytics/alerts/events": () => jsonResponse(events),
    "GET /api/members": () => jsonResponse({ items: [{ user_id: "u2", name: "Ana Lima", email: "ana@example.com", role: "analyst", is_active: true, created_at: "2026-11-01T10:00:00Z" }], total: 1, page: 1, page_size: 200 }),
    "GET /api/credentials": () => jsonResponse({ items: [{ id: "c1", name: "Slack relay" }], total: 1, page: 1, page_size: 100 }),
    "POST /api/analytics/alerts/rules": () =>
      postStatus === 201 ? jsonResponse(RULE, 201) : errorResponse(422, "validation_error", "Some fields are invalid.", [{ loc: "body.daily_budget", message: "required by spend_pace" }]),
    "POST /api/analytics/alerts/evaluate": () => jsonResponse({ opened: 1, resolved: 0, still_open: 0, as_of: "2026-11-29" }),
    "DELETE /api/analytics/alerts/rules/r1": () => jsonResponse(null, 204),
  });
  vi.stubGlobal("fetch", api.fetch);
  return api;
}

describe("Alerts", () => {
  it("shows rules as sentences and the history with the values that fired, as CSV too", async () => {
    const user = userEvent.setup();
    stub();
    const csv = captureCsv();
    renderWithProviders(<Alerts />, { route: "/analytics/alerts", me: viewer });
    const rules = await screen.findByTestId("rules");
    expect(rules).toHaveTextContent("Real ROAS below 1.5 for 3 day(s)");
    expect(rules).toHaveTextContent("1 open");
    expect(rules).toHaveTextContent("webhook");
    expect(rules).toHaveTextContent("e-mail to 1");
    expect(screen.queryByTestId("rule-add")).not.toBeInTheDocument();
    const history = await screen.findByTestId("alert-history");
    const [row] = within(history).getAllByTestId("report-row");
    expect(row).toHaveTextContent("Open");
    expect(row).toHaveTextContent("Meta · Black Friday");
    expect(row).toHaveTextContent("0.5");
    expect(row).toHaveTextContent("no value");
    expect(row).toHaveTextContent("Webhook, opening: sent");
    expect(row).toHaveTextContent("E-mail, opening: failed (No mail sender.)");
    await user.click(within(history).getByTestId("csv-button"));
    const text = await csv.text();
    expect(text.split("\r\n")[0]).toBe("Status,Rule,Subject,Values that fired it,Opened,Resolved,Deliveries");
    expect(text).toContain("Open,ROAS BF — Real ROAS below 1.5 for 2 day(s),Meta · Black Friday");
    csv.restore();
  });

  it("empty states say what to do next, in Portuguese", async () => {
    stub({ rules: [], events: [] });
    renderWithProviders(<Alerts />, { route: "/analytics/alerts", me: admin, locale: "pt-BR" });
    expect(await screen.findByText(/Nenhuma regra de alerta ainda/)).toBeInTheDocument();
    expect(screen.getByText(/Nenhum alerta disparou ainda/)).toBeInTheDocument();
    expect(screen.getByTestId("rule-add")).toHaveTextContent("Adicionar regra");
  });

  it("adds a rule, shows the server's 422, and checks the rules now", async () => {
    const user = userEvent.setup();
    const api = stub({ postStatus: 422 });
    renderWithProviders(<Alerts />, { route: "/analytics/alerts", me: admin });
    await user.click(await screen.findByTestId("rule-add"));
    const form = await screen.findByTestId("rule-form");
    await user.type(within(form).getByLabelText("Name"), "Pace");
    await user.selectOptions(within(form).getByLabelText("Metric"), "spend_pace");
    expect(within(form).getByLabelText("Daily budget")).toBeInTheDocument();
    await user.selectOptions(within(form).getByLabelText(/Webhook/), "c1");
    await user.click(await within(within(form).getByTestId("rule-recipients")).findByLabelText("Ana"));
    await user.click(within(form).getByTestId("rule-save"));
    expect(await within(form).findByRole("alert")).toBeInTheDocument();
    const sent = api.calls.find((c) => c.method === "POST" && c.url.pathname === "/api/analytics/alerts/rules")!.body as Record<string, unknown>;
    expect(sent).toMatchObject({ name: "Pace", metric: "spend_pace", scope: "all", webhook_credential_id: "c1", email_recipients: ["u-me"], platform: null });
    await user.click(within(form).getByRole("button", { name: "Cancel" }));
    await user.click(screen.getByTestId("rules-evaluate"));
    expect(await screen.findByText(/1 opened, 0 resolved/)).toBeInTheDocument();
    await waitFor(() => expect(api.calls.filter((c) => c.url.pathname === "/api/analytics/alerts/events").length).toBeGreaterThan(1));
  });
});
