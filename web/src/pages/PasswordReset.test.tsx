import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { getAccessToken, setTokens } from "@/auth/tokens";
import { errorResponse, jsonResponse, renderWithProviders, sentBody } from "@/test/utils";
import ForgotPasswordPage from "./ForgotPasswordPage";
import LoginPage from "./LoginPage";
import ResetPasswordPage from "./ResetPasswordPage";

const TOKEN = "reset-token-0123456789abcdef";

describe("password reset pages", () => {
  const fetchMock = vi.fn<(url: string, init?: RequestInit) => Promise<Response>>();
  beforeEach(() => {
    fetchMock.mockReset();
    vi.stubGlobal("fetch", fetchMock);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    window.history.replaceState(null, "", "/");
  });

  it("the login page links to 'Esqueci minha senha'", () => {
    renderWithProviders(<LoginPage />, { locale: "pt-BR", route: "/login" });
    expect(screen.getByRole("link", { name: "Esqueci minha senha" })).toHaveAttribute("href", "/forgot-password");
  });

  /** The forgot page first asks whether mail is sent (`byEmail`), then posts the request. */
  function forgotServer(answer: () => Response, byEmail = true) {
    fetchMock.mockImplementation(async (url) => (String(url).endsWith("/api/auth/password-reset/options") ? jsonResponse({ by_email: byEmail }) : answer()));
  }
  const posted = () => fetchMock.mock.calls.filter((c) => c[1]?.method === "POST");

  it("asks for a link and answers the same without saying whether the account exists", async () => {
    forgotServer(() => jsonResponse({ status: "requested" }, 202));
    renderWithProviders(<ForgotPasswordPage />, { locale: "pt-BR" });
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("E-mail"), " ana@example.com ");
    await user.click(screen.getByRole("button", { name: "Enviar link" }));
    expect(await screen.findByTestId("reset-requested")).toHaveTextContent("Se ana@example.com tiver uma conta");
    expect(String(posted()[0]?.[0])).toContain("/api/auth/password-reset");
    expect(sentBody(posted()[0] as unknown[])).toEqual({ email: "ana@example.com" });
  });

  it.each([
    ["pt-BR", "Este servidor não envia e-mails", "Peça a um administrador do Rastro", "rastro users reset-link --email <seu e-mail>"],
    ["en", "This server does not send e-mail", "Ask an administrator of Rastro", "rastro users reset-link --email <your e-mail>"],
  ] as const)("without a mail sender (%s) it promises no e-mail and says to ask an administrator", async (locale, subtitle, ask, command) => {
    forgotServer(() => jsonResponse({ status: "requested" }, 202), false);
    renderWithProviders(<ForgotPasswordPage />, { locale });
    const notice = await screen.findByTestId("reset-no-mail");
    expect(notice).toHaveTextContent(ask);
    expect(notice).toHaveTextContent(command);
    expect(screen.getByText(new RegExp(subtitle))).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /link/i })).toBeNull();
    expect(posted()).toEqual([]);
  });

  it("explains the rate limit", async () => {
    forgotServer(() => errorResponse(429, "too_many_reset_requests", "Too many"));
    renderWithProviders(<ForgotPasswordPage />);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("E-mail"), "ana@example.com");
    await user.click(screen.getByRole("button", { name: "Send reset link" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Try again in an hour.");
  });

  it("sets the new password with the token from the link's fragment and signs this browser out", async () => {
    window.history.replaceState(null, "", `/reset-password#${TOKEN}`);
    setTokens({ access_token: "acc", refresh_token: "ref", token_type: "bearer", expires_in: 900 });
    fetchMock.mockResolvedValueOnce(jsonResponse(null, 204));
    renderWithProviders(<ResetPasswordPage />, { locale: "pt-BR" });
    const user = userEvent.setup();
    const save = screen.getByRole("button", { name: "Salvar nova senha" });
    await user.type(screen.getByLabelText("Nova senha"), "a brand new passphrase");
    await user.type(screen.getByLabelText("Repita a nova senha"), "a brand new passphrasX");
    expect(screen.getByText("As senhas são diferentes.")).toBeInTheDocument();
    expect(save).toBeDisabled();
    await user.clear(screen.getByLabelText("Repita a nova senha"));
    await user.type(screen.getByLabelText("Repita a nova senha"), "a brand new passphrase");
    await user.click(save);
    expect(await screen.findByTestId("password-reset-done")).toHaveTextContent("Senha alterada");
    expect(sentBody(fetchMock.mock.calls[0] as unknown[])).toEqual({ token: TOKEN, new_password: "a brand new passphrase" });
    await waitFor(() => expect(getAccessToken()).toBeNull());
    expect(screen.getByRole("link", { name: "Entrar" })).toHaveAttribute("href", "/login");
  });

  it("says when the link is used or expired and offers a new one", async () => {
    window.history.replaceState(null, "", `/reset-password#${TOKEN}`);
    fetchMock.mockResolvedValueOnce(errorResponse(400, "reset_token_invalid", "invalid"));
    renderWithProviders(<ResetPasswordPage />);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("New password"), "a brand new passphrase");
    await user.type(screen.getByLabelText("Repeat the new password"), "a brand new passphrase");
    await user.click(screen.getByRole("button", { name: "Save new password" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("has expired or was already used");
    expect(screen.getByRole("link", { name: "Ask for a new link" })).toHaveAttribute("href", "/forgot-password");
  });

  it("a link without its token asks for a new one", () => {
    window.history.replaceState(null, "", "/reset-password");
    renderWithProviders(<ResetPasswordPage />);
    expect(screen.getByRole("alert")).toHaveTextContent("This reset link is incomplete");
    expect(screen.queryByRole("button")).toBeNull();
  });
});
