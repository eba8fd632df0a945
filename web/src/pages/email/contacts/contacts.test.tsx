import { File as NodeFile } from "node:buffer";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import ContactListSection from "./ContactListSection";
import FormsSection, { parseTags } from "./FormsSection";
import ImportSection from "./ImportSection";
import { attributeKey, buildMapping } from "./MappingForm";
import type { ContactImport, EmailContact, SubscriptionForm } from "./types";

const me = makeMe(["email:read", "email:write"]);

afterEach(() => vi.unstubAllGlobals());

function contact(over: Partial<EmailContact> = {}): EmailContact {
  return {
    contact_id: "c-1",
    email: "ana@exemplo.com.br",
    name: "Ana Souza",
    status: "active",
    tags: ["vip"],
    attributes: {},
    soft_bounces: 0,
    consent_at: null,
    confirmed_at: null,
    created_at: "2026-11-01T12:00:00Z",
    ...over,
  };
}

function run(over: Partial<ContactImport> = {}): ContactImport {
  return {
    import_id: "imp-1",
    file_name: "contatos.csv",
    columns: ["E-mail", "Nome", "Cidade"],
    total_rows: 10,
    status: "uploaded",
    rows_done: 0,
    created: 0,
    updated: 0,
    skipped: 0,
    audience_id: null,
    created_at: "2026-11-01T12:00:00Z",
    started_at: null,
    finished_at: null,
    ...over,
  };
}

const page = <T,>(items: T[]) => ({ items, total: items.length, page: 1, page_size: 20 });

/** jsdom's File and FormData cannot be read by the fetch of Node (undici): uploads use Node's own. */
async function nodeUploads(): Promise<(parts: string[], name: string) => File> {
  const form = await new Response("a=1", { headers: { "content-type": "application/x-www-form-urlencoded" } }).formData();
  vi.stubGlobal("FormData", form.constructor);
  return (parts, name) => new NodeFile(parts, name, { type: "text/csv" }) as unknown as File;
}

describe("ContactListSection", () => {
  it("shows statuses in Portuguese, filters by status and search, and exports what it shows", async () => {
    const user = userEvent.setup();
    const api = routeFetch({
      "GET /api/email/contacts/statuses": () =>
        jsonResponse([
          { status: "active", contacts: 1 },
          { status: "unconfirmed", contacts: 1 },
          { status: "suppressed", contacts: 0 },
          { status: "bounced", contacts: 0 },
          { status: "complained", contacts: 0 },
          { status: "unsubscribed", contacts: 1 },
        ]),
      "GET /api/email/contacts/export": () => new Response("contact_id,email\r\nc-2,bia@exemplo.com.br\r\n", { headers: { "Content-Type": "text/csv" } }),
      "GET /api/email/contacts": (url) =>
        jsonResponse(
          url.searchParams.get("status") === "unsubscribed"
            ? page([contact({ contact_id: "c-2", email: "bia@exemplo.com.br", name: null, status: "unsubscribed", tags: [], confirmed_at: "2026-11-02T10:00:00Z", confirmed_ip: "203.0.113.9" })])
            : page([contact(), contact({ contact_id: "c-3", email: "caio@exemplo.com.br", status: "unconfirmed" })]),
        ),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<ContactListSection />, { me, locale: "pt-BR" });
    const rows = await screen.findAllByTestId("email-contact-row");
    expect(rows.map((r) => within(r).getAllByRole("cell")[1]!.textContent)).toEqual(["Ativo", "Aguardando confirmação"]);
    expect(screen.getByTestId("email-contacts-total")).toHaveTextContent("2 contatos");
    const chart = await screen.findByTestId("email-status-chart");
    expect(chart).toHaveTextContent("Contatos por situação");
    expect(chart).toHaveTextContent("Descadastrado: 1");

    await user.selectOptions(screen.getByLabelText("Situação"), "unsubscribed");
    await waitFor(() => expect(screen.getAllByTestId("email-contact-row")).toHaveLength(1));
    expect(screen.getByTestId("email-contact-row")).toHaveTextContent("Descadastrado");
    expect(screen.getByTestId("email-contact-row")).toHaveTextContent("pelo IP 203.0.113.9");
    expect(api.calls.at(-1)!.url.searchParams.get("status")).toBe("unsubscribed");

    // The export is the server's file of every contact the filters select.
    const saved: Blob[] = [];
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: (blob: Blob) => (saved.push(blob), "blob:x"), revokeObjectURL: () => undefined }));
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => undefined);
    await user.click(screen.getByTestId("email-contacts-export"));
    await waitFor(() => expect(click).toHaveBeenCalled());
    click.mockRestore();
    const exported = api.calls.find((c) => c.url.pathname === "/api/email/contacts/export")!;
    expect(exported.url.searchParams.get("status")).toBe("unsubscribed");
    expect(await saved[0]!.text()).toContain("bia@exemplo.com.br");

    await user.type(screen.getByLabelText("Buscar"), "bia");
    await waitFor(() => expect(api.calls.at(-1)!.url.searchParams.get("q")).toBe("bia"));
  });

  it("says what to do when there is no contact", async () => {
    vi.stubGlobal("fetch", routeFetch({ "GET /api/email/contacts": () => jsonResponse(page([])), "GET /api/email/contacts/statuses": () => jsonResponse([{ status: "active", contacts: 0 }]) }).fetch);
    renderWithProviders(<ContactListSection />, { me });
    expect(await screen.findByText("No contacts yet: import a CSV file or publish a subscription form.")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Import CSV" })).toHaveAttribute("href", "/email/contacts/import");
    expect(screen.queryByTestId("email-status-chart")).toBeNull(); // nothing to chart yet
  });
});

describe("ImportSection", () => {
  it("uploads, maps the columns, follows the progress and downloads the skipped rows", async () => {
    const user = userEvent.setup();
    let polls = 0;
    const api = routeFetch({
      "GET /api/email/contacts/imports": () => jsonResponse([]),
      "GET /api/email/audiences": () =>
        jsonResponse([
          { audience_id: "aud-1", name: "Clientes", kind: "static", filter: {}, created_at: "2026-11-01T00:00:00Z", contacts: 3 },
          { audience_id: "aud-2", name: "Filtro", kind: "filter", filter: {}, created_at: "2026-11-01T00:00:00Z", contacts: 0 },
        ]),
      "POST /api/email/contacts/imports": () =>
        jsonResponse(
          {
            contact_import: run(),
            sample_rows: [{ "E-mail": "ana@exemplo.com.br", Nome: "Ana", Cidade: "Recife" }],
            suggested_mapping: { email: "E-mail", name: "Nome", phone: null, tags: null, attributes: { cidade: "Cidade" } },
          },
          201,
        ),
      "POST /api/email/contacts/imports/imp-1/start": () => jsonResponse(run({ status: "queued" }), 202),
      "GET /api/email/contacts/imports/imp-1": () => {
        polls += 1;
        return jsonResponse(
          polls === 1 ? run({ status: "running", rows_done: 5, created: 4, skipped: 1 }) : run({ status: "done", rows_done: 10, created: 7, updated: 1, skipped: 2 }),
        );
      },
      "GET /api/email/contacts/imports/imp-1/errors.csv": () => new Response("row,code\r\n3,invalid_email\r\n", { headers: { "Content-Type": "text/csv" } }),
    });
    vi.stubGlobal("fetch", api.fetch);
    const csvFile = await nodeUploads();
    renderWithProviders(<ImportSection />, { me, route: "/email/contacts/import", path: "/email/contacts/import" });
    await user.upload(screen.getByTestId("import-file"), csvFile(["E-mail,Nome,Cidade\nana@exemplo.com.br,Ana,Recife\n"], "contatos.csv"));
    await user.click(screen.getByRole("button", { name: "Upload" }));

    const form = await screen.findByTestId("import-mapping-form");
    expect(within(form).getByText("contatos.csv: 10 rows")).toBeInTheDocument();
    expect(within(form).getByTestId("map-email")).toHaveValue("E-mail");
    expect(within(form).getByTestId("map-name")).toHaveValue("Nome");
    expect(within(form).getByLabelText("Attribute name for Cidade")).toHaveValue("cidade");
    await waitFor(() => expect(within(form).getByRole("option", { name: "Clientes" })).toBeInTheDocument());
    expect(within(form).queryByRole("option", { name: "Filtro" })).toBeNull(); // a saved filter takes no members
    await user.selectOptions(within(form).getByLabelText("Add everyone to the list"), "aud-1");
    await user.clear(within(form).getByLabelText("Attribute name for Cidade"));
    await user.type(within(form).getByLabelText("Attribute name for Cidade"), "city");
    await user.click(within(form).getByTestId("import-start"));

    const started = api.calls.find((c) => c.url.pathname.endsWith("/start"))!;
    expect(started.body).toEqual({
      mapping: { email: "E-mail", name: "Nome", phone: null, tags: null, attributes: { city: "Cidade" } },
      audience_id: "aud-1",
      status: "active",
      phone_country: "BR",
    });
    const progress = await screen.findByTestId("import-progress");
    expect(within(progress).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "50");
    expect(within(progress).getByTestId("import-rows")).toHaveTextContent("5 of 10 rows");
    await waitFor(() => expect(within(progress).getByTestId("import-status")).toHaveTextContent("Done"), { timeout: 4000 });
    expect(within(progress).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "100");
    expect(within(progress).getByTestId("import-created")).toHaveTextContent("7");
    expect(within(progress).getByTestId("import-skipped")).toHaveTextContent("2");

    // The server's file is saved as it came (a Blob of Node's fetch, read with its own text()).
    const saved: Blob[] = [];
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: (blob: Blob) => (saved.push(blob), "blob:x"), revokeObjectURL: () => undefined }));
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => undefined);
    await user.click(within(progress).getByTestId("import-errors-download"));
    await waitFor(() => expect(click).toHaveBeenCalled());
    click.mockRestore();
    expect(await saved[0]!.text()).toBe("row,code\r\n3,invalid_email\r\n");
    expect(api.calls.at(-1)!.url.pathname).toBe("/api/email/contacts/imports/imp-1/errors.csv");
  });

  it("builds the mapping the API takes", () => {
    expect(attributeKey(" Cidade de Nascimento ")).toBe("cidade_de_nascimento");
    expect(attributeKey("Código (CEP)")).toBe("codigo_cep");
    expect(buildMapping({ email: "E", name: "", tags: "T" }, { Cidade: "cidade", Vazio: " " })).toEqual({
      email: "E",
      name: null,
      phone: null,
      tags: "T",
      attributes: { cidade: "Cidade" },
    });
  });
});

describe("FormsSection", () => {
  const form: SubscriptionForm = {
    form_id: "f-1",
    name: "Newsletter",
    token: "tok",
    audience_id: null,
    tags: ["news"],
    sender_id: null,
    from_name: "Loja",
    from_address: "news@loja.com.br",
    language: "pt-BR",
    redirect_url: null,
    created_at: "2026-11-01T00:00:00Z",
    action_url: "https://rastro.example/e/subscribe/tok",
    snippet: '<form action="https://rastro.example/e/subscribe/tok" method="post">…</form>',
  };

  it("shows each form's snippet and creates a form", async () => {
    const user = userEvent.setup();
    const api = routeFetch({
      "GET /api/email/forms": () => jsonResponse([form]),
      "GET /api/email/audiences": () => jsonResponse([]),
      "POST /api/email/forms": () => jsonResponse({ ...form, form_id: "f-2" }, 201),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<FormsSection />, { me, locale: "pt-BR" });
    const card = await screen.findByTestId("subscription-form");
    expect(within(card).getByTestId("form-snippet")).toHaveValue(form.snippet);
    expect(within(card).getByText("https://rastro.example/e/subscribe/tok")).toBeInTheDocument();

    await user.click(screen.getByTestId("add-subscription-form"));
    const dialog = await screen.findByTestId("subscription-form-dialog");
    await user.type(within(dialog).getByLabelText("Nome"), "Blog");
    await user.type(within(dialog).getByLabelText("E-mail de confirmação: nome do remetente"), "Loja");
    await user.type(within(dialog).getByLabelText("E-mail de confirmação: endereço do remetente"), "blog@loja.com.br");
    await user.type(within(dialog).getByLabelText("Etiquetas dadas aos inscritos"), "blog, leitores, blog");
    await user.click(within(dialog).getByRole("button", { name: "Salvar" }));
    await waitFor(() => expect(api.calls.some((c) => c.method === "POST")).toBe(true));
    expect(api.calls.find((c) => c.method === "POST")!.body).toEqual({
      name: "Blog",
      from_name: "Loja",
      from_address: "blog@loja.com.br",
      language: "pt-BR",
      audience_id: null,
      tags: ["blog", "leitores"],
      redirect_url: null,
    });
    expect(parseTags(" a, ,b,a ")).toEqual(["a", "b"]);
    expect(api.calls.some((c) => c.url.pathname === "/api/email/senders")).toBe(false); // not an admin
  });

  it("lets an admin pick the confirmation e-mail's sender", async () => {
    const user = userEvent.setup();
    const api = routeFetch({
      "GET /api/email/forms": () => jsonResponse([]),
      "GET /api/email/audiences": () => jsonResponse([]),
      "GET /api/email/senders": () => jsonResponse([{ sender_id: "s-1", name: "SMTP da loja", kind: "smtp", credential_id: "cr-1", rate_per_second: 10, created_at: "2026-11-01T00:00:00Z", webhooks: null }]),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<FormsSection />, { me: makeMe(["email:read", "email:write", "email:admin"]) });
    await user.click(await screen.findByTestId("add-subscription-form"));
    const select = await screen.findByLabelText("Sender of the confirmation e-mail");
    await waitFor(() => expect(within(select).getByRole("option", { name: "SMTP da loja" })).toBeInTheDocument());
    expect(within(select).getByRole("option", { name: "Simulated (nothing leaves)" })).toBeInTheDocument();
  });

  it("says what to do when there is no form", async () => {
    vi.stubGlobal("fetch", routeFetch({ "GET /api/email/forms": () => jsonResponse([]) }).fetch);
    renderWithProviders(<FormsSection />, { me, locale: "pt-BR" });
    expect(await screen.findByText("Nenhum formulário de inscrição ainda: crie um e cole o HTML no seu site.")).toBeInTheDocument();
  });
});
