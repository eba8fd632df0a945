import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import { MyInvitations } from "./MyInvitations";

const INVITATION = {
  id: "i1",
  organization: { id: "o2", name: "Loja B", slug: "loja-b" },
  role: "manager",
  created_at: "2026-12-01T12:00:00Z",
  expires_at: "2026-12-08T12:00:00Z",
};

describe("MyInvitations", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("shows nothing without invitations", async () => {
    const api = routeFetch({ "GET /api/auth/invitations": () => jsonResponse([]) });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<MyInvitations />, { me: makeMe([]) });
    await waitFor(() => expect(api.calls).toHaveLength(1));
    expect(screen.queryByTestId("my-invitations")).toBeNull();
  });

  it("accepts an invitation, in pt-BR", async () => {
    let answered = false;
    const api = routeFetch({
      "GET /api/auth/invitations": () => jsonResponse(answered ? [] : [INVITATION]),
      "POST /api/auth/invitations/i1/accept": () => {
        answered = true;
        return jsonResponse({ id: "o2", name: "Loja B", slug: "loja-b", role: "manager" });
      },
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<MyInvitations />, { me: makeMe([]), locale: "pt-BR" });
    expect(await screen.findByText("Loja B convida você para participar como Gerente.")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Aceitar" }));
    await waitFor(() => expect(screen.queryByTestId("my-invitations")).toBeNull());
    expect(api.calls.map((c) => `${c.method} ${c.url.pathname}`)).toContain("POST /api/auth/invitations/i1/accept");
  });

  it("declines an invitation", async () => {
    const api = routeFetch({
      "GET /api/auth/invitations": () => jsonResponse([INVITATION]),
      "POST /api/auth/invitations/i1/decline": () => jsonResponse(null, 204),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<MyInvitations />, { me: makeMe([]) });
    await userEvent.click(await screen.findByRole("button", { name: "Decline" }));
    await waitFor(() => expect(api.calls.map((c) => `${c.method} ${c.url.pathname}`)).toContain("POST /api/auth/invitations/i1/decline"));
  });
});
