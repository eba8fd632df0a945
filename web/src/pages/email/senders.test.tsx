import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonResponse, renderWithProviders, routeFetch } from "@/test/utils";
import SendersSection from "./SendersSection";
import { ADMIN } from "./fixtures";

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const page = <T,>(items: T[]) => ({ items, total: items.length, page: 1, page_size: 20 });

describe("SendersSection provider API senders", () => {
  it("stores a typed Postmark token as a vault credential, then adds the sender with it (pt-BR)", async () => {
    const user = userEvent.setup();
    const api = routeFetch({
      "GET /api/email/senders": () => jsonResponse([{ sender_id: "s1", name: "Loja", kind: "sendgrid", credential_id: "c0", rate_per_second: 50, created_at: "2026-11-01T00:00:00Z", webhooks: null }]),
      "GET /api/credentials": () => jsonResponse(page([])),
      "POST /api/credentials": () => jsonResponse({ id: "cr9", name: "Postmark (Postmark)", service: "postmark" }, 201),
      "POST /api/email/senders": () => jsonResponse({ sender_id: "s2", name: "Postmark" }, 201),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<SendersSection />, { me: ADMIN, locale: "pt-BR" });
    const table = await screen.findByTestId("senders-table");
    expect(within(table).getByText("SendGrid")).toBeInTheDocument();

    await user.click(screen.getByTestId("sender-new"));
    const dialog = await screen.findByTestId("sender-create");
    await user.type(within(dialog).getByTestId("sender-name"), "Postmark");
    await user.selectOptions(within(dialog).getByTestId("sender-kind"), "postmark");
    expect(within(dialog).getByText(/Envia pela API de Postmark com a sua chave/)).toBeInTheDocument();
    const token = within(dialog).getByTestId("provider-key");
    expect(token).toHaveAttribute("type", "password");
    expect(within(dialog).getByText("Token de API do servidor")).toBeInTheDocument();
    expect(within(dialog).getByTestId("sender-submit")).toBeDisabled();
    await user.type(token, "pm-secret-token");
    await user.clear(within(dialog).getByTestId("provider-stream"));
    await user.type(within(dialog).getByTestId("provider-stream"), "newsletters");
    await user.click(within(dialog).getByTestId("sender-submit"));
    await waitFor(() => expect(api.calls.some((c) => c.method === "POST" && c.url.pathname === "/api/email/senders")).toBe(true));
    const posts = api.calls.filter((c) => c.method === "POST");
    expect(posts.map((c) => c.url.pathname)).toEqual(["/api/credentials", "/api/email/senders"]);
    expect(posts[0].body).toEqual({ name: "Postmark (Postmark)", service: "postmark", api_key: "pm-secret-token", api_secret: null, api_url: null, settings: { message_stream: "newsletters" }, is_active: true });
    expect(posts[1].body).toEqual({ name: "Postmark", kind: "postmark", credential_id: "cr9", rate_per_second: 10 });
    expect(api.calls.find((c) => c.url.pathname === "/api/credentials" && c.method === "GET")?.url.searchParams.get("service")).toBe("postmark");
  });

  it("reuses an existing SES credential without asking for the key again (English)", async () => {
    const user = userEvent.setup();
    const api = routeFetch({
      "GET /api/email/senders": () => jsonResponse([]),
      "GET /api/credentials": () => jsonResponse(page([{ id: "ses1", name: "SES São Paulo", service: "ses" }])),
      "POST /api/email/senders": () => jsonResponse({ sender_id: "s3", name: "SES" }, 201),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<SendersSection />, { me: ADMIN, locale: "en" });
    await user.click((await screen.findAllByTestId("sender-new"))[0]);
    const dialog = await screen.findByTestId("sender-create");
    await user.type(within(dialog).getByTestId("sender-name"), "SES");
    await user.selectOptions(within(dialog).getByTestId("sender-kind"), "ses");
    expect(within(dialog).getByText("Secret access key")).toBeInTheDocument();
    await waitFor(() => expect(within(dialog).getByRole("option", { name: "SES São Paulo" })).toBeInTheDocument());
    await user.selectOptions(within(dialog).getByTestId("sender-credential"), "ses1");
    expect(within(dialog).queryByTestId("provider-secret")).toBeNull();
    await user.click(within(dialog).getByTestId("sender-submit"));
    await waitFor(() => expect(api.calls.some((c) => c.method === "POST")).toBe(true));
    expect(api.calls.filter((c) => c.method === "POST").map((c) => [c.url.pathname, c.body])).toEqual([["/api/email/senders", { name: "SES", kind: "ses", credential_id: "ses1", rate_per_second: 10 }]]);
  });
});
