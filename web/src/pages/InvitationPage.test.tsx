import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { clearTokens, getAccessToken } from "@/auth/tokens";
import { errorResponse, jsonResponse, renderWithProviders, routeFetch } from "@/test/utils";
import InvitationPage from "./InvitationPage";

const TOKEN = "invite-token-0123456789";
const PREVIEW = {
  organization: { id: "org-2", name: "Acme <Filhos>", slug: "acme" },
  role: "analyst",
  email: "nova@example.com",
  expires_at: "2026-12-13T12:00:00Z",
};

describe("InvitationPage", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    clearTokens();
    window.history.replaceState(null, "", "/");
  });

  it("says who invites whom, then creates the account with the token from the fragment", async () => {
    window.history.replaceState(null, "", `/invitation#${TOKEN}`);
    const stub = routeFetch({
      "POST /api/auth/invitations/preview": () => jsonResponse(PREVIEW),
      "POST /api/auth/invitations/register": () => jsonResponse({ access_token: "acc", refresh_token: "ref", token_type: "bearer", expires_in: 900 }),
    });
    vi.stubGlobal("fetch", stub.fetch);
    renderWithProviders(<InvitationPage />, { locale: "pt-BR", route: "/invitation" });
    expect(await screen.findByTestId("invitation-offer")).toHaveTextContent("Acme <Filhos> convida nova@example.com para entrar como Analista.");
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Seu nome"), "Nova Pessoa");
    await user.type(screen.getByLabelText("Senha"), "a long enough password");
    await user.click(screen.getByRole("button", { name: "Criar conta e entrar" }));
    await waitFor(() => expect(getAccessToken()).toBe("acc"));
    expect(stub.calls.find((c) => c.url.pathname.endsWith("/preview"))?.body).toEqual({ token: TOKEN });
    expect(stub.calls.find((c) => c.url.pathname.endsWith("/register"))?.body).toEqual({ token: TOKEN, name: "Nova Pessoa", password: "a long enough password" });
    // the token never goes into a URL
    expect(stub.calls.every((c) => !c.url.href.includes(TOKEN))).toBe(true);
  });

  it("a used, revoked or expired link shows why and no form", async () => {
    window.history.replaceState(null, "", `/invitation#${TOKEN}`);
    const stub = routeFetch({
      "POST /api/auth/invitations/preview": () => errorResponse(404, "invitation_not_found", "gone"),
    });
    vi.stubGlobal("fetch", stub.fetch);
    renderWithProviders(<InvitationPage />, { route: "/invitation" });
    expect(await screen.findByTestId("invitation-invalid")).toHaveTextContent("has expired or was already answered");
    expect(screen.queryByRole("button", { name: "Create account and join" })).toBeNull();
    expect(screen.getByRole("link", { name: /Already have an account/ })).toHaveAttribute("href", "/login");
  });
});
