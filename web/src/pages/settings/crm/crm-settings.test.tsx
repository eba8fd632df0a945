import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import { CRM_ADMIN, CRM_READ, type LeadSummary, type StageMappings, type WebhookDelivery } from "@/pages/crm/types";
import { DestinationForm, parseSettings } from "./DestinationForm";
import ReviewSection from "./ReviewSection";
import { StageMappingsEditor } from "./WebhooksSection";

const XSS = "<script>alert(1)</script>";

function delivery(id: string, over: Partial<WebhookDelivery> = {}): WebhookDelivery {
  return {
    delivery_id: id,
    provider: "hubspot",
    external_event_id: `evt-${id}`,
    status: "review",
    reason: "no lead matches record 123",
    record_id: "123",
    lead_id: null,
    payload: { note: XSS },
    received_at: "2025-01-01T12:00:00Z",
    resolved_at: null,
    ...over,
  };
}

const lead = { lead_id: "L7", contact_id: "C7", name: "Ana Lima", email: "ana@acme.com", company: "ACME", phone: null, lead_score: "A", current_stage: "proposal" } as LeadSummary;

describe("ReviewSection", () => {
  afterEach(() => vi.unstubAllGlobals());

  function stub() {
    let open = [delivery("d1"), delivery("d2", { provider: "pipedrive" })];
    const api = routeFetch({
      "GET /api/crm/webhook-deliveries": () => jsonResponse({ items: open, total: open.length, page: 1, page_size: 20 }),
      "GET /api/leads": () => jsonResponse({ items: [lead], total: 1, page: 1, page_size: 8 }),
      "POST /api/crm/webhook-deliveries/d1/resolve": () => {
        open = open.filter((d) => d.delivery_id !== "d1");
        return jsonResponse(delivery("d1", { status: "applied", lead_id: "L7" }));
      },
      "POST /api/crm/webhook-deliveries/d2/resolve": () => {
        open = open.filter((d) => d.delivery_id !== "d2");
        return jsonResponse(delivery("d2", { status: "dismissed" }));
      },
    });
    vi.stubGlobal("fetch", api.fetch);
    return api;
  }

  it("assigns a review item to a lead found by search, with a chosen stage", async () => {
    const user = userEvent.setup();
    const api = stub();
    const { container } = renderWithProviders(<ReviewSection />, { me: makeMe([CRM_READ, CRM_ADMIN]) });
    const rows = await screen.findAllByTestId("review-row");
    expect(rows).toHaveLength(2);
    expect(api.calls[0]!.url.searchParams.get("status")).toBe("review");
    expect(container.querySelector("script")).toBeNull();

    await user.click(within(rows[0]!).getByTestId("review-assign"));
    const dialog = await screen.findByTestId("assign-dialog");
    expect(within(dialog).getByTestId("assign-submit")).toBeDisabled();
    await user.type(within(dialog).getByLabelText("Find the lead"), "ana");
    await user.click(await within(dialog).findByTestId("lead-pick"));
    expect(api.calls.find((c) => c.url.pathname === "/api/leads")!.url.searchParams.get("q")).toBe("ana");
    await user.selectOptions(within(dialog).getByLabelText("Stage"), "won");
    await user.click(within(dialog).getByTestId("assign-submit"));

    await waitFor(() => expect(api.calls.find((c) => c.method === "POST")?.body).toEqual({ action: "apply", lead_id: "L7", stage: "won" }));
    expect(api.calls.find((c) => c.method === "POST")!.url.pathname).toBe("/api/crm/webhook-deliveries/d1/resolve");
    await waitFor(() => expect(screen.getAllByTestId("review-row")).toHaveLength(1));
    expect(await screen.findByText("Event applied to the lead.")).toBeInTheDocument();
  });

  it("dismisses after confirmation", async () => {
    const user = userEvent.setup();
    const api = stub();
    renderWithProviders(<ReviewSection />, { me: makeMe([CRM_READ, CRM_ADMIN]) });
    const rows = await screen.findAllByTestId("review-row");
    await user.click(within(rows[1]!).getByTestId("review-dismiss"));
    expect(api.calls.some((c) => c.method === "POST")).toBe(false);
    await user.click(await screen.findByRole("button", { name: "Dismiss" }));
    await waitFor(() => expect(api.calls.find((c) => c.method === "POST")?.body).toEqual({ action: "dismiss" }));
    expect(api.calls.find((c) => c.method === "POST")!.url.pathname).toBe("/api/crm/webhook-deliveries/d2/resolve");
    await waitFor(() => expect(screen.getAllByTestId("review-row")).toHaveLength(1));
  });

  it("says so when nothing waits", async () => {
    vi.stubGlobal("fetch", routeFetch({ "GET /api/crm/webhook-deliveries": () => jsonResponse({ items: [], total: 0, page: 1, page_size: 20 }) }).fetch);
    renderWithProviders(<ReviewSection />, { me: makeMe([CRM_ADMIN]) });
    expect(await screen.findByText("Nothing to review.")).toBeInTheDocument();
  });
});

describe("DestinationForm", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("lists only credentials of the chosen service and sends a webhook destination", async () => {
    const user = userEvent.setup();
    const api = routeFetch({
      "GET /api/credentials": (url) =>
        jsonResponse({
          items: url.searchParams.get("service") === "webhook" ? [{ id: "cw", name: "My hook", service: "webhook", is_active: true }] : [{ id: "ch", name: "HubSpot prod", service: "hubspot", is_active: true }],
          total: 1,
          page: 1,
          page_size: 200,
        }),
    });
    vi.stubGlobal("fetch", api.fetch);
    const onSubmit = vi.fn();
    renderWithProviders(<DestinationForm onSubmit={onSubmit} onCancel={vi.fn()} />);
    await screen.findByRole("option", { name: "HubSpot prod" });
    await user.type(screen.getByLabelText("Name"), "Hook");
    await user.selectOptions(screen.getByLabelText("Integration"), "webhook");
    await screen.findByRole("option", { name: "My hook" });
    expect(screen.queryByRole("option", { name: "HubSpot prod" })).toBeNull();
    expect(api.calls.at(-1)!.url.searchParams.get("service")).toBe("webhook");
    await user.selectOptions(screen.getByTestId("destination-credential"), "cw");
    await user.type(screen.getByLabelText("Webhook URL"), "https://hooks.example.com/in");
    await user.click(screen.getByLabelText("Stage change"));
    await user.click(screen.getByTestId("destination-submit"));
    expect(onSubmit).toHaveBeenCalledWith({
      name: "Hook",
      integration_name: "webhook",
      credential_id: "cw",
      settings: { url: "https://hooks.example.com/in" },
      events: ["lead.created", "lead.stage_changed"],
      is_active: true,
    });
  });

  it("refuses settings that are not a JSON object and a missing credential", async () => {
    const user = userEvent.setup();
    vi.stubGlobal("fetch", routeFetch({ "GET /api/credentials": () => jsonResponse({ items: [], total: 0, page: 1, page_size: 200 }) }).fetch);
    const onSubmit = vi.fn();
    renderWithProviders(<DestinationForm onSubmit={onSubmit} onCancel={vi.fn()} />);
    await user.type(screen.getByLabelText("Name"), "X");
    await user.click(screen.getByLabelText(/Settings \(JSON\)/));
    await user.paste("[1, 2]");
    await user.click(screen.getByTestId("destination-submit"));
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByText(/Write a JSON object/)).toBeInTheDocument();
    expect(screen.getByText("Choose a credential.")).toBeInTheDocument();
    expect(await screen.findByText(/No credential for this service yet/)).toBeInTheDocument();
  });

  it("parseSettings", () => {
    expect(parseSettings("")).toEqual({});
    expect(parseSettings('{"a": 1}')).toEqual({ a: 1 });
    expect(parseSettings("[]")).toBeNull();
    expect(parseSettings("{nope")).toBeNull();
  });
});

describe("StageMappingsEditor", () => {
  it("edits a provider's rows and saves every provider's own entries", async () => {
    const user = userEvent.setup();
    const onSave = vi.fn();
    const mappings: StageMappings = {
      mappings: { pipedrive: { "7": "won" } },
      defaults: { hubspot: { closedwon: "won" } },
      effective: { hubspot: { closedwon: "won" }, pipedrive: { "7": "won" } },
    };
    renderWithProviders(<StageMappingsEditor mappings={mappings} onSave={onSave} />);
    expect(screen.queryAllByTestId("mapping-row")).toHaveLength(0);
    await user.click(screen.getByTestId("add-mapping"));
    await user.type(screen.getByLabelText("Their stage 1"), "appointmentscheduled");
    await user.selectOptions(screen.getByLabelText("Our stage 1"), "proposal");
    await user.click(screen.getByTestId("add-mapping"));
    await user.click(screen.getByTestId("save-mappings"));
    expect(onSave).toHaveBeenCalledWith({ hubspot: { appointmentscheduled: "proposal" }, pipedrive: { "7": "won" } });
  });
});
