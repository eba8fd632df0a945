import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { translate } from "@/i18n";
import { toCsv } from "@/lib/csv";
import { jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import Attribution, { comparisonColumns, MODELS, type Comparison, type ModelName } from "./Attribution";

const XSS = "<img src=x onerror=alert(1)>";

function credits(conversions: Partial<Record<ModelName, number>>, lastTouch: number) {
  return Object.fromEntries(
    MODELS.map((model) => {
      const value = conversions[model] ?? lastTouch;
      return [model, { conversions: value, revenue: (value * 100).toFixed(2), shift: value - lastTouch, shift_ratio: lastTouch ? (value - lastTouch) / lastTouch : null }];
    }),
  ) as Comparison["rows"][number]["credits"];
}

function comparison(over: Partial<Comparison> = {}): Comparison {
  return {
    range: {
      current: { date_from: "2026-11-06", date_to: "2026-12-05", start: "2026-11-06T03:00:00Z", end: "2026-12-06T03:00:00Z" },
      previous: null,
      timezone: "America/Sao_Paulo",
      currency: "BRL",
      data_through: null,
    },
    level: "channel",
    conversion: "lead",
    lookback_days: 90,
    half_life_days: 7,
    models: MODELS.map((name) => ({ name, definition: `${name} definition` })),
    journeys: { converting: 3, untracked: 1, non_converting: 5, touches: 4 },
    conversions: 3,
    revenue: "300.00",
    rows: [
      { key: "Email", credits: credits({ first_touch: 0, linear: 0.5 }, 1) },
      { key: "Paid Search", credits: credits({ first_touch: 1, linear: 0.5 }, 0) },
      { key: "(untracked)", credits: credits({}, 1) },
      { key: XSS, credits: credits({}, 0) },
    ],
    other_currencies: [],
    ...over,
  };
}

describe("Attribution page", () => {
  let api: ReturnType<typeof routeFetch>;
  beforeEach(() => {
    api = routeFetch({
      "GET /api/analytics/attribution/compare": (url) =>
        jsonResponse(url.searchParams.get("level") === "campaign" ? comparison({ level: "campaign", rows: [{ key: "spring", credits: credits({}, 2) }] }) : comparison()),
      "GET /api/analytics/settings": () => jsonResponse({ overview_model: "last_touch", lookback_days: 90, half_life_days: 7, updated_at: null }),
    });
    vi.stubGlobal("fetch", api.fetch);
  });
  afterEach(() => vi.unstubAllGlobals());

  it("shows every model side by side with the shift from last click, collected keys as text", async () => {
    const { container } = renderWithProviders(<Attribution />, { route: "/analytics/attribution" });
    const rows = await screen.findAllByTestId("attribution-row");
    expect(rows.map((r) => within(r).getAllByRole("cell")[0].textContent)).toEqual(["Email", "Paid Search", "(no tracked visit)", XSS]);
    const email = rows[0];
    expect(email.querySelector('[data-model="first_touch"]')).toHaveTextContent("0−1");
    expect(email.querySelector('[data-model="linear"]')).toHaveTextContent("0.5−0.5");
    expect(email.querySelector('[data-model="last_touch"]')).toHaveTextContent(/^1$/);
    expect(rows[1].querySelector('[data-model="first_touch"]')).toHaveTextContent("1+1");
    expect(container.querySelector("img")).toBeNull();
    expect(screen.getByTestId("attribution-summary")).toHaveTextContent("3 conversions (1 without any tracked visit), 4 touches, 5 visitors who did not convert");
    const compare = api.calls.find((c) => c.url.pathname.endsWith("/compare"));
    expect(compare?.url.searchParams.get("level")).toBe("channel");
    expect(compare?.url.searchParams.get("preset")).toBe("last_30_days");
  });

  it("sends the shared report filters of the URL with the comparison", async () => {
    renderWithProviders(<Attribution />, { route: "/analytics/attribution?preset=last_7_days&source=google&channel=Paid+Search" });
    await screen.findAllByTestId("attribution-row");
    const compare = api.calls.find((c) => c.url.pathname.endsWith("/compare"));
    expect(compare?.url.searchParams.get("preset")).toBe("last_7_days");
    expect(compare?.url.searchParams.get("source")).toBe("google");
    expect(compare?.url.searchParams.get("channel")).toBe("Paid Search");
    expect(screen.getByTestId("filter-period")).toHaveValue("last_7_days");
  });

  it("switches to campaigns and to won deals with a new request", async () => {
    const user = userEvent.setup();
    renderWithProviders(<Attribution />, { route: "/analytics/attribution" });
    await screen.findAllByTestId("attribution-row");
    await user.click(screen.getByRole("button", { name: "Campaign" }));
    await waitFor(() => expect(screen.getAllByTestId("attribution-row").map((r) => within(r).getAllByRole("cell")[0].textContent)).toEqual(["spring"]));
    await user.selectOptions(screen.getByLabelText("Conversion"), "won");
    await waitFor(() => expect(api.calls.at(-1)?.url.searchParams.get("conversion")).toBe("won"));
    expect(api.calls.at(-1)?.url.searchParams.get("level")).toBe("campaign");
  });

  it("sorts by a model's column when its header is clicked", async () => {
    const user = userEvent.setup();
    renderWithProviders(<Attribution />, { route: "/analytics/attribution" });
    await screen.findAllByTestId("attribution-row");
    await user.click(within(screen.getByRole("table")).getByRole("button", { name: "First touch" }));
    const keys = screen.getAllByTestId("attribution-row").map((r) => within(r).getAllByRole("cell")[0].textContent);
    expect(keys.slice(0, 2)).toEqual(["(no tracked visit)", "Paid Search"]);
  });

  it("exports the table as shown, in the shown order", async () => {
    const user = userEvent.setup();
    // Shown sorted by key, ascending (a click on the Channel header).
    const blobs: string[][] = [];
    vi.stubGlobal(
      "Blob",
      class {
        constructor(parts: string[]) {
          blobs.push(parts);
        }
      },
    );
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: () => "blob:x", revokeObjectURL: () => undefined }));
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => undefined);
    renderWithProviders(<Attribution />, { route: "/analytics/attribution" });
    await screen.findAllByTestId("attribution-row");
    await user.click(within(screen.getByRole("table")).getByRole("button", { name: "Channel" }));
    await user.click(screen.getByRole("button", { name: "Export CSV" }));
    expect(click).toHaveBeenCalledOnce();
    const text = blobs[0].join("");
    const lines = text.replace(/^\ufeff/, "").trim().split("\r\n");
    expect(lines[0]).toBe(
      "Key,First touch (Conversions),First touch vs last click,Last touch (Conversions),Last non-direct (Conversions),Last non-direct vs last click,Linear (Conversions),Linear vs last click,Time decay (Conversions),Time decay vs last click,Position-based (Conversions),Position-based vs last click,Markov chain (Conversions),Markov chain vs last click,Shapley value (Conversions),Shapley value vs last click",
    );
    const keys = screen.getAllByTestId("attribution-row").map((r) => within(r).getAllByRole("cell")[0].textContent);
    expect(keys).toEqual(["(no tracked visit)", XSS, "Email", "Paid Search"]);
    expect(lines.slice(1).map((l) => l.split(",")[0])).toEqual(keys);
    expect(lines[3]).toBe("Email,0,-1,1,1,0,0.5,-0.5,1,0,1,0,1,0,1,0");
    click.mockRestore();
  });

  it("shows the empty state when there is nothing to credit", async () => {
    vi.stubGlobal("fetch", routeFetch({ "GET /api/analytics/attribution/compare": () => jsonResponse(comparison({ rows: [] })) }).fetch);
    renderWithProviders(<Attribution />, { route: "/analytics/attribution", locale: "pt-BR" });
    expect(await screen.findByText(/Nenhuma conversão neste período/)).toBeInTheDocument();
  });
});

describe("comparisonColumns", () => {
  const t = (key: Parameters<typeof translate>[1], vars?: Record<string, string | number>) => translate("pt-BR", key, vars);
  it("neutralises formulas in collected keys and labels in the user's language", () => {
    const rows = [{ key: "=HYPERLINK(\"x\")", credits: credits({}, 1) }];
    const columns = comparisonColumns("revenue", t);
    expect(columns[0].header).toBe("Chave");
    expect(columns[1].header).toBe("Primeiro toque (Receita)");
    expect(toCsv(comparisonColumns("revenue", t), rows).split("\r\n")[1].startsWith("\"'=HYPERLINK(\"\"x\"\")\",100,0,100")).toBe(true);
  });
});

describe("AttributionSettings", () => {
  afterEach(() => vi.unstubAllGlobals());
  it("lets an admin choose the Overview's model and saves it", async () => {
    const user = userEvent.setup();
    const settings = { overview_model: "last_touch", lookback_days: 90, half_life_days: 7, updated_at: null };
    const api = routeFetch({
      "GET /api/analytics/attribution/compare": () => jsonResponse(comparison()),
      "GET /api/analytics/settings": () => jsonResponse(settings),
      "PUT /api/analytics/settings": () => jsonResponse({ ...settings, overview_model: "linear" }),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<Attribution />, { route: "/analytics/attribution", me: makeMe(["analytics:read", "analytics:admin"]) });
    const card = await screen.findByTestId("attribution-settings");
    await user.selectOptions(await within(card).findByRole("combobox"), "linear");
    await user.click(within(card).getByRole("button", { name: "Save" }));
    await vi.waitFor(() => expect(api.calls.filter((c) => c.method === "PUT").map((c) => c.body)).toEqual([{ overview_model: "linear", lookback_days: 90, half_life_days: 7 }]));
  });

  it("shows the settings read-only to a viewer", async () => {
    const api = routeFetch({
      "GET /api/analytics/attribution/compare": () => jsonResponse(comparison()),
      "GET /api/analytics/settings": () => jsonResponse({ overview_model: "markov", lookback_days: 30, half_life_days: 7, updated_at: null }),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<Attribution />, { route: "/analytics/attribution", me: makeMe(["analytics:read"]) });
    const card = await screen.findByTestId("attribution-settings");
    expect(await within(card).findByRole("combobox")).toBeDisabled();
    expect(within(card).queryByRole("button", { name: "Save" })).toBeNull();
  });
});
