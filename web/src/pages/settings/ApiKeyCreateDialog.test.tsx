import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { setTokens } from "@/auth/tokens";
import { jsonResponse, renderWithProviders, sentBody } from "@/test/utils";
import { ApiKeyCreateDialog } from "./ApiKeyCreateDialog";

const FULL_KEY = "rk_live_0123456789abcdefSECRET";

function Harness() {
  const [open, setOpen] = useState(true);
  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>
        reopen
      </button>
      <ApiKeyCreateDialog open={open} onOpenChange={setOpen} />
    </>
  );
}

describe("ApiKeyCreateDialog", () => {
  const fetchMock = vi.fn<(url: string, init?: RequestInit) => Promise<Response>>();
  beforeEach(() => {
    setTokens({ access_token: "a", refresh_token: "r" });
    fetchMock.mockReset();
    fetchMock.mockImplementation(async (url, init) => {
      const u = String(url);
      if (u.endsWith("/api/api-keys/scopes")) {
        return jsonResponse([
          { scope: "collect:write", description: "Send tracking events" },
          { scope: "leads:write", description: "Create leads" },
        ]);
      }
      if (u.endsWith("/api/api-keys") && init?.method === "POST") {
        return jsonResponse(
          {
            api_key: {
              id: "k1",
              name: "Website",
              prefix: "rk_live_0123",
              scopes: ["leads:write"],
              created_at: "2025-01-01T00:00:00Z",
              last_used_at: null,
              revoked_at: null,
              created_by: null,
            },
            key: FULL_KEY,
          },
          201,
        );
      }
      return jsonResponse({}, 404);
    });
    vi.stubGlobal("fetch", fetchMock);
  });
  afterEach(() => vi.unstubAllGlobals());

  it("creates a key with the chosen scopes and shows the full key exactly once", async () => {
    const user = userEvent.setup();
    renderWithProviders(<Harness />);
    await user.type(screen.getByLabelText("Name"), "Website");
    const create = screen.getByRole("button", { name: "Create" });
    expect(create).toBeDisabled(); // no scope yet
    await user.click(await screen.findByRole("checkbox", { name: /leads:write/ }));
    await user.click(create);

    expect(await screen.findByTestId("new-api-key")).toHaveTextContent(FULL_KEY);
    expect(screen.getByText(/shown only once/)).toBeInTheDocument();
    const post = fetchMock.mock.calls.find((c) => c[1]?.method === "POST")!;
    expect(sentBody(post)).toEqual({ name: "Website", scopes: ["leads:write"] });

    await user.click(screen.getByRole("button", { name: "I have copied the key" }));
    await waitFor(() => expect(screen.queryByTestId("new-api-key")).toBeNull());
    expect(document.body.textContent).not.toContain(FULL_KEY);

    // Reopening gives an empty form, never the old key.
    await user.click(screen.getByRole("button", { name: "reopen" }));
    expect(await screen.findByLabelText("Name")).toHaveValue("");
    expect(document.body.textContent).not.toContain(FULL_KEY);
  });

  it("does not close on an outside click while the key is displayed, but Escape closes it", async () => {
    const user = userEvent.setup();
    renderWithProviders(<Harness />);
    await user.type(screen.getByLabelText("Name"), "Website");
    await user.click(await screen.findByRole("checkbox", { name: /collect:write/ }));
    await user.click(screen.getByRole("button", { name: "Create" }));
    await screen.findByTestId("new-api-key");
    await user.keyboard("{Escape}");
    await waitFor(() => expect(screen.queryByTestId("new-api-key")).toBeNull());
    expect(document.body.textContent).not.toContain(FULL_KEY);
  });
});
