import { describe, expect, it } from "vitest";
import { translate, type MessageKey } from "@/i18n";
import { reasonText } from "./shared";

const pt = (key: MessageKey, vars?: Record<string, string | number>) => translate("pt-BR", key, vars);

describe("delivery reasons", () => {
  it("are translated from their code and figures, the platform's own message quoted", () => {
    expect(reasonText(pt, "pt-BR", { reason: "No active meta credential.", reason_code: "no_credential", reason_params: { platform: "meta" } })).toBe(
      "Nenhuma conta Meta ativa: conecte uma em Configurações › Credenciais.",
    );
    expect(reasonText(pt, "pt-BR", { reason: "x", reason_code: "outside_window", reason_params: { platform: "meta", clicked: "2025-03-01", days: 30, window: 28 } })).toBe(
      "O clique de 01/03/2025 foi 30 dias antes da venda; a janela do Meta é de 28 dias.",
    );
    expect(reasonText(pt, "pt-BR", { reason: "x", reason_code: "no_ad_consent", reason_params: { platform: "google" } })).toBe(
      "Não enviada ao Google: a pessoa não consentiu que seus dados fossem às plataformas de anúncios.",
    );
    expect(reasonText(pt, "pt-BR", { reason: "Invalid parameter", reason_code: "platform_message", reason_params: { message: "Invalid parameter" } })).toBe("Invalid parameter");
    expect(reasonText(pt, "pt-BR", { reason: "old sentence", reason_code: null, reason_params: {} })).toBe("old sentence");
    expect(reasonText(pt, "pt-BR", { reason: null, reason_code: null, reason_params: {} })).toBeNull();
  });
});
