import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { captureCsv } from "@/test/csv";
import { errorResponse, jsonResponse, renderWithProviders, routeFetch } from "@/test/utils";
import { allowedActions, generationProgress } from "./CampaignActions";
import CampaignEditor from "./CampaignEditor";
import CampaignsSection from "./CampaignsSection";
import { ADMIN, audience, campaign, figures, PREVIEW, READER, template, WRITER, XSS } from "./fixtures";

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const common = {
  "GET /api/email/templates": () => jsonResponse([template()]),
  "GET /api/email/audiences": () => jsonResponse([audience(), audience({ audience_id: "a2", name: "VIP", kind: "filter", filter: { tags_any: ["vip"] }, contacts: 30 })]),
  "GET /api/email/senders": () => jsonResponse([]),
  "GET /api/landing-pages": () => jsonResponse({ items: [{ page_id: "lp1", page_name: "Oferta", page_url: "https://loja.com.br/oferta" }], total: 1, page: 1, page_size: 200 }),
  "POST /api/email/preview": () => jsonResponse(PREVIEW),
};

describe("CampaignsSection", () => {
  it("lists campaigns with translated statuses, figures and revenue as text, and exports them", async () => {
    const user = userEvent.setup();
    vi.stubGlobal(
      "fetch",
      routeFetch({
        "GET /api/email/campaigns": () => jsonResponse([campaign({ name: XSS, status: "sent", generation_status: "done" }), campaign({ campaign_id: "c2", name: "Rascunho" })]),
        "GET /api/email/campaign-figures": () => jsonResponse([figures(), figures({ campaign_id: "c2", sent: 0, unique_opens: 0, unique_clicks: 0, leads: 0, revenue: [] })]),
      }).fetch,
    );
    const { container } = renderWithProviders(<CampaignsSection />, { me: WRITER, locale: "pt-BR" });
    const table = await screen.findByTestId("campaigns-table");
    expect(within(table).getByText(XSS)).toBeInTheDocument();
    expect(container.querySelector("img")).toBeNull();
    expect(within(table).getByText("Enviada")).toBeInTheDocument();
    expect(within(table).getByText("Rascunho", { selector: "[data-testid=campaign-status]" })).toBeInTheDocument();
    await waitFor(() => expect(within(table).getByText("R$ 1.500,50")).toBeInTheDocument());
    expect(within(table).getByText("1.000")).toBeInTheDocument();
    expect(within(table).getByText("50%")).toBeInTheDocument(); // 490 of 980 delivered opened
    expect(within(table).getAllByTestId("report-link")).toHaveLength(1);

    const csv = captureCsv();
    await user.click(screen.getByTestId("csv-button"));
    const text = await csv.text();
    expect(text.split("\r\n")[0]).toBe("Nome,Situação,Enviados,Abriram,Clicaram,Leads,Receita,Criado em");
    expect(text).toContain(XSS);
    expect(text).toContain(",Enviada,1000,490,98,12,1500.5,");
    csv.restore();

    await user.selectOptions(screen.getByTestId("status-filter"), "draft");
    expect(within(screen.getByTestId("campaigns-table")).queryByText("Enviada")).toBeNull();
  });

  it("says what to do next when there are none, in Portuguese, without buttons for readers", async () => {
    vi.stubGlobal("fetch", routeFetch({ "GET /api/email/campaigns": () => jsonResponse([]), "GET /api/email/campaign-figures": () => jsonResponse([]) }).fetch);
    renderWithProviders(<CampaignsSection />, { me: READER, locale: "pt-BR" });
    expect(await screen.findByText(/Nenhuma campanha ainda\. Escreva um modelo/)).toBeInTheDocument();
    expect(screen.queryByTestId("campaign-new")).toBeNull();
  });
});

describe("CampaignEditor", () => {
  function editor(route: string, routes: Parameters<typeof routeFetch>[0], me = WRITER, locale: "en" | "pt-BR" = "en") {
    const api = routeFetch({ ...common, ...routes });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(
      <Routes>
        <Route path="/email/campaigns/new" element={<CampaignEditor />} />
        <Route path="/email/campaigns/:campaignId" element={<CampaignEditor />} />
      </Routes>,
      { me, route, locale },
    );
    return api;
  }

  it("creates a campaign from a template with its audiences and landing page", async () => {
    const user = userEvent.setup();
    const api = editor("/email/campaigns/new", {
      "POST /api/email/campaigns": () => jsonResponse(campaign({ campaign_id: "new1", name: "Natal" }), 201),
      "GET /api/email/campaigns/new1": () => jsonResponse(campaign({ campaign_id: "new1", name: "Natal" })),
    });
    await user.type(await screen.findByTestId("campaign-name"), "Natal");
    await user.type(screen.getByTestId("campaign-from-name"), "Loja");
    await user.type(screen.getByTestId("campaign-from-address"), "news@loja.com.br");
    await waitFor(() => expect(screen.getByRole("option", { name: "Boas-vindas" })).toBeInTheDocument());
    await user.selectOptions(screen.getByTestId("campaign-template"), "t1");
    expect(screen.getByTestId("content-subject")).toHaveValue("Oi {{ first_name }}");
    expect(screen.getByTestId("content-html")).toHaveValue("<p>Olá {{ name }}</p>");
    await user.click(await screen.findByRole("checkbox", { name: "VIP" }));
    await waitFor(() => expect(screen.getByRole("option", { name: /Oferta ·/ })).toBeInTheDocument());
    await user.selectOptions(screen.getByTestId("campaign-landing-page"), "lp1");
    await user.click(screen.getByTestId("campaign-save"));
    await waitFor(() => expect(api.calls.some((c) => c.method === "POST" && c.url.pathname === "/api/email/campaigns")).toBe(true));
    expect(api.calls.find((c) => c.url.pathname === "/api/email/campaigns")?.body).toEqual({
      name: "Natal",
      objective: null,
      subject: "Oi {{ first_name }}",
      html: "<p>Olá {{ name }}</p>",
      text: "Olá {{ name }}",
      from_name: "Loja",
      from_address: "news@loja.com.br",
      reply_to: null,
      sender_id: null,
      template_id: "t1",
      audience_ids: ["a2"],
      landing_page_id: "lp1",
      utm_source: "newsletter",
      utm_campaign: null,
      starts_at: null,
      ends_at: null,
    });
    // On to the saved campaign's page, with its next steps.
    expect(await screen.findByTestId("campaign-actions", {}, { timeout: 5000 })).toBeInTheDocument();
    expect(screen.getByText("Only admins choose the sender; without one the messages are simulated.")).toBeInTheDocument();
    expect(api.calls.some((c) => c.url.pathname === "/api/email/senders")).toBe(false);
  });

  it("starts a new campaign as a copy of another, or from a template", async () => {
    const user = userEvent.setup();
    const api = editor("/email/campaigns/new?from=c1", {
      "GET /api/email/campaigns/c1": () => jsonResponse(campaign({ status: "sent", generation_status: "done", audience_ids: ["a2"], starts_at: "2026-11-20T12:00:00Z" })),
      "POST /api/email/campaigns": () => jsonResponse(campaign({ campaign_id: "c2" }), 201),
      "GET /api/email/campaigns/c2": () => jsonResponse(campaign({ campaign_id: "c2" })),
    });
    expect(await screen.findByTestId("campaign-name")).toHaveValue("Copy of Black Friday");
    expect(screen.getByTestId("content-html")).toHaveValue("<p>Olá {{ name }}</p>");
    await user.click(screen.getByTestId("campaign-save"));
    await waitFor(() => expect(api.calls.some((c) => c.method === "POST" && c.url.pathname === "/api/email/campaigns")).toBe(true));
    expect(api.calls.find((c) => c.method === "POST" && c.url.pathname === "/api/email/campaigns")?.body).toMatchObject({
      name: "Copy of Black Friday",
      subject: "Oferta para {{ first_name }}",
      audience_ids: ["a2"],
      starts_at: null,
    });
  });

  it("starts from the template the list pointed at", async () => {
    editor("/email/campaigns/new?template=t1", {}, WRITER, "pt-BR");
    expect(await screen.findByTestId("content-subject")).toHaveValue("Oi {{ first_name }}");
    expect(screen.getByTestId("campaign-template")).toHaveValue("t1");
    expect(screen.getByTestId("campaign-name")).toHaveValue("");
  });

  it("previews the content as a contact would get it, in a frame where nothing runs", async () => {
    const user = userEvent.setup();
    const api = editor("/email/campaigns/c1", {
      "GET /api/email/campaigns/c1": () => jsonResponse(campaign()),
      "POST /api/email/preview": () => jsonResponse({ ...PREVIEW, html: "<p>Olá &lt;b&gt;</p>", unknown_fields: ["desconto"] }),
    });
    const html = await screen.findByTestId("content-html");
    await user.clear(html);
    await user.type(html, "<p>{{{{ desconto }}</p>");
    const frame = screen.getByTestId("content-preview");
    expect(frame).toHaveAttribute("sandbox", "");
    await waitFor(() => expect(frame.getAttribute("srcdoc")).toBe("<p>Olá &lt;b&gt;</p>"));
    await waitFor(() => expect(api.calls.filter((c) => c.url.pathname === "/api/email/preview").at(-1)?.body).toMatchObject({ html: "<p>{{ desconto }}</p>" }));
    expect(screen.getByTestId("unknown-fields")).toHaveTextContent("{{ desconto }}");
    expect(screen.getByTestId("preview-subject")).toHaveTextContent("Oi Maria");
  });

  it("generates, sends and cancels a draft after confirmation, each through its endpoint", async () => {
    const user = userEvent.setup();
    // The server's campaign, as each action leaves it.
    let current = campaign();
    const moved = (next: Partial<typeof current>, status = 200) => () => jsonResponse((current = { ...current, ...next }), status);
    const api = editor(
      "/email/campaigns/c1",
      {
        "GET /api/email/campaigns/c1": () => jsonResponse(current),
        "GET /api/email/senders": () => jsonResponse([{ sender_id: "s1", name: "SMTP Loja", kind: "smtp", credential_id: "cr1", rate_per_second: 10, created_at: "2026-11-01T00:00:00Z", webhooks: null }]),
        "POST /api/email/campaigns/c1/generate": moved({ generation_status: "queued", exclusions: { suppressed: 0 } }, 202),
        "POST /api/email/campaigns/c1/send": moved({ status: "sending", generation_status: "done", generated: 900 }, 202),
        "POST /api/email/campaigns/c1/pause": moved({ status: "paused" }),
        "POST /api/email/campaigns/c1/cancel": moved({ status: "cancelled" }),
        "GET /api/email/campaigns/c1/report": () => jsonResponse({ sent: 0 }),
      },
      ADMIN,
      "pt-BR",
    );
    await waitFor(() => expect(screen.getByRole("option", { name: "SMTP Loja · SMTP" })).toBeInTheDocument());
    await user.click(await screen.findByTestId("action-generate"));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog).toHaveTextContent("Gerar as mensagens?");
    await user.click(within(dialog).getByRole("button", { name: "Gerar mensagens" }));
    await waitFor(() => expect(api.calls.some((c) => c.url.pathname.endsWith("/generate"))).toBe(true));
    expect(await screen.findByText("Geração na fila…")).toBeInTheDocument();
    // Once generating, its content is locked.
    await waitFor(() => expect(screen.getByTestId("campaign-name")).toBeDisabled());
    expect(screen.queryByTestId("action-generate")).toBeNull();

    await user.click(screen.getByTestId("action-send"));
    await user.click(within(await screen.findByRole("alertdialog")).getByRole("button", { name: "Enviar agora" }));
    await waitFor(() => expect(api.calls.some((c) => c.url.pathname.endsWith("/send"))).toBe(true));
    await user.click(await screen.findByTestId("action-pause"));
    const pause = await screen.findByRole("alertdialog");
    expect(pause).toHaveTextContent("O envio para depois do lote atual");
    await user.click(within(pause).getByRole("button", { name: "Pausar" }));
    await waitFor(() => expect(api.calls.some((c) => c.url.pathname.endsWith("/pause"))).toBe(true));
    expect(await screen.findByText("Pausada", { selector: "[data-testid=campaign-status]" })).toBeInTheDocument();
    expect(screen.getByTestId("action-send")).toHaveTextContent("Retomar");

    await user.click(screen.getByTestId("action-cancel"));
    const cancel = await screen.findByRole("alertdialog");
    expect(cancel).toHaveTextContent("Cancelar “Black Friday” de vez?");
    await user.click(within(cancel).getByRole("button", { name: "Cancelar campanha" }));
    await waitFor(() => expect(api.calls.some((c) => c.url.pathname.endsWith("/cancel"))).toBe(true));
    expect(await screen.findByText("Cancelada", { selector: "[data-testid=campaign-status]" })).toBeInTheDocument();
    expect(screen.queryByTestId("action-send")).toBeNull();
  });

  it("schedules with the time and its zone, and shows the server's refusal", async () => {
    const user = userEvent.setup();
    let refuse = true;
    let current = campaign();
    const api = editor("/email/campaigns/c1", {
      "GET /api/email/campaigns/c1": () => jsonResponse(current),
      "POST /api/email/campaigns/c1/schedule": () =>
        refuse ? errorResponse(409, "invalid_campaign_transition", "no", { from: "draft", to: "scheduled" }) : jsonResponse((current = campaign({ status: "scheduled", scheduled_at: "2030-01-01T13:00:00Z" }))),
    });
    await user.click(await screen.findByTestId("action-schedule"));
    const dialog = await screen.findByTestId("schedule-dialog");
    await user.type(within(dialog).getByTestId("schedule-when"), "2030-01-01T10:00");
    await user.click(within(dialog).getByTestId("schedule-submit"));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent("The campaign cannot do this in its current status.");
    refuse = false;
    await user.click(within(dialog).getByTestId("schedule-submit"));
    await waitFor(() => expect(screen.queryByTestId("schedule-dialog")).toBeNull());
    const body = api.calls.filter((c) => c.url.pathname.endsWith("/schedule")).at(-1)?.body as { scheduled_at: string };
    expect(new Date(body.scheduled_at).getTime()).toBe(new Date("2030-01-01T10:00").getTime());
    expect(body.scheduled_at).toMatch(/Z$/);
    expect(await screen.findByText(/Scheduled for/)).toBeInTheDocument();
  });

  it("shows the generation's progress and exclusions by reason", async () => {
    editor("/email/campaigns/c1", {
      "GET /api/email/campaigns/c1": () => jsonResponse(campaign({ generation_status: "running", generated: 600, exclusions: { suppressed: 10, unsubscribed: 5, bounced: 0 } })),
    });
    const progress = await screen.findByTestId("generation-progress");
    expect(progress).toHaveTextContent("Generating messages…");
    expect(progress).toHaveTextContent("600 messages · 15 excluded");
    expect(within(progress).getByTestId("exclusions")).toHaveTextContent("Suppressed: 10");
    expect(within(progress).getByTestId("exclusions")).not.toHaveTextContent("Bounced");
    // 615 of the 1,200 contacts in the campaign's audience.
    await waitFor(() => expect(within(progress).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "51.3"));
  });
});

describe("campaign rules", () => {
  it("offers only what the status allows", () => {
    expect([...allowedActions({ status: "draft", generation_status: null })].sort()).toEqual(["cancel", "generate", "schedule", "send"]);
    expect([...allowedActions({ status: "sending", generation_status: "done" })].sort()).toEqual(["cancel", "pause"]);
    expect([...allowedActions({ status: "paused", generation_status: "done" })].sort()).toEqual(["cancel", "send"]);
    expect([...allowedActions({ status: "sent", generation_status: "done" })]).toEqual([]);
  });

  it("measures generation against the audience and ends at 100%", () => {
    expect(generationProgress({ generated: 50, exclusions: { suppressed: 50 }, generation_status: "running" }, 400)).toBe(0.25);
    expect(generationProgress({ generated: 500, exclusions: {}, generation_status: "running" }, 400)).toBe(1);
    expect(generationProgress({ generated: 3, exclusions: {}, generation_status: "done" }, 0)).toBe(1);
  });
});
