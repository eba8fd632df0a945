import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonResponse, renderWithProviders, routeFetch } from "@/test/utils";
import CampaignReport from "../CampaignReport";
import { campaign, READER, report } from "../fixtures";
import type { DrillRow } from "./DrillDialog";

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

function row(n: number, extra: Partial<DrillRow> = {}): DrillRow {
  return {
    occurred_at: `2026-11-27T1${n % 10}:00:00Z`,
    contact_id: `k${n}`,
    email: `p${n}@cliente.com.br`,
    message_id: `m${n}`,
    event_id: `e${n}`,
    type: "bounce",
    subtype: "hard",
    is_machine: false,
    source: "ses",
    link_id: null,
    url: null,
    lead_id: null,
    stage: null,
    value: null,
    currency: null,
    ...extra,
  };
}

function open(locale: "en" | "pt-BR", drill: (url: URL) => Response) {
  const api = routeFetch({
    "GET /api/email/campaigns/c1": () => jsonResponse(campaign({ status: "sent", generation_status: "done", generated: 1000 })),
    "GET /api/email/campaigns/c1/report": () => jsonResponse(report()),
    "GET /api/email/campaigns/c1/drill": drill,
    "GET /api/email/campaigns/c1/drill/export": () => new Response("\uFEFFemail\r\np0@cliente.com.br\r\n", { headers: { "Content-Type": "text/csv" } }),
  });
  vi.stubGlobal("fetch", api.fetch);
  renderWithProviders(<CampaignReport />, { me: READER, route: "/email/campaigns/c1/report", path: "/email/campaigns/:campaignId/report", locale });
  return api;
}

describe("Drill-down from a report figure", () => {
  it("lists the hard bounces behind the number, pages through them and downloads them as CSV", async () => {
    const user = userEvent.setup();
    const api = open("pt-BR", (url) => {
      const page = Number(url.searchParams.get("page"));
      const items = page === 1 ? Array.from({ length: 25 }, (_, i) => row(i)) : [row(25), row(26)];
      return jsonResponse({ items, total: 27, page, page_size: 25 });
    });
    await user.click(await screen.findByTestId("drill-hard_bounces"));
    const dialog = await screen.findByTestId("drill-dialog");
    expect(within(dialog).getByRole("heading")).toHaveTextContent("Devoluções permanentes: a lista por trás do número");
    expect(within(dialog).getByText("27 no total, mais recentes primeiro.")).toBeInTheDocument();
    const rows = await within(dialog).findAllByTestId("drill-row");
    expect(rows).toHaveLength(25);
    expect(rows[0]).toHaveTextContent("p0@cliente.com.br");
    expect(rows[0]).toHaveTextContent("Devolvidopermanente");
    const first = api.calls.find((c) => c.url.pathname.endsWith("/drill"))!;
    expect(first.url.searchParams.get("figure")).toBe("hard_bounces");

    await user.click(within(dialog).getByRole("button", { name: "Próxima página" }));
    expect(await within(dialog).findByText("p26@cliente.com.br")).toBeInTheDocument();
    expect(within(dialog).getAllByTestId("drill-row")).toHaveLength(2);

    // The CSV is the server's file of the whole list.
    const saved: Blob[] = [];
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: (blob: Blob) => (saved.push(blob), "blob:x"), revokeObjectURL: () => undefined }));
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => undefined);
    await user.click(within(dialog).getByTestId("drill-csv"));
    await waitFor(() => expect(click).toHaveBeenCalled());
    expect(await saved[0]!.text()).toContain("p0@cliente.com.br");
    const exported = api.calls.find((c) => c.url.pathname.endsWith("/drill/export"))!;
    expect(exported.url.searchParams.get("figure")).toBe("hard_bounces");
  });

  it("shows won leads with their value in English, and says what to do when a list is empty", async () => {
    const user = userEvent.setup();
    open("en", (url) =>
      url.searchParams.get("figure") === "won_leads"
        ? jsonResponse({ items: [row(1, { type: null, subtype: null, event_id: null, message_id: null, lead_id: "l1", stage: "won", value: "1500.50", currency: "BRL" })], total: 1, page: 1, page_size: 25 })
        : jsonResponse({ items: [], total: 0, page: 1, page_size: 25 }),
    );
    await user.click(await screen.findByTestId("drill-won_leads"));
    const dialog = await screen.findByTestId("drill-dialog");
    const rows = await within(dialog).findAllByTestId("drill-row");
    expect(rows[0]).toHaveTextContent("p1@cliente.com.br");
    expect(rows[0]).toHaveTextContent("Won · R$1,500.50");
    await user.keyboard("{Escape}");
    await user.click(screen.getByTestId("drill-complaints"));
    expect(await screen.findByText(/Nothing behind this figure yet/)).toBeInTheDocument();
  });
});
