import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { setTokens } from "@/auth/tokens";
import { jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import MembersSection from "./MembersSection";

const INVITATION = {
  id: "inv-1",
  email: "nova@example.com",
  role: "analyst",
  status: "pending",
  created_at: "2026-12-06T12:00:00Z",
  expires_at: "2026-12-13T12:00:00Z",
};

function serve(created: { delivery: "email" | "link"; token: string | null }, pending: unknown[] = []) {
  const stub = routeFetch({
    "GET /api/members": () => jsonResponse({ items: [], total: 0, page: 1, page_size: 25 }),
    "GET /api/members/invitations": () => jsonResponse({ items: pending, total: pending.length, page: 1, page_size: 100 }),
    "POST /api/members": () => jsonResponse({ invitation: INVITATION, ...created }, 201),
  });
  vi.stubGlobal("fetch", stub.fetch);
  return stub;
}

async function invite() {
  setTokens({ access_token: "a", refresh_token: "r" });
  renderWithProviders(<MembersSection />, { me: makeMe(["members:read", "members:write"]) });
  const user = userEvent.setup();
  await user.click((await screen.findAllByRole("button", { name: "Invite member" }))[0]!);
  const dialog = await screen.findByRole("dialog");
  await user.type(within(dialog).getByLabelText("E-mail"), "nova@example.com");
  await user.click(within(dialog).getByRole("button", { name: "Invite member" }));
}

describe("MembersSection invitations", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("an e-mailed invitation shows no link: only the invited address gets it", async () => {
    const stub = serve({ delivery: "email", token: null });
    await invite();
    expect(await screen.findByText("Invitation e-mailed to nova@example.com. They join once they accept it.")).toBeInTheDocument();
    expect(screen.queryByTestId("invitation-link")).toBeNull();
    expect(stub.calls.find((c) => c.method === "POST")?.body).toEqual({ email: "nova@example.com", role: "analyst" });
  });

  it("without a mail sender the admin gets the one-time link to pass on", async () => {
    serve({ delivery: "link", token: "tok-0123456789abcdef" });
    await invite();
    expect(await screen.findByText("Invitation link")).toBeInTheDocument();
    expect(screen.getByTestId("invitation-link")).toHaveTextContent("/invitation#tok-0123456789abcdef");
  });

  it("sends a pending invitation again with its e-mail and role", async () => {
    const stub = serve({ delivery: "email", token: null }, [{ ...INVITATION, role: "viewer" }]);
    setTokens({ access_token: "a", refresh_token: "r" });
    renderWithProviders(<MembersSection />, { me: makeMe(["members:read", "members:write"]), locale: "pt-BR" });
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Reenviar" }));
    expect(await screen.findByText("Convite enviado por e-mail para nova@example.com. A pessoa entra quando aceitar.")).toBeInTheDocument();
    expect(stub.calls.find((c) => c.method === "POST")?.body).toEqual({ email: "nova@example.com", role: "viewer" });
    expect(screen.queryByTestId("invitation-link")).toBeNull();
  });
});
