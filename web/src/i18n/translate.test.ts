import { describe, expect, it } from "vitest";
import { en } from "./en";
import { translate, type MessageKey } from "./index";
import { ptBR } from "./pt-BR";

const KEY = "tracking.history.total" as MessageKey;

describe("translate", () => {
  it("chooses a plural by the count, by each language's rules, with # as the value given", () => {
    expect(translate("pt-BR", KEY, { count: 1 })).toBe("1 sessão");
    expect(translate("pt-BR", KEY, { count: "1.234" })).toBe("1.234 sessões");
    expect(translate("pt-BR", KEY, { count: 0 })).toBe("nenhuma sessão");
    expect(translate("en", KEY, { count: "1" })).toBe("1 session");
    expect(translate("en", KEY, { count: "2,000" })).toBe("2,000 sessions");
  });

  it("keeps plain variables, and leaves an unknown variable as written", () => {
    const installed = "tracking.domains.installed" as MessageKey;
    expect(translate("en", installed, { when: "2 minutes ago", count: 12 })).toBe("Installed — last event 2 minutes ago · 12 sessions today");
    expect(translate("pt-BR", installed, { when: "agora", count: 1 })).toBe("Instalado — último evento agora · 1 sessão hoje");
    expect(translate("en", installed, { when: "now" })).toContain("{count, plural,");
  });

  it("has every message in both languages, with the same variables", () => {
    const vars = (text: string) => [...text.matchAll(/\{(\w+)[,}]/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(en) as MessageKey[]) {
      expect(ptBR[key], key).toBeTypeOf("string");
      expect(vars(ptBR[key]), key).toEqual(vars(en[key]));
    }
  });
});
