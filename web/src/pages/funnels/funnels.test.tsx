import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { errorResponse, jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import FunnelEditor from "./FunnelEditor";
import { FunnelList } from "./FunnelsPage";
import { moveItem, type FunnelDetail, type Funnel, type Step } from "./types";

const XSS = "<img src=x onerror=alert(1)>";
const WRITER = makeMe(["funnels:read", "funnels:write", "tracking:read"]);
const READER = makeMe(["funnels:read"]);

function funnel(over: Partial<Funnel> = {}): Funnel {
  return {
    id: "f1",
    name: "Lançamento",
    slug: "lancamento",
    description: null,
    niche: null,
    is_active: true,
    settings: {},
    domain_id: null,
    step_count: 2,
    created_at: "2026-12-01T12:00:00Z",
    updated_at: "2026-12-01T12:00:00Z",
    ...over,
  };
}

function step(id: string, step_type: Step["step_type"], over: Partial<Step> = {}): Step {
  return {
    id,
    funnel_id: "f1",
    name: `Etapa ${id}`,
    slug: id,
    step_type,
    order_index: 0,
    is_active: true,
    settings: {},
    content: { headline: `Título ${id}` },
    public_path: `/f/org/lancamento/${id}`,
    created_at: "2026-12-01T12:00:00Z",
    updated_at: "2026-12-01T12:00:00Z",
    ...over,
  };
}

function detail(steps: Step[]): FunnelDetail {
  return { ...funnel({ step_count: steps.length }), steps };
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("moveItem", () => {
  it("moves one item and clamps the target", () => {
    expect(moveItem(["a", "b", "c"], 0, 2)).toEqual(["b", "c", "a"]);
    expect(moveItem(["a", "b", "c"], 2, 0)).toEqual(["c", "a", "b"]);
    expect(moveItem(["a", "b", "c"], 1, 9)).toEqual(["a", "c", "b"]);
    expect(moveItem(["a", "b"], 5, 0)).toEqual(["a", "b"]);
  });
});

describe("FunnelList", () => {
  it("lists funnels as text with CSV, and says what to do when there are none", async () => {
    const api = routeFetch({
      "GET /api/funnels": () => jsonResponse({ items: [funnel({ name: XSS }), funnel({ id: "f2", name: "Perpétuo", is_active: false, step_count: 5 })], total: 2, page: 1, page_size: 200 }),
    });
    vi.stubGlobal("fetch", api.fetch);
    const { container } = renderWithProviders(<FunnelList />, { me: WRITER });
    const table = await screen.findByTestId("funnels-table");
    expect(within(table).getByText(XSS)).toBeInTheDocument();
    expect(container.querySelector("img")).toBeNull();
    expect(within(table).getByText("Inactive")).toBeInTheDocument();
    expect(screen.getByTestId("csv-button")).toBeInTheDocument();
  });

  it("shows the empty state in Portuguese, without the create button for readers", async () => {
    vi.stubGlobal("fetch", routeFetch({ "GET /api/funnels": () => jsonResponse({ items: [], total: 0, page: 1, page_size: 200 }) }).fetch);
    renderWithProviders(<FunnelList />, { me: READER, locale: "pt-BR" });
    expect(await screen.findByText(/Nenhum funil ainda/)).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "Funis" })).toBeInTheDocument();
    expect(screen.queryByTestId("funnel-new")).toBeNull();
  });

  it("creates a funnel with the slug the server refused shown as an error", async () => {
    const user = userEvent.setup();
    const api = routeFetch({
      "GET /api/funnels": () => jsonResponse({ items: [], total: 0, page: 1, page_size: 200 }),
      "GET /api/domains": () => jsonResponse({ items: [], total: 0, page: 1, page_size: 200 }),
      "POST /api/funnels": () => errorResponse(409, "slug_taken", "The slug 'oferta' is already used by another funnel."),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<FunnelList />, { me: WRITER });
    await user.click(await screen.findByTestId("funnel-new"));
    const dialog = await screen.findByTestId("funnel-create");
    await user.type(within(dialog).getByLabelText("Name"), "Oferta");
    await user.type(within(dialog).getByLabelText(/Slug/), "oferta");
    await user.click(within(dialog).getByRole("button", { name: "New funnel" }));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent("This slug is already in use.");
    const post = api.calls.find((c) => c.method === "POST");
    expect(post?.body).toMatchObject({ name: "Oferta", slug: "oferta", domain_id: null, settings: { require_consent: false } });
  });
});

describe("FunnelEditor", () => {
  const steps = [step("captura", "capture"), step("checkout", "checkout"), step("obrigado", "thankyou")];

  function routes(extra: Record<string, Parameters<typeof routeFetch>[0][string]> = {}) {
    return routeFetch({
      "GET /api/funnels/f1": () => jsonResponse(detail(steps)),
      "GET /api/tracking/pixels": () => jsonResponse({ items: [], total: 0, page: 1, page_size: 200 }),
      "POST /api/funnels/f1/steps/captura/preview": () => new Response("<h1>prévia</h1>", { status: 200, headers: { "Content-Type": "text/html" } }),
      ...extra,
    });
  }

  it("moves a step with the arrows and saves the whole order", async () => {
    const user = userEvent.setup();
    const reordered = [steps[1]!, steps[0]!, steps[2]!];
    const api = routes({ "PUT /api/funnels/f1/steps/reorder": () => jsonResponse(reordered) });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<FunnelEditor />, { me: WRITER, route: "/funnels/f1", path: "/funnels/:funnelId" });
    await user.click(await screen.findByRole("button", { name: "Move Etapa captura down" }));
    await waitFor(() => expect(api.calls.some((c) => c.method === "PUT")).toBe(true));
    const put = api.calls.find((c) => c.method === "PUT");
    expect(put?.url.pathname).toBe("/api/funnels/f1/steps/reorder");
    expect(put?.body).toEqual({ step_ids: ["checkout", "captura", "obrigado"] });
    const rows = await screen.findAllByTestId("step-row");
    expect(rows[0]).toHaveTextContent("Etapa checkout");
    expect(screen.getByText("No pixels. Add your Meta, Google or TikTok pixel: the Purchase it sends carries the same event id as the server-side conversion.")).toBeInTheDocument();
  });

  it("previews the draft in a sandboxed frame and saves the step", async () => {
    const user = userEvent.setup();
    const api = routes({ "PUT /api/funnels/f1/steps/captura": () => jsonResponse(steps[0]) });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<FunnelEditor />, { me: WRITER, route: "/funnels/f1", path: "/funnels/:funnelId" });
    const form = await screen.findByTestId("step-form");
    const headline = within(form).getByLabelText("Headline");
    await user.clear(headline);
    await user.type(headline, "Nova chamada");
    await user.click(within(form).getByLabelText("Phone (WhatsApp)"));
    const frame = screen.getByTestId("step-preview");
    expect(frame).toHaveAttribute("sandbox", "");
    await waitFor(() => expect(frame.getAttribute("srcdoc")).toBe("<h1>prévia</h1>"), { timeout: 3000 });
    const preview = api.calls.filter((c) => c.url.pathname.endsWith("/preview")).at(-1);
    expect(preview?.body).toMatchObject({ content: { headline: "Nova chamada" }, settings: { fields: ["name", "email", "phone"] } });
    await user.click(screen.getByTestId("step-save"));
    await waitFor(() => expect(api.calls.some((c) => c.method === "PUT")).toBe(true));
    expect(api.calls.find((c) => c.method === "PUT")?.body).toMatchObject({ name: "Etapa captura", slug: "captura", content: { headline: "Nova chamada" } });
  });

  it("offers no editing to readers", async () => {
    vi.stubGlobal("fetch", routes().fetch);
    renderWithProviders(<FunnelEditor />, { me: READER, route: "/funnels/f1", path: "/funnels/:funnelId", locale: "pt-BR" });
    expect(await screen.findByText("Etapas")).toBeInTheDocument();
    expect(screen.queryByTestId("step-add")).toBeNull();
    expect(screen.queryByTestId("step-save")).toBeNull();
    expect(screen.queryByRole("button", { name: /Descer/ })).toBeNull();
  });
});
