import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "@/api/client";
import { errorResponse, jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import ConversionDetailSection from "./ConversionDetailSection";
import ConversionListSection from "./ConversionListSection";
import { ConversionSettingsForm } from "./ConversionSettingsSection";
import { conversionQuery, filtersFromParams, filtersToParams, NO_FILTERS } from "./filters";
import { HealthPanel } from "./HealthPanel";
import { formFromSettings, settingsFromForm } from "./settingsForm";
import {
  CONVERSIONS_ADMIN,
  CONVERSIONS_READ,
  CONVERSIONS_WRITE,
  type Conversion,
  type ConversionDetail,
  type ConversionSettingsOut,
  type PlatformHealth,
  type PlatformSync,
  type SyncLogEntry,
} from "./types";

const XSS = "<img src=x onerror=alert(1)>";
const LEAD = "0193a0d2-1111-7000-8000-000000000001";

function sync(platform: string, status: string, over: Partial<PlatformSync> = {}): PlatformSync {
  return { platform, status, reason: null, attempts: 0, next_attempt_at: null, last_attempt_at: null, sent_at: null, ...over };
}

function conversion(id: string, platforms: PlatformSync[], over: Partial<Conversion> = {}): Conversion {
  return {
    conversion_id: id,
    lead_id: LEAD,
    original_tracking_id: null,
    gclid: null,
    gbraid: null,
    wbraid: null,
    fbclid: "IwAR-click",
    fbc: null,
    fbp: null,
    ttclid: null,
    li_fat_id: null,
    msclkid: null,
    clicked_at: "2025-01-01T10:00:00Z",
    conversion_value: "1500.00",
    conversion_currency: "BRL",
    conversion_date: "2025-01-02T12:00:00Z",
    conversion_name: "purchase",
    order_id: `order-${id}`,
    origin: "won",
    order_status: "paid",
    refunded_at: null,
    sync_status: Object.fromEntries(platforms.map((p) => [p.platform, p.status])),
    platforms,
    lead_name: XSS,
    campaign: "blackfriday",
    created_at: "2025-01-02T12:00:00Z",
    ...over,
  };
}

function entry(n: number, over: Partial<SyncLogEntry> = {}): SyncLogEntry {
  return {
    sync_id: `s${n}`,
    platform: "meta",
    batch_id: null,
    attempt: n,
    sync_status: "failed",
    request_payload: { data: [{ event_id: "order-c1", user_data: { em: ["9f86d081884c7d65"] } }] },
    response_data: { error: { message: "Invalid parameter", code: 100 } },
    error_message: "Invalid parameter",
    http_status_code: 400,
    synced_at: "2025-01-02T12:05:00Z",
    ...over,
  };
}

function health(platform: string, over: Partial<PlatformHealth> = {}): PlatformHealth {
  return { platform, state: "healthy", reason: null, credential_rejected_at: null, last_success_at: null, attempts_24h: 0, failed_24h: 0, error_rate_24h: null, queue_length: 0, breaker_state: "closed", breaker_open_until: null, ...over };
}

afterEach(() => vi.unstubAllGlobals());

describe("conversion filters", () => {
  it("reads the URL, dropping unknown statuses, platforms, malformed dates and lead ids", () => {
    const f = filtersFromParams(new URLSearchParams(`status=failed&platform=bing&from=2025-01-01&to=31/01/2025&campaign=%20bf%20&lead_id=${LEAD}`));
    expect(f).toEqual({ ...NO_FILTERS, status: "failed", from: "2025-01-01", campaign: "bf", leadId: LEAD });
    expect(filtersFromParams(new URLSearchParams("status=bogus&platform=meta&lead_id=x'or'1")).status).toBeNull();
    expect(filtersFromParams(new URLSearchParams("platform=meta&lead_id=x'or'1"))).toEqual({ ...NO_FILTERS, platform: "meta" });
  });

  it("builds the API query: whole local days with an exclusive end, and round-trips through the URL", () => {
    const filters = { ...NO_FILTERS, status: "sent" as const, platform: "google" as const, campaign: "bf", from: "2025-01-01", to: "2025-01-31", leadId: LEAD };
    expect(conversionQuery(filters, 3, 20)).toEqual({
      page: 3,
      page_size: 20,
      status: "sent",
      platform: "google",
      campaign: "bf",
      date_from: new Date(2025, 0, 1).toISOString(),
      date_to: new Date(2025, 1, 1).toISOString(),
      lead_id: LEAD,
    });
    expect(filtersFromParams(filtersToParams(filters))).toEqual(filters);
    expect(conversionQuery(NO_FILTERS, 1, 20)).toEqual({ page: 1, page_size: 20 });
  });
});

describe("ConversionListSection", () => {
  function stub(items: Conversion[]) {
    const api = routeFetch({
      "GET /api/conversions": () => jsonResponse({ items, total: items.length, page: 1, page_size: 20 }),
      "GET /api/conversions/health": () => jsonResponse([health("meta", { queue_length: 3 })]),
      "POST /api/conversions/c1/retry": () => jsonResponse(conversion("c1", [sync("meta", "pending")])),
    });
    vi.stubGlobal("fetch", api.fetch);
    return api;
  }
  const listCalls = (api: ReturnType<typeof routeFetch>) => api.calls.filter((c) => c.url.pathname === "/api/conversions");

  it("sends the URL's filters, changes them from the bar and from the health card's queue", async () => {
    const user = userEvent.setup();
    const api = stub([conversion("c1", [sync("meta", "sent")])]);
    renderWithProviders(<ConversionListSection />, { me: makeMe([CONVERSIONS_READ]), route: `/conversions?status=failed&from=2025-01-01&lead_id=${LEAD}` });
    await screen.findByTestId("conversion-row");
    const first = listCalls(api)[0]!.url.searchParams;
    expect(first.get("status")).toBe("failed");
    expect(first.get("date_from")).toBe(new Date(2025, 0, 1).toISOString());
    expect(first.get("lead_id")).toBe(LEAD);
    expect(first.get("platform")).toBeNull();

    await user.selectOptions(screen.getByLabelText("Platform"), "meta");
    await waitFor(() => expect(listCalls(api).at(-1)!.url.searchParams.get("platform")).toBe("meta"));
    expect(listCalls(api).at(-1)!.url.searchParams.get("status")).toBe("failed");

    await user.type(screen.getByLabelText("Campaign"), "bf");
    await waitFor(() => expect(listCalls(api).at(-1)!.url.searchParams.get("campaign")).toBe("bf"));

    await user.click(screen.getByTestId("lead-filter"));
    await waitFor(() => expect(listCalls(api).at(-1)!.url.searchParams.get("lead_id")).toBeNull());

    // The queue of a platform is its pending conversions.
    await user.selectOptions(screen.getByLabelText("Platform"), "");
    const card = await screen.findByTestId("health-card");
    await user.click(within(card).getByRole("button", { name: "Show" }));
    await waitFor(() => {
      const q = listCalls(api).at(-1)!.url.searchParams;
      expect([q.get("platform"), q.get("status")]).toEqual(["meta", "pending"]);
    });
  });

  it("shows a chip per platform with the reason as its description; Retry now only on failed rows", async () => {
    const user = userEvent.setup();
    const failed = sync("meta", "failed", { reason: "Meta rejected the event: Invalid parameter (HTTP 400).", attempts: 2 });
    const api = stub([
      conversion("c1", [sync("google", "expired", { reason: "The click is 120 days old; the google window is 90 days." }), failed]),
      conversion("c2", [sync("meta", "sent", { sent_at: "2025-01-02T12:06:00Z" })], { lead_name: "Bruno", conversion_value: null }),
    ]);
    const { container } = renderWithProviders(<ConversionListSection />, { me: makeMe([CONVERSIONS_READ, CONVERSIONS_WRITE]), route: "/conversions" });
    const rows = await screen.findAllByTestId("conversion-row");
    expect(rows[0]).toHaveTextContent(XSS);
    expect(container.querySelector("img")).toBeNull();
    expect(within(rows[0]!).getByTestId("conversion-link")).toHaveAttribute("href", "/conversions/c1");
    expect(rows[0]).toHaveTextContent(/R\$\s?1,500\.00/);

    const chips = within(rows[0]!).getAllByTestId("platform-chip");
    expect(chips.map((c) => c.textContent)).toEqual(["Google·Expired", "Meta·Failed"]);
    expect(chips[1]).toHaveAccessibleDescription(/Invalid parameter \(HTTP 400\)\. · 2 attempt\(s\)/);
    expect(screen.queryByTestId("platform-chip-tip")).toBeNull();
    await user.hover(chips[1]!);
    expect(screen.getByTestId("platform-chip-tip")).toHaveTextContent("Meta rejected the event");
    await user.unhover(chips[1]!);
    expect(screen.queryByTestId("platform-chip-tip")).toBeNull();
    expect(within(rows[1]!).getByTestId("platform-chip")).toHaveAttribute("data-status", "sent");

    expect(within(rows[1]!).queryByTestId("conversion-retry")).toBeNull();
    await user.click(within(rows[0]!).getByTestId("conversion-retry"));
    await waitFor(() => expect(api.calls.some((c) => c.method === "POST")).toBe(true));
    const post = api.calls.find((c) => c.method === "POST")!;
    expect(post.url.pathname).toBe("/api/conversions/c1/retry");
    expect(post.body).toEqual({});
    expect(await screen.findByText("Failed deliveries queued again.")).toBeInTheDocument();
  });

  it("has no Retry now without conversions:write", async () => {
    stub([conversion("c1", [sync("meta", "failed")])]);
    renderWithProviders(<ConversionListSection />, { me: makeMe([CONVERSIONS_READ]), route: "/conversions" });
    await screen.findByTestId("conversion-row");
    expect(screen.queryByTestId("conversion-retry")).toBeNull();
  });
});

describe("ConversionDetailSection", () => {
  function stub(detail: ConversionDetail, over: Record<string, () => Response> = {}) {
    const api = routeFetch({
      "GET /api/conversions/c1": () => jsonResponse(detail),
      "POST /api/conversions/c1/retry": () => jsonResponse(detail.conversion),
      "POST /api/conversions/c1/resend": () => jsonResponse(detail.conversion),
      ...over,
    });
    vi.stubGlobal("fetch", api.fetch);
    return api;
  }
  const detail: ConversionDetail = {
    conversion: conversion("c1", [sync("google", "sent", { sent_at: "2025-01-02T12:06:00Z", attempts: 1 }), sync("meta", "failed", { reason: "Invalid parameter", attempts: 1 })]),
    sync_log: [entry(1), entry(2, { platform: "google", sync_status: "success", http_status_code: 200, error_message: null, response_data: {} })],
  };
  const render = (perms = [CONVERSIONS_READ, CONVERSIONS_WRITE]) => renderWithProviders(<ConversionDetailSection />, { me: makeMe(perms), route: "/conversions/c1", path: "/conversions/:conversionId" });

  it("shows the sync log: status, HTTP status, error, and the request and response unfolding as JSON", async () => {
    const user = userEvent.setup();
    stub(detail);
    render();
    const entries = await screen.findAllByTestId("sync-log-entry");
    expect(entries).toHaveLength(2);
    expect(within(entries[0]!).getByTestId("attempt-chip")).toHaveTextContent("Failed");
    expect(within(entries[0]!).getByTestId("http-status")).toHaveTextContent("HTTP 400");
    expect(entries[0]).toHaveTextContent("Invalid parameter");
    expect(within(entries[1]!).getByTestId("attempt-chip")).toHaveTextContent("Success");
    const details = entries[0]!.querySelector("details")!;
    expect(details.open).toBe(false);
    await user.click(within(entries[0]!).getByText("Meta"));
    expect(details.open).toBe(true);
    const [request, response] = within(entries[0]!).getAllByTestId("json-block");
    expect(request!.textContent).toBe(JSON.stringify(entry(1).request_payload, null, 2));
    expect(response!.textContent).toContain('"code": 100');
    expect(entries[1]).toHaveTextContent("(empty)");
    expect(screen.getByText("order-c1")).toBeInTheDocument();
    expect(screen.getByText("fbclid=IwAR-click")).toBeInTheDocument();
  });

  it("retries one platform now, and sends again only after a confirmation that speaks of dedup", async () => {
    const user = userEvent.setup();
    const api = stub(detail);
    render();
    const rows = await screen.findAllByTestId("delivery-row");
    const [google, meta] = rows as [HTMLElement, HTMLElement];
    expect(within(google).queryByTestId("delivery-retry")).toBeNull();
    expect(within(meta).queryByTestId("delivery-resend")).toBeNull();

    await user.click(within(meta).getByTestId("delivery-retry"));
    await waitFor(() => expect(api.calls.find((c) => c.method === "POST")?.body).toEqual({ platform: "meta" }));
    expect(api.calls.find((c) => c.method === "POST")!.url.pathname).toBe("/api/conversions/c1/retry");

    await user.click(within(google).getByTestId("delivery-resend"));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog).toHaveTextContent("Send to Google again?");
    expect(dialog).toHaveTextContent(/same event id and order id \(order-c1\).*deduplicates/);
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(api.calls.filter((c) => c.url.pathname.endsWith("/resend"))).toHaveLength(0);

    await user.click(within(google).getByTestId("delivery-resend"));
    await user.click(within(await screen.findByRole("alertdialog")).getByRole("button", { name: "Send again" }));
    await waitFor(() => expect(api.calls.filter((c) => c.url.pathname === "/api/conversions/c1/resend")).toHaveLength(1));
    expect(api.calls.find((c) => c.url.pathname.endsWith("/resend"))!.body).toEqual({ platform: "google" });
    expect(await screen.findByText("Queued to send to Google again.")).toBeInTheDocument();
  });

  it("says so when the delivery changed meanwhile (409), and hides actions from readers", async () => {
    const user = userEvent.setup();
    stub(detail, { "POST /api/conversions/c1/retry": () => errorResponse(409, "conflict", "Only a failed delivery can be retried.") });
    const { unmount } = render();
    const meta = (await screen.findAllByTestId("delivery-row"))[1]!;
    await user.click(within(meta).getByTestId("delivery-retry"));
    expect(await screen.findByText("Nothing to retry: the delivery is no longer failed.")).toBeInTheDocument();
    unmount();

    render([CONVERSIONS_READ]);
    await screen.findAllByTestId("delivery-row");
    expect(screen.queryByTestId("delivery-retry")).toBeNull();
    expect(screen.queryByTestId("delivery-resend")).toBeNull();
  });
});

describe("HealthPanel", () => {
  it("shows per platform the breaker, last success, error rate of 24 h and queue", async () => {
    const api = routeFetch({
      "GET /api/conversions/health": () =>
        jsonResponse([
          health("meta", { last_success_at: new Date(Date.now() - 5 * 60_000).toISOString(), attempts_24h: 8, failed_24h: 2, error_rate_24h: 0.25, queue_length: 1234 }),
          health("google", { breaker_state: "open", breaker_open_until: "2030-01-01T12:00:00Z" }),
        ]),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<HealthPanel />, { me: makeMe([CONVERSIONS_READ]) });
    const cards = await screen.findAllByTestId("health-card");
    const [meta, google] = cards as [HTMLElement, HTMLElement];
    expect(within(meta).getByRole("heading")).toHaveTextContent("Meta");
    expect(within(meta).getByTestId("breaker-state")).toHaveTextContent("Operational");
    expect(within(meta).getByTestId("last-success")).toHaveTextContent("5 minutes ago");
    expect(within(meta).getByTestId("error-rate")).toHaveTextContent("25%");
    expect(within(meta).getByTestId("error-rate")).toHaveTextContent("2 of 8 attempts");
    expect(within(meta).getByTestId("error-rate")).toHaveClass("text-destructive");
    expect(within(meta).getByTestId("queue-length")).toHaveTextContent("1,234");
    expect(within(google).getByTestId("breaker-state")).toHaveTextContent("Paused");
    expect(within(google).getByTestId("last-success")).toHaveTextContent("Never");
    expect(within(google).getByTestId("error-rate")).toHaveTextContent("No attempts");
    expect(google).toHaveTextContent("Sending paused until");
  });

  it("speaks Portuguese", async () => {
    vi.stubGlobal("fetch", routeFetch({ "GET /api/conversions/health": () => jsonResponse([health("meta", { breaker_state: "half_open", queue_length: 1234 })]) }).fetch);
    renderWithProviders(<HealthPanel />, { me: makeMe([CONVERSIONS_READ]), locale: "pt-BR" });
    const card = await screen.findByTestId("health-card");
    expect(within(card).getByTestId("breaker-state")).toHaveTextContent("Testando");
    expect(within(card).getByTestId("queue-length")).toHaveTextContent("1.234");
    expect(screen.getByText("Saúde das plataformas")).toBeInTheDocument();
  });
});

describe("conversion settings", () => {
  const saved: ConversionSettingsOut = {
    won_conversion_name: "purchase",
    windows: { meta: 7 },
    actions: { purchase: { meta: { event_name: "Purchase", action_source: "physical_store" }, google: { action_id: "123456", window_days: 30 } } },
    effective_windows: { google: 90, meta: 7, linkedin: 90, tiktok: 28 },
  };

  it("round-trips the API shape, leaving blanks and fields a platform does not read out", () => {
    const form = formFromSettings(saved);
    expect(form.windows).toEqual({ google: "", meta: "7", linkedin: "", tiktok: "" });
    expect(settingsFromForm(form)).toEqual({ won_conversion_name: "purchase", windows: { meta: 7 }, actions: saved.actions });
    form.actions[0]!.platforms.google.event_name = "ignored";
    form.actions[0]!.platforms.tiktok.action_id = "ignored";
    expect(settingsFromForm(form).actions).toEqual(saved.actions);
  });

  it("edits windows and maps a new conversion, then sends the whole settings", async () => {
    const user = userEvent.setup();
    const onSave = vi.fn();
    renderWithProviders(<ConversionSettingsForm settings={saved} onSave={onSave} busy={false} error={null} />, { me: makeMe([CONVERSIONS_READ, CONVERSIONS_ADMIN]) });
    await user.clear(screen.getByTestId("window-meta"));
    await user.type(screen.getByTestId("window-google"), "60");
    await user.type(screen.getByTestId("new-mapping-name"), "contract_signed");
    await user.click(screen.getByTestId("add-mapping"));
    const mapping = screen.getAllByTestId("mapping")[1]!;
    await user.type(within(mapping).getByLabelText("TikTok · Event name"), "CompletePayment");
    await user.type(within(mapping).getByLabelText("LinkedIn · Conversion action id"), "987");
    await user.type(within(mapping).getByLabelText("LinkedIn · Window (days)"), "45");
    await user.click(screen.getByTestId("settings-save"));
    expect(onSave).toHaveBeenCalledTimes(1);
    expect(onSave.mock.calls[0]![0]).toEqual({
      won_conversion_name: "purchase",
      windows: { google: 60 },
      actions: { ...saved.actions, contract_signed: { tiktok: { event_name: "CompletePayment" }, linkedin: { action_id: "987", window_days: 45 } } },
    });
  });

  it("refuses a conversion mapped twice", async () => {
    const user = userEvent.setup();
    const onSave = vi.fn();
    renderWithProviders(<ConversionSettingsForm settings={saved} onSave={onSave} busy={false} error={null} />);
    await user.type(screen.getByTestId("new-mapping-name"), "purchase");
    await user.click(screen.getByTestId("add-mapping"));
    expect(screen.getAllByTestId("mapping")).toHaveLength(1);
    await user.clear(screen.getByTestId("new-mapping-name"));
    await user.type(screen.getByTestId("new-mapping-name"), "lead");
    await user.click(screen.getByTestId("add-mapping"));
    const names = screen.getAllByTestId("mapping").map((m) => within(m).getByLabelText<HTMLInputElement>("Conversion"));
    expect(names.map((n) => n.value)).toEqual(["purchase", "lead"]);
    await user.clear(names[1]!);
    await user.type(names[1]!, "purchase");
    expect(screen.getByRole("alert")).toHaveTextContent("The conversion purchase is mapped twice.");
    expect(screen.getByTestId("settings-save")).toBeDisabled();
    expect(onSave).not.toHaveBeenCalled();
  });

  it("shows the server's validation errors under their fields", () => {
    const error = new ApiError(422, "validation_error", "Invalid", [{ loc: ["body", "windows", "meta"], message: "Input should be less than or equal to 365" }]);
    renderWithProviders(<ConversionSettingsForm settings={saved} onSave={vi.fn()} busy={false} error={error} />);
    expect(screen.getByTestId("window-meta")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByTestId("window-meta")).toHaveAccessibleDescription(/less than or equal to 365/);
  });
});
