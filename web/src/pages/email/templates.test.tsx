import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { captureCsv } from "@/test/csv";
import { jsonResponse, renderWithProviders, routeFetch } from "@/test/utils";
import TemplateEditor from "./TemplateEditor";
import TemplatesSection from "./TemplatesSection";
import { PREVIEW, READER, template, WRITER, XSS } from "./fixtures";

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("TemplatesSection", () => {
  it("lists templates as text and deletes one after confirmation", async () => {
    const user = userEvent.setup();
    let list = [template({ name: XSS }), template({ template_id: "t2", name: "Recuperação PIX" })];
    const api = routeFetch({
      "GET /api/email/templates": () => jsonResponse(list),
      "DELETE /api/email/templates/t2": () => {
        list = list.slice(0, 1);
        return jsonResponse(null, 204);
      },
    });
    vi.stubGlobal("fetch", api.fetch);
    const { container } = renderWithProviders(<TemplatesSection />, { me: WRITER, locale: "pt-BR" });
    const table = await screen.findByTestId("templates-table");
    expect(within(table).getByText(XSS)).toBeInTheDocument();
    expect(container.querySelector("img")).toBeNull();
    // The CSV holds the table's data, not its row buttons.
    const csv = captureCsv();
    await user.click(screen.getByTestId("csv-button"));
    expect((await csv.text()).split("\r\n")[0]).toBe("Nome,Assunto,Atualizado em");
    csv.restore();
    await user.click(within(table).getByRole("button", { name: "Excluir Recuperação PIX" }));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog).toHaveTextContent("As campanhas criadas a partir dele mantêm a própria cópia do conteúdo.");
    await user.click(within(dialog).getByRole("button", { name: "Excluir" }));
    await waitFor(() => expect(api.calls.some((c) => c.method === "DELETE" && c.url.pathname === "/api/email/templates/t2")).toBe(true));
    await waitFor(() => expect(within(screen.getByTestId("templates-table")).queryByText("Recuperação PIX")).toBeNull());
  });

  it("says what to do when there are none, in Portuguese; readers get no buttons", async () => {
    vi.stubGlobal("fetch", routeFetch({ "GET /api/email/templates": () => jsonResponse([]) }).fetch);
    renderWithProviders(<TemplatesSection />, { me: READER, locale: "pt-BR" });
    expect(await screen.findByText(/Nenhum modelo ainda\. Crie um/)).toBeInTheDocument();
    expect(screen.queryByTestId("template-new")).toBeNull();
  });
});

describe("TemplateEditor", () => {
  function mount(route: string, routes: Parameters<typeof routeFetch>[0], me = WRITER) {
    const api = routeFetch(routes);
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(
      <Routes>
        <Route path="/email/templates/new" element={<TemplateEditor />} />
        <Route path="/email/templates/:templateId" element={<TemplateEditor />} />
      </Routes>,
      { me, route, locale: "pt-BR" },
    );
    return api;
  }

  it("creates a template with a live preview of the merge fields, listed for the writer", async () => {
    const user = userEvent.setup();
    const api = mount("/email/templates/new", {
      "POST /api/email/preview": () => jsonResponse({ ...PREVIEW, html: "<p>Olá Maria Silva &amp; cia</p>" }),
      "POST /api/email/templates": () => jsonResponse(template({ template_id: "t9", name: "Natal" }), 201),
      "GET /api/email/templates/t9": () => jsonResponse(template({ template_id: "t9", name: "Natal" })),
    });
    expect(screen.getByTestId("merge-fields")).toHaveTextContent("{{ first_name }}");
    expect(screen.getByTestId("merge-fields")).toHaveTextContent("{{ unsubscribe_url }}");
    await user.type(screen.getByTestId("template-name"), "Natal");
    await user.type(screen.getByTestId("content-subject"), "Feliz Natal");
    const frame = screen.getByTestId("content-preview");
    expect(frame).toHaveAttribute("sandbox", "");
    await waitFor(() => expect(frame.getAttribute("srcdoc")).toBe("<p>Olá Maria Silva &amp; cia</p>"));
    expect(screen.getByText("Como maria.silva@exemplo.com.br receberia (os links são rastreados no envio)")).toBeInTheDocument();
    await user.click(screen.getByRole("radio", { name: "Texto simples" }));
    expect(screen.getByTestId("content-preview-text")).toHaveTextContent("Olá Maria Silva");
    await user.click(screen.getByTestId("template-save"));
    await waitFor(() => expect(api.calls.some((c) => c.method === "POST" && c.url.pathname === "/api/email/templates")).toBe(true));
    const body = api.calls.find((c) => c.url.pathname === "/api/email/templates")?.body as Record<string, string>;
    expect(body).toMatchObject({ name: "Natal", subject: "Feliz Natal", text: "" });
    expect(body.html).toContain("{{ unsubscribe_url }}");
    expect(await screen.findByRole("heading", { name: "Natal" })).toBeInTheDocument();
  });

  it("previews as one of the latest contacts when chosen", async () => {
    const user = userEvent.setup();
    const api = mount("/email/templates/t1", {
      "GET /api/email/templates/t1": () => jsonResponse(template()),
      "GET /api/email/contacts": () => jsonResponse({ items: [{ contact_id: "k1", email: "ana@cliente.com.br", name: "Ana Souza" }], total: 1, page: 1, page_size: 50 }),
      "POST /api/email/preview": (_url, init) => {
        const body = JSON.parse(String(init?.body)) as { contact_id: string | null };
        return jsonResponse(body.contact_id ? { ...PREVIEW, recipient: "ana@cliente.com.br", subject: "Oi Ana" } : PREVIEW);
      },
    });
    expect(await screen.findByText(/Como maria\.silva@exemplo\.com\.br receberia/)).toBeInTheDocument();
    await screen.findByRole("option", { name: "Ana Souza · ana@cliente.com.br" });
    await user.selectOptions(screen.getByTestId("preview-contact"), "k1");
    expect(await screen.findByText(/Como ana@cliente\.com\.br receberia/)).toBeInTheDocument();
    expect(screen.getByTestId("preview-subject")).toHaveTextContent("Oi Ana");
    expect(api.calls.filter((c) => c.url.pathname === "/api/email/preview").at(-1)?.body).toMatchObject({ contact_id: "k1", subject: "Oi {{ first_name }}" });
  });

  it("saves changes to an existing template with PUT", async () => {
    const user = userEvent.setup();
    const api = mount("/email/templates/t1", {
      "GET /api/email/templates/t1": () => jsonResponse(template()),
      "POST /api/email/preview": () => jsonResponse(PREVIEW),
      "PUT /api/email/templates/t1": () => jsonResponse(template({ subject: "Novo" })),
    });
    const subject = await screen.findByTestId("content-subject");
    await user.clear(subject);
    await user.type(subject, "Novo");
    await user.click(screen.getByTestId("template-save"));
    await waitFor(() => expect(api.calls.some((c) => c.method === "PUT")).toBe(true));
    expect(api.calls.find((c) => c.method === "PUT")?.body).toEqual({ name: "Boas-vindas", subject: "Novo", html: "<p>Olá {{ name }}</p>", text: "Olá {{ name }}" });
  });
});
