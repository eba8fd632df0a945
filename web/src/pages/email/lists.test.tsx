import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { captureCsv } from "@/test/csv";
import { errorResponse, jsonResponse, renderWithProviders, routeFetch } from "@/test/utils";
import AudiencesSection, { describeFilter, parseAttributes, splitTags } from "./AudiencesSection";
import SendersSection from "./SendersSection";
import SuppressionsSection from "./SuppressionsSection";
import UnsubscribesSection from "./UnsubscribesSection";
import { ADMIN, audience, campaign, READER, WRITER } from "./fixtures";
import { translate } from "@/i18n";

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const page = <T,>(items: T[]) => ({ items, total: items.length, page: 1, page_size: 20 });

describe("AudiencesSection", () => {
  it("lists lists and filters with their contacts, creates a saved filter and explains a refused deletion", async () => {
    const user = userEvent.setup();
    const api = routeFetch({
      "GET /api/email/audiences": () => jsonResponse([audience(), audience({ audience_id: "a2", name: "VIP", kind: "filter", filter: { tags_any: ["vip"], tags_all: [], attributes: { plano: "Pro" } }, contacts: 30 })]),
      "POST /api/email/audiences": () => jsonResponse(audience({ audience_id: "a3", name: "Recife", kind: "filter" }), 201),
      "DELETE /api/email/audiences/a1": () => errorResponse(409, "audience_in_use", "in use", { campaigns: 2 }),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<AudiencesSection />, { me: WRITER, locale: "pt-BR" });
    const table = await screen.findByTestId("audiences-table");
    expect(within(table).getByText("Lista fixa")).toBeInTheDocument();
    expect(within(table).getByText("alguma etiqueta: vip · plano = Pro")).toBeInTheDocument();
    expect(within(table).getByText("1.200")).toBeInTheDocument();

    await user.click(screen.getByTestId("audience-new"));
    const dialog = await screen.findByTestId("audience-create");
    await user.type(within(dialog).getByTestId("audience-name"), "Recife");
    await user.selectOptions(within(dialog).getByTestId("audience-kind"), "filter");
    await user.type(within(dialog).getByTestId("audience-tags-any"), "cliente, recife,");
    await user.type(within(dialog).getByLabelText(/Valores de atributos/), "cidade=Recife");
    await user.click(within(dialog).getByTestId("audience-submit"));
    await waitFor(() => expect(api.calls.some((c) => c.method === "POST")).toBe(true));
    expect(api.calls.find((c) => c.method === "POST")?.body).toEqual({
      name: "Recife",
      kind: "filter",
      filter: { tags_any: ["cliente", "recife"], tags_all: [], attributes: { cidade: "Recife" }, email_engagement: "received" },
    });

    await user.click(within(screen.getByTestId("audiences-table")).getByRole("button", { name: "Excluir Clientes" }));
    await user.click(within(await screen.findByRole("alertdialog")).getByRole("button", { name: "Excluir" }));
    expect(await screen.findByText("Há campanhas que usam esta audiência: retire-a delas antes.")).toBeInTheDocument();
  });

  it("saves a filter on the lead's stage, score, source, an e-mail campaign clicked and inactivity, and describes it", async () => {
    const user = userEvent.setup();
    const api = routeFetch({
      "GET /api/email/audiences": () => jsonResponse([]),
      "GET /api/email/campaigns": () => jsonResponse([campaign({ campaign_id: "c9", name: "Black Friday" })]),
      "POST /api/email/audiences": () => jsonResponse(audience({ audience_id: "a3", name: "Quentes", kind: "filter" }), 201),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<AudiencesSection />, { me: WRITER, locale: "en" });
    await user.click(await screen.findByTestId("audience-new"));
    const dialog = await screen.findByTestId("audience-create");
    await user.type(within(dialog).getByTestId("audience-name"), "Quentes");
    await user.selectOptions(within(dialog).getByTestId("audience-kind"), "filter");
    await user.selectOptions(within(dialog).getByTestId("audience-stage"), "qualified");
    await user.click(within(dialog).getByTestId("audience-grade-A"));
    await user.click(within(dialog).getByTestId("audience-grade-B"));
    await user.type(within(dialog).getByTestId("audience-sources"), "google, meta");
    await within(dialog).findByRole("option", { name: "Black Friday" });
    await user.selectOptions(within(dialog).getByTestId("audience-email-campaign"), "c9");
    await user.selectOptions(within(dialog).getByTestId("audience-engagement"), "clicked");
    await user.type(within(dialog).getByTestId("audience-inactive"), "30");
    await user.click(within(dialog).getByTestId("audience-submit"));
    await waitFor(() => expect(api.calls.some((c) => c.method === "POST")).toBe(true));
    expect(api.calls.find((c) => c.method === "POST")?.body).toEqual({
      name: "Quentes",
      kind: "filter",
      filter: {
        tags_any: [],
        tags_all: [],
        attributes: {},
        lead_stages: ["qualified"],
        lead_grades: ["A", "B"],
        lead_sources: ["google", "meta"],
        email_campaign_ids: ["c9"],
        email_engagement: "clicked",
        inactive_days: 30,
      },
    });
    const t = (key: Parameters<typeof translate>[1], vars?: Record<string, string | number>) => translate("pt-BR", key, vars);
    expect(describeFilter({ lead_stages: ["won"], lead_grades: ["A"], active_within_days: 7 }, t)).toBe("último lead em: Ganho · pontuação do lead: A · ativo nos últimos 7 dias");
  });

  it("says what to do when there are none", async () => {
    vi.stubGlobal("fetch", routeFetch({ "GET /api/email/audiences": () => jsonResponse([]) }).fetch);
    renderWithProviders(<AudiencesSection />, { me: READER, locale: "pt-BR" });
    expect(await screen.findByText(/Nenhuma audiência ainda\. Crie uma lista fixa/)).toBeInTheDocument();
    expect(screen.queryByTestId("audience-new")).toBeNull();
  });

  it("reads tags and attributes as typed", () => {
    expect(splitTags(" a, b ,,a, c ")).toEqual(["a", "b", "c"]);
    expect(parseAttributes("plano=Pro\n cidade = Recife \nsem igual\n=x")).toEqual({ plano: "Pro", cidade: "Recife" });
    const t = (key: Parameters<typeof translate>[1], vars?: Record<string, string | number>) => translate("en", key, vars);
    expect(describeFilter({}, t)).toBe("every contact");
    expect(describeFilter({ tags_all: ["a", "b"] }, t)).toBe("every tag: a, b");
  });
});

describe("SendersSection", () => {
  it("adds an SMTP sender with its credential and offers the webhook URLs to copy", async () => {
    const user = userEvent.setup();
    const api = routeFetch({
      "GET /api/email/senders": () =>
        jsonResponse([{ sender_id: "s1", name: "Simulação", kind: "simulated", credential_id: null, rate_per_second: 10, created_at: "2026-11-01T00:00:00Z", webhooks: { ses: "https://r.example/e/webhooks/ses/tok", postmark: "https://rastro:pw@r.example/e/webhooks/postmark/tok" } }]),
      "GET /api/credentials": () => jsonResponse(page([{ id: "cr1", name: "SMTP da loja", service: "smtp" }])),
      "POST /api/email/senders": () => jsonResponse({ sender_id: "s2" }, 201),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<SendersSection />, { me: ADMIN, locale: "pt-BR" });
    const table = await screen.findByTestId("senders-table");
    expect(within(table).getByText("Simulado")).toBeInTheDocument();
    expect(within(table).getByRole("button", { name: "Copiar o endereço de webhook de Postmark" })).toBeInTheDocument();
    expect(within(table).getByRole("button", { name: "Copiar o endereço de webhook de Amazon SES" })).toBeInTheDocument();
    expect(within(table).queryByRole("button", { name: /SendGrid/ })).toBeNull();
    expect(within(table).queryByText(/rastro:pw/)).toBeNull();

    await user.click(screen.getByTestId("sender-new"));
    const dialog = await screen.findByTestId("sender-create");
    await user.type(within(dialog).getByTestId("sender-name"), "SMTP");
    await user.selectOptions(within(dialog).getByTestId("sender-kind"), "smtp");
    expect(within(dialog).getByTestId("sender-submit")).toBeDisabled();
    await waitFor(() => expect(within(dialog).getByRole("option", { name: "SMTP da loja" })).toBeInTheDocument());
    expect(api.calls.find((c) => c.url.pathname === "/api/credentials")?.url.searchParams.get("service")).toBe("smtp");
    await user.selectOptions(within(dialog).getByTestId("sender-credential"), "cr1");
    await user.click(within(dialog).getByTestId("sender-submit"));
    await waitFor(() => expect(api.calls.some((c) => c.method === "POST")).toBe(true));
    expect(api.calls.find((c) => c.method === "POST")?.body).toEqual({ name: "SMTP", kind: "smtp", credential_id: "cr1", rate_per_second: 10 });
  });

  it("says campaigns are simulated until a sender is added", async () => {
    vi.stubGlobal("fetch", routeFetch({ "GET /api/email/senders": () => jsonResponse([]) }).fetch);
    renderWithProviders(<SendersSection />, { me: ADMIN, locale: "pt-BR" });
    expect(await screen.findByText(/Nenhuma forma de envio ainda: as campanhas são simuladas\./)).toBeInTheDocument();
    expect(screen.getAllByTestId("sender-new").length).toBeGreaterThan(0);
  });

  it("asks nothing of the API for someone who is not an admin", async () => {
    const api = routeFetch({});
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<SendersSection />, { me: WRITER, locale: "pt-BR" });
    expect(await screen.findByText(/permissão/i)).toBeInTheDocument();
    expect(api.calls).toHaveLength(0);
  });
});

describe("SuppressionsSection", () => {
  it("lists suppressed addresses with translated reasons, adds one and lifts another", async () => {
    const user = userEvent.setup();
    const api = routeFetch({
      "GET /api/email/suppressions": () =>
        jsonResponse(page([{ suppression_id: "x1", contact_id: "k1", email: "ana@cliente.com.br", reason: "hard_bounce", note: null, created_at: "2026-11-01T00:00:00Z" }])),
      "POST /api/email/suppressions": () => jsonResponse({ suppression_id: "x2" }, 201),
      "DELETE /api/email/suppressions/x1": () => jsonResponse(null, 204),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<SuppressionsSection />, { me: WRITER, locale: "pt-BR" });
    const table = await screen.findByTestId("suppressions-table");
    expect(within(table).getByText("Devolução permanente")).toBeInTheDocument();
    expect(within(table).queryByText("hard_bounce")).toBeNull();

    await user.click(screen.getByTestId("suppression-new"));
    const dialog = await screen.findByTestId("suppression-create");
    await user.type(within(dialog).getByTestId("suppression-email"), "bia@cliente.com.br");
    await user.click(within(dialog).getByTestId("suppression-submit"));
    await waitFor(() => expect(api.calls.some((c) => c.method === "POST")).toBe(true));
    expect(api.calls.find((c) => c.method === "POST")?.body).toEqual({ email: "bia@cliente.com.br", reason: "manual", note: null });

    await user.click(within(table).getByTestId("suppression-lift"));
    const confirm = await screen.findByRole("alertdialog");
    expect(confirm).toHaveTextContent("Retirar a supressão de ana@cliente.com.br?");
    await user.click(within(confirm).getByRole("button", { name: "Excluir" }));
    await waitFor(() => expect(api.calls.some((c) => c.method === "DELETE" && c.url.pathname === "/api/email/suppressions/x1")).toBe(true));
  });

  it("says what to do when the list is empty", async () => {
    vi.stubGlobal("fetch", routeFetch({ "GET /api/email/suppressions": () => jsonResponse(page([])) }).fetch);
    renderWithProviders(<SuppressionsSection />, { me: READER, locale: "pt-BR" });
    expect(await screen.findByText(/Nenhum endereço suprimido\./)).toBeInTheDocument();
    expect(screen.queryByTestId("suppression-new")).toBeNull();
  });
});

describe("UnsubscribesSection", () => {
  it("shows scope, campaign and source in words, and exports them", async () => {
    const user = userEvent.setup();
    vi.stubGlobal(
      "fetch",
      routeFetch({
        "GET /api/email/unsubscribes": () =>
          jsonResponse(
            page([
              { unsubscribe_id: "u1", contact_id: "k1", email: "duda@cliente.com.br", scope: "campaign", campaign_id: "c1", audience_id: null, source: "page", reason: null, created_at: "2026-11-01T10:00:00Z" },
              { unsubscribe_id: "u2", contact_id: "k2", email: "eva@cliente.com.br", scope: "global", campaign_id: null, audience_id: null, source: "one_click", reason: null, created_at: "2026-11-02T10:00:00Z" },
            ]),
          ),
        "GET /api/email/campaigns": () => jsonResponse([campaign()]),
        "GET /api/email/audiences": () => jsonResponse([]),
      }).fetch,
    );
    renderWithProviders(<UnsubscribesSection />, { me: READER, locale: "pt-BR" });
    const table = await screen.findByTestId("unsubscribes-table");
    expect(within(table).getByText("Uma campanha")).toBeInTheDocument();
    expect(await within(table).findByText("Black Friday")).toBeInTheDocument();
    expect(within(table).getByText("Um clique no programa de e-mail")).toBeInTheDocument();
    expect(within(table).queryByText("one_click")).toBeNull();
    const csv = captureCsv();
    await user.click(screen.getByTestId("csv-button"));
    const lines = (await csv.text()).split("\r\n");
    expect(lines[0]).toBe("E-mail,Abrangência,Campanha ou lista,Como,Motivo,Quando");
    expect(lines[1]).toBe("duda@cliente.com.br,Uma campanha,Black Friday,Página de descadastro,,2026-11-01T10:00:00Z");
    csv.restore();
  });

  it("says what to do when nobody unsubscribed", async () => {
    vi.stubGlobal("fetch", routeFetch({ "GET /api/email/unsubscribes": () => jsonResponse(page([])), "GET /api/email/campaigns": () => jsonResponse([]), "GET /api/email/audiences": () => jsonResponse([]) }).fetch);
    renderWithProviders(<UnsubscribesSection />, { me: READER, locale: "pt-BR" });
    expect(await screen.findByText(/Nenhum descadastro ainda\./)).toBeInTheDocument();
  });
});
