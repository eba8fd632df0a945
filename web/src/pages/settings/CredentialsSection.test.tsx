import { screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Credential } from "@/api/types";
import { jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import CredentialsSection from "./CredentialsSection";

function credential(over: Partial<Credential>): Credential {
  return {
    id: "c1",
    name: "Vendas",
    service: "eduzz",
    api_key_masked: "••••abcd",
    api_secret_masked: null,
    api_url: null,
    settings: {},
    is_active: true,
    created_at: "2026-12-01T00:00:00Z",
    updated_at: "2026-12-02T00:00:00Z",
    ...over,
  } as Credential;
}

afterEach(() => vi.unstubAllGlobals());

describe("CredentialsSection", () => {
  it("shows a checkout platform's webhook URL under its credential, and none for other services", async () => {
    const api = routeFetch({
      "GET /api/credentials/services": () =>
        jsonResponse([{ service: "eduzz", label: "Eduzz (sales webhook, signing key)", default_api_url: null, needs_secret: false, settings_fields: [] }]),
      "GET /api/credentials": () =>
        jsonResponse({
          items: [credential({ id: "c-eduzz" }), credential({ id: "c-meta", name: "Pixel", service: "meta" })],
          total: 2,
          page: 1,
          page_size: 25,
        }),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<CredentialsSection />, { locale: "pt-BR", me: makeMe(["credentials:read", "credentials:write"]) });
    const rows = await screen.findAllByTestId("credential-row");
    expect(rows).toHaveLength(2);
    const url = within(rows[0]!).getByTestId("platform-webhook-url");
    expect(url).toHaveTextContent("URL do webhook para colar na plataforma");
    expect(url).toHaveTextContent(`${window.location.origin}/api/payments/platforms/eduzz/c-eduzz`);
    expect(within(rows[0]!).getByText("Eduzz (webhook de vendas, chave de assinatura)")).toBeInTheDocument();
    expect(within(rows[1]!).queryByTestId("platform-webhook-url")).toBeNull();
  });
});
