import { describe, expect, it } from "vitest";
import { translate, type MessageKey } from "@/i18n";
import { en } from "@/i18n/en";
import { ptBR } from "@/i18n/pt-BR";
import { actorLabel, activityLabel, activityText } from "./activityText";

const pt = (key: MessageKey, vars?: Record<string, string | number>) => translate("pt-BR", key, vars);

describe("timeline entries in Portuguese", () => {
  it("builds each sentence from the type and data, never the stored English summary", () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ["lead_created", { where: "Oferta BF" }, "Lead de Oferta BF"],
      ["lead_created", {}, "Lead de um formulário"],
      ["stage_changed", { from: "new", to: "won" }, "Novo → Ganho"],
      ["lead_updated", { changes: { owner_id: {}, company: {} } }, "Lead alterado: empresa, responsável"],
      ["deal_stage_changed", { name: "Plano", from: "proposal", to: "won" }, "Negócio Plano: Proposta → Ganho"],
      ["deal_created", {}, "Negócio criado"],
      ["task_done", { title: "Ligar" }, "Tarefa feita: Ligar"],
      ["integration_failed", { integration: "hubspot", error: "HTTPStatusError 401" }, "Falha ao enviar para hubspot: HTTPStatusError 401"],
      ["webhook_received", { provider: "pipedrive", their_stage: "Won", stage: "won" }, "Webhook pipedrive: Won → Ganho"],
      ["something_new", {}, "Algo mudou"],
    ];
    for (const [type, data, expected] of cases) {
      expect(activityText(pt, { activity_type: type, data }), type).toBe(expected);
    }
  });

  it("names the type and the actor", () => {
    expect(activityLabel(pt, "task_done")).toBe("Tarefa");
    expect(activityLabel(pt, "xyz")).toBe("Atividade");
    expect(actorLabel(pt, "system")).toBe("Sistema");
    expect(actorLabel(pt, "api_key:site")).toBe("Chave de API site");
    expect(actorLabel(pt, "ana@example.com")).toBe("ana@example.com");
  });

  it("has no pt-BR message equal to a long English one (an untranslated copy)", () => {
    const same = Object.entries(en).filter(([k, v]) => v.split(" ").length >= 4 && (ptBR as Record<string, string>)[k] === v).map(([k]) => k);
    expect(same).toEqual([]);
  });
});
