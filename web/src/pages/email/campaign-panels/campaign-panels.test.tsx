import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonResponse, makeMe, renderWithProviders, routeFetch } from "@/test/utils";
import { AbTestPanel, subjectsProblem } from "./AbTestPanel";
import { TestSendPanel } from "./TestSendPanel";

const me = makeMe(["email:read", "email:write"]);
const BASE = "/api/email/campaigns/camp-1";

afterEach(() => vi.unstubAllGlobals());

function report(over: Record<string, unknown> = {}) {
  return { campaign_id: "camp-1", sample_percent: null, metric: null, wait_minutes: null, winner: null, decided_at: null, held: 0, variants: [], ...over };
}

describe("AbTestPanel", () => {
  it("sets a test on a draft, then shows the figures per subject and the winner", async () => {
    const user = userEvent.setup();
    let saved = false;
    const api = routeFetch({
      [`GET ${BASE}/ab-test`]: () =>
        jsonResponse(
          saved
            ? report({
                sample_percent: 30,
                metric: "clicks",
                wait_minutes: 60,
                winner: 1,
                decided_at: "2026-11-01T12:00:00Z",
                variants: [
                  { variant: 0, subject: "Oferta A", messages: 4, sent: 4, opens: 2, clicks: 1, open_rate: 0.5, click_rate: 0.25, winner: false },
                  { variant: 1, subject: "Oferta B", messages: 4, sent: 4, opens: 1, clicks: 2, open_rate: 0.25, click_rate: 0.5, winner: true },
                ],
              })
            : report(),
        ),
      [`PUT ${BASE}/ab-test`]: () => {
        saved = true;
        return jsonResponse({});
      },
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<AbTestPanel campaignId="camp-1" editable />, { me, locale: "pt-BR" });
    const form = await screen.findByTestId("ab-test-form");
    expect(within(form).getByText("Escreva pelo menos dois assuntos.")).toBeInTheDocument();
    await user.type(within(form).getByLabelText("Assunto 1"), "Oferta A");
    await user.type(within(form).getByLabelText("Assunto 2"), "Oferta B");
    await user.click(within(form).getByRole("button", { name: "Adicionar um assunto" }));
    await user.click(within(form).getByRole("button", { name: "Remover o assunto 3" }));
    await user.selectOptions(within(form).getByLabelText("Vencedor por"), "clicks");
    await user.clear(within(form).getByLabelText("Amostra (% dos destinatários)"));
    await user.type(within(form).getByLabelText("Amostra (% dos destinatários)"), "30");
    await user.click(within(form).getByRole("button", { name: "Salvar o teste" }));
    await waitFor(() => expect(api.calls.some((c) => c.method === "PUT")).toBe(true));
    expect(api.calls.find((c) => c.method === "PUT")!.body).toEqual({ subjects: ["Oferta A", "Oferta B"], sample_percent: 30, metric: "clicks", wait_minutes: 240 });

    const rows = await screen.findAllByTestId("ab-variant");
    expect(rows[1]).toHaveTextContent("Oferta BVencedor");
    expect(rows[1]).toHaveTextContent("50%");
    expect(screen.getByTestId("ab-summary")).toHaveTextContent("Vencedor: B.");
  });

  it("knows what a test needs", () => {
    expect(subjectsProblem(["a", " "])).toBe("tooFew");
    expect(subjectsProblem(["a", "a "])).toBe("duplicate");
    expect(subjectsProblem(["a", "b"])).toBeNull();
  });
});

describe("TestSendPanel", () => {
  it("previews in a sandboxed frame and sends a test to one address", async () => {
    const user = userEvent.setup();
    const api = routeFetch({
      [`POST ${BASE}/preview`]: () => jsonResponse({ subject: "Oferta para Maria", html: "<p>Olá Maria Silva</p>", text: "" }),
      [`POST ${BASE}/test-send`]: () => jsonResponse({ outcome: "sent", error: null }),
    });
    vi.stubGlobal("fetch", api.fetch);
    renderWithProviders(<TestSendPanel campaignId="camp-1" variants={["A1", "B1"]} />, { me });
    await user.selectOptions(screen.getByLabelText("Subject"), "1");
    await user.click(screen.getByRole("button", { name: "Preview" }));
    const preview = await screen.findByTestId("campaign-preview");
    expect(preview).toHaveTextContent("Oferta para Maria");
    const frame = within(preview).getByTitle("Preview of the e-mail");
    expect(frame).toHaveAttribute("sandbox", "");
    expect(frame).toHaveAttribute("srcdoc", "<p>Olá Maria Silva</p>");
    expect(api.calls[0]!.body).toEqual({ variant: 1 });

    await user.type(screen.getByLabelText("Send a test to"), "revisor@loja.com.br");
    await user.click(screen.getByTestId("test-send"));
    expect(await screen.findByText("Test sent to revisor@loja.com.br.")).toBeInTheDocument();
    expect(api.calls.at(-1)!.body).toEqual({ email: "revisor@loja.com.br", variant: 1 });
  });
});
