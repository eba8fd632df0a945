import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { setTokens } from "@/auth/tokens";
import { jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import { auditQuery } from "./AuditLogSection";
import PrivacySection from "./PrivacySection";

const OPEN = {
  request_id: "r-1",
  kind: "erase",
  status: "received",
  email: "maria@example.com",
  phone: null,
  received_at: "2026-12-01T12:00:00Z",
  due_at: "2026-12-16T12:00:00Z",
  days_left: 2,
  started_at: null,
  finished_at: null,
  rejection_reason: null,
  proof: { found: {}, erased: {}, forwarded: [], searched_at: null, erased_at: null },
  has_export: false,
};

const DONE = {
  ...OPEN,
  request_id: "r-2",
  status: "done",
  email: "m***@example.com",
  days_left: 0,
  finished_at: "2026-12-02T12:00:00Z",
  proof: {
    found: { leads: 2, contacts: 1 },
    erased: { leads: 2, contacts: 1 },
    forwarded: [{ platform: "hubspot", destination: "HubSpot", status: "deleted", detail: null }],
    searched_at: "2026-12-02T12:00:00Z",
    erased_at: "2026-12-02T12:00:00Z",
  },
};

const ENTRY = {
  entry_id: "e-1",
  occurred_at: "2026-12-02T12:00:00Z",
  actor_kind: "user",
  actor_id: "u-1",
  actor_name: "Ana Admin",
  action: "read",
  entity_type: "lead",
  entity_id: "lead-123",
  method: "GET",
  path: "/api/leads/{lead_id}",
  ip: "203.0.113.7",
  user_agent: "Chrome / Windows / desktop",
};

function serve({ requests = [OPEN, DONE], entries = [ENTRY] }: { requests?: unknown[]; entries?: unknown[] } = {}) {
  const page = (items: unknown[]) => jsonResponse({ items, total: items.length, page: 1, page_size: 20 });
  const stub = routeFetch({
    "GET /api/privacy/requests": () => page(requests),
    "POST /api/privacy/requests": () => jsonResponse({ ...OPEN, request_id: "r-3", kind: "export" }, 201),
    "GET /api/privacy/audit": () => page(entries),
    "GET /api/privacy/audit/entity-types": () => jsonResponse(["lead"]),
    "GET /api/members": () => page([]),
  });
  vi.stubGlobal("fetch", stub.fetch);
  return stub;
}

function render(locale: "en" | "pt-BR" = "en") {
  setTokens({ access_token: "a", refresh_token: "r" });
  renderWithProviders(<PrivacySection />, { me: makeMe(["privacy:admin"]), locale });
}

describe("Settings → Privacy", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("lists requests with the days left to answer, and an answered one's proof", async () => {
    serve();
    render();
    const rows = await screen.findAllByTestId("request-row");
    expect(rows).toHaveLength(2);
    expect(within(rows[0]!).getByTestId("days-left")).toHaveTextContent("2 days left");
    expect(within(rows[1]!).queryByTestId("days-left")).toBeNull();
    await userEvent.setup().click(within(rows[1]!).getByRole("button", { name: "Details" }));
    const detail = await screen.findByTestId("request-detail");
    expect(within(detail).getByText("leads")).toBeInTheDocument();
    expect(within(detail).getByTestId("forwarded")).toHaveTextContent("HubSpot: deleted");
  });

  it("records a new request by e-mail", async () => {
    const stub = serve();
    render();
    const user = userEvent.setup();
    await user.click(await screen.findByTestId("new-request-button"));
    const dialog = await screen.findByRole("dialog");
    await user.type(within(dialog).getByLabelText("E-mail"), " maria@example.com ");
    await user.click(within(dialog).getByTestId("new-request-submit"));
    await screen.findByText("Request recorded");
    expect(stub.calls.find((c) => c.method === "POST")?.body).toEqual({ kind: "export", email: "maria@example.com", phone: null });
  });

  it("shows the audit log and says what to do when empty, in Portuguese", async () => {
    serve({ requests: [], entries: [] });
    render("pt-BR");
    expect(await screen.findByText(/Nenhum pedido ainda/)).toBeInTheDocument();
    expect(await screen.findByText(/Nada registrado com estes filtros/)).toBeInTheDocument();
  });

  it("shows who read what from where", async () => {
    serve();
    render();
    const row = await screen.findByTestId("audit-row");
    expect(row).toHaveTextContent("Ana Admin");
    expect(row).toHaveTextContent("lead-123");
    expect(row).toHaveTextContent("203.0.113.7");
  });

  it("turns the day filters into an inclusive period", () => {
    const query = auditQuery({ action: "export", entity: " lead ", actor: "", from: "2026-12-01", to: "2026-12-01" });
    expect(query.action).toBe("export");
    expect(query.entity_type).toBe("lead");
    expect(new Date(query.until!).getTime() - new Date(query.since!).getTime()).toBe(86_400_000);
  });
});
