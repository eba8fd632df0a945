import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import { captureBody } from "./CreateLeadDialog";
import LeadListSection from "./LeadListSection";
import { LeadOwner } from "./LeadOwner";
import TasksSection, { endOfToday } from "./TasksSection";
import { CRM_READ, CRM_WRITE, type Lead, type LeadSummary, type Task } from "./types";

const MEMBERS = "members:read";

function summary(over: Partial<LeadSummary> = {}): LeadSummary {
  return {
    lead_id: "L1",
    contact_id: "C1",
    name: "Ana",
    email: "ana@example.com",
    company: null,
    phone: null,
    lead_score: "A",
    current_stage: "won",
    stage_changed_at: "2025-01-02T00:00:00Z",
    stage_value: "1500.50",
    probability: 100,
    owner_id: "u-2",
    owner: { id: "u-2", name: "Bruno", email: "b@example.com" },
    source: "google",
    medium: "cpc",
    campaign: "bf",
    channel: "Paid Search",
    attribution_status: "attributed",
    domain_id: null,
    external_id: null,
    created_at: "2025-01-02T00:00:00Z",
    ...over,
  };
}

function task(over: Partial<Task> = {}): Task {
  return {
    task_id: "T1",
    lead_id: "L1",
    contact_id: null,
    deal_id: null,
    title: "Ligar",
    description: null,
    due_at: new Date().toISOString(),
    assignee_id: "u-me",
    done: false,
    done_at: null,
    created_by_id: null,
    created_at: "2025-01-01T00:00:00Z",
    lead_name: "Ana",
    ...over,
  };
}

const members = () => jsonResponse({ items: [{ user_id: "u-me", name: "Ana" }, { user_id: "u-2", name: "Bruno" }], total: 2, page: 1, page_size: 200 });

afterEach(() => vi.unstubAllGlobals());

describe("the lead list's value, totals, CSV and new lead", () => {
  it("shows values and the filtered totals, and downloads the CSV of the same filters", async () => {
    const user = userEvent.setup();
    const api = routeFetch({
      "GET /api/leads": () => jsonResponse({ items: [summary()], total: 1, page: 1, page_size: 20 }),
      "GET /api/leads/summary": () => jsonResponse({ count: 12, value: "3001.00", with_value: 2, currency: "BRL" }),
      "GET /api/leads/export": () => new Response("\uFEFFlead_id\r\n", { status: 200, headers: { "Content-Type": "text/csv" } }),
    });
    vi.stubGlobal("fetch", api.fetch);
    const created = vi.fn(() => "blob:leads");
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: created, revokeObjectURL: vi.fn() }));
    renderWithProviders(<LeadListSection />, { me: makeMe([CRM_READ]), route: "/leads?campaign=bf&page=2" });
    const row = await screen.findByTestId("lead-row");
    expect(within(row).getByTestId("lead-value")).toHaveTextContent("1,500.50");
    expect(row).toHaveTextContent("Bruno");
    expect(await screen.findByTestId("lead-totals")).toHaveTextContent("12 leads · R$3,001.00 in total");
    expect(screen.queryByTestId("create-lead")).toBeNull();
    await user.click(screen.getByTestId("leads-export"));
    await waitFor(() => expect(created).toHaveBeenCalled());
    const exported = api.calls.find((c) => c.url.pathname === "/api/leads/export")!;
    expect(exported.url.searchParams.get("campaign")).toBe("bf");
    expect(exported.url.searchParams.has("page")).toBe(false);
  });

  it("creates a lead with its origin as UTM fields, gives it an owner and opens its page", async () => {
    const user = userEvent.setup();
    const api = routeFetch({
      "GET /api/leads": () => jsonResponse({ items: [], total: 0, page: 1, page_size: 20 }),
      "GET /api/leads/summary": () => jsonResponse({ count: 0, value: "0", with_value: 0, currency: "BRL" }),
      "GET /api/members": members,
      "POST /api/leads": () => jsonResponse({ lead_id: "L9", duplicate: false }, 201),
      "PATCH /api/leads/L9": () => jsonResponse({}),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<LeadListSection />, { me: makeMe([CRM_READ, CRM_WRITE, MEMBERS]), route: "/leads" });
    await user.click(await screen.findByTestId("create-lead"));
    const dialog = await screen.findByTestId("create-lead-dialog");
    expect(within(dialog).getByTestId("create-lead-submit")).toBeDisabled();
    await user.type(within(dialog).getByLabelText("Name"), "Carla <b>");
    await user.type(within(dialog).getByLabelText("Phone"), "+55 11 99999-0000");
    await user.type(within(dialog).getByLabelText("Source"), "evento");
    await user.selectOptions(within(dialog).getByLabelText("Owner"), "u-2");
    await user.click(within(dialog).getByTestId("create-lead-submit"));
    await waitFor(() => expect(api.calls.some((c) => c.method === "PATCH")).toBe(true));
    expect(api.calls.find((c) => c.method === "POST")!.body).toEqual({ name: "Carla <b>", phone: "+55 11 99999-0000", utm_source: "evento" });
    expect(api.calls.find((c) => c.method === "PATCH")!.body).toEqual({ owner_id: "u-2" });
  });

  it("leaves blank fields out of the capture body", () => {
    expect(captureBody({ name: " ", email: "a@b.co", phone: "", company: "", source: "", medium: "", campaign: " x ", ownerId: "" })).toEqual({
      name: undefined,
      email: "a@b.co",
      phone: undefined,
      company: undefined,
      utm_source: undefined,
      utm_medium: undefined,
      utm_campaign: "x",
    });
  });
});

describe("the lead's owner", () => {
  it("saves a new owner at once; a reader only sees the name", async () => {
    const user = userEvent.setup();
    const api = routeFetch({ "GET /api/members": members, "PATCH /api/leads/L1": () => jsonResponse({}) });
    vi.stubGlobal("fetch", api.fetch);
    const lead = { ...summary({ owner_id: null, owner: null }) } as unknown as Lead;
    const { unmount } = renderWithProviders(<LeadOwner lead={lead} canWrite />, { me: makeMe([CRM_READ, CRM_WRITE, MEMBERS]) });
    const select = await screen.findByTestId("lead-owner");
    await screen.findByRole("option", { name: "Bruno" });
    await user.selectOptions(select, "u-me");
    await waitFor(() => expect(api.calls.find((c) => c.method === "PATCH")?.body).toEqual({ owner_id: "u-me" }));
    unmount();
    renderWithProviders(<LeadOwner lead={{ ...lead, owner: { id: "u-3", name: "Old Owner", email: "o@example.com" } } as Lead} canWrite={false} />, { me: makeMe([CRM_READ]) });
    expect(screen.getByText("Old Owner")).toBeInTheDocument();
    expect(screen.queryByTestId("lead-owner")).toBeNull();
  });
});

describe("tasks due today", () => {
  it("lists my open tasks due by tonight, everyone's on request, and marks one done", async () => {
    const user = userEvent.setup();
    const api = routeFetch({
      "GET /api/tasks": (url) =>
        jsonResponse({
          items: url.searchParams.has("assignee_id") ? [task(), task({ task_id: "T2", title: "Proposta", due_at: "2020-01-01T12:00:00Z" })] : [task({ task_id: "T3", title: "Outro", assignee_id: "u-2", lead_name: null })],
          total: 2,
          page: 1,
          page_size: 100,
        }),
      "PATCH /api/tasks/T1": () => jsonResponse(task({ done: true })),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<TasksSection />, { me: makeMe([CRM_READ, CRM_WRITE]), route: "/leads/tasks" });
    const rows = await screen.findAllByTestId("due-task");
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent("today");
    expect(rows[1]).toHaveTextContent(/overdue since/);
    expect(within(rows[0]).getByRole("link", { name: "Ana" })).toHaveAttribute("href", "/leads/L1");
    const first = api.calls.find((c) => c.url.pathname === "/api/tasks")!;
    expect(first.url.searchParams.get("assignee_id")).toBe("u-me");
    expect(first.url.searchParams.get("done")).toBe("false");
    expect(first.url.searchParams.get("due_before")).toBe(endOfToday());
    await user.click(within(rows[0]).getByRole("checkbox"));
    await waitFor(() => expect(api.calls.find((c) => c.method === "PATCH")?.body).toEqual({ done: true }));
    await user.click(screen.getByRole("radio", { name: "Everyone's" }));
    expect(await screen.findByText("Outro")).toBeInTheDocument();
    expect(api.calls.filter((c) => c.url.pathname === "/api/tasks").at(-1)!.url.searchParams.has("assignee_id")).toBe(false);
  });
});
