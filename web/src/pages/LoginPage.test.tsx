import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { getAccessToken, getRefreshToken } from "@/auth/tokens";
import { errorResponse, jsonResponse, renderWithProviders } from "@/test/utils";
import { LoginForm } from "./LoginPage";

async function submit(email = "ana@example.com", password = "secret-password") {
  const user = userEvent.setup();
  await user.type(screen.getByLabelText("E-mail"), email);
  await user.type(screen.getByLabelText(/^(Password|Senha)$/), password);
  await user.click(screen.getByRole("button", { name: /Sign in|Entrar/ }));
}

describe("LoginForm", () => {
  const fetchMock = vi.fn<(url: string, init?: RequestInit) => Promise<Response>>();
  beforeEach(() => {
    fetchMock.mockReset();
    vi.stubGlobal("fetch", fetchMock);
  });
  afterEach(() => vi.unstubAllGlobals());

  it("stores the tokens and reports success", async () => {
    fetchMock.mockResolvedValueOnce(jsonResponse({ access_token: "acc", refresh_token: "ref", token_type: "bearer", expires_in: 900 }));
    const onSuccess = vi.fn();
    renderWithProviders(<LoginForm onSuccess={onSuccess} />);
    await submit();
    await waitFor(() => expect(onSuccess).toHaveBeenCalledTimes(1));
    expect(getAccessToken()).toBe("acc");
    expect(getRefreshToken()).toBe("ref");
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("says the e-mail or password is wrong on invalid_credentials", async () => {
    fetchMock.mockResolvedValueOnce(errorResponse(401, "invalid_credentials", "Invalid credentials"));
    const onSuccess = vi.fn();
    renderWithProviders(<LoginForm onSuccess={onSuccess} />);
    await submit();
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong e-mail or password.");
    expect(onSuccess).not.toHaveBeenCalled();
    expect(getAccessToken()).toBeNull();
  });

  it("explains a disabled account", async () => {
    fetchMock.mockResolvedValueOnce(errorResponse(403, "account_disabled", "Account disabled"));
    renderWithProviders(<LoginForm onSuccess={vi.fn()} />);
    await submit();
    expect(await screen.findByRole("alert")).toHaveTextContent("This account is disabled");
  });

  it("says how many minutes to wait after too many attempts", async () => {
    fetchMock.mockResolvedValueOnce(errorResponse(429, "too_many_attempts", "Too many", null, { "Retry-After": "300" }));
    renderWithProviders(<LoginForm onSuccess={vi.fn()} />);
    await submit();
    expect(await screen.findByRole("alert")).toHaveTextContent("Try again in 5 minutes.");
  });

  it("rounds the wait up to whole minutes, in Portuguese too", async () => {
    fetchMock.mockResolvedValueOnce(errorResponse(429, "too_many_attempts", "Too many", null, { "Retry-After": "61" }));
    renderWithProviders(<LoginForm onSuccess={vi.fn()} />, { locale: "pt-BR" });
    await submit();
    expect(await screen.findByRole("alert")).toHaveTextContent("Tente de novo em 2 minutos.");
  });

  it("reports a network error in plain words", async () => {
    fetchMock.mockRejectedValueOnce(new TypeError("Failed to fetch"));
    renderWithProviders(<LoginForm onSuccess={vi.fn()} />);
    await submit();
    expect(await screen.findByRole("alert")).toHaveTextContent("Cannot reach the Rastro server");
  });

  it("falls back to the server's message for an unknown code", async () => {
    fetchMock.mockResolvedValueOnce(errorResponse(400, "something_new", "A brand new problem"));
    renderWithProviders(<LoginForm onSuccess={vi.fn()} />);
    await submit();
    expect(await screen.findByRole("alert")).toHaveTextContent("A brand new problem");
  });
});
