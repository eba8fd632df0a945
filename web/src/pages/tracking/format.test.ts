import { describe, expect, it } from "vitest";
import { translate, type MessageKey } from "@/i18n";
import { eventDataFields, eventTypeLabel, eventValueText } from "./format";

const pt = (key: MessageKey, vars?: Record<string, string | number>) => translate("pt-BR", key, vars);

describe("events as people read them", () => {
  it("names event types, keeps custom ones, and reads values", () => {
    expect(eventTypeLabel(pt, "form_start")).toBe("Formulário iniciado");
    expect(eventTypeLabel(pt, "quiz_answered")).toBe("quiz_answered");
    expect(eventValueText("scroll", "25.0000", "pt-BR")).toBe("25%");
    expect(eventValueText("custom", "1234.5000", "pt-BR")).toBe("1.234,5");
    expect(eventValueText("custom", null, "pt-BR")).toBe("");
    expect(eventValueText("custom", "abc", "pt-BR")).toBe("abc");
  });

  it("shows event data as labelled fields", () => {
    expect(eventDataFields(pt, { url: "/lp", plano: { a: 1 } })).toEqual([
      ["Página", "/lp"],
      ["plano", '{"a":1}'],
    ]);
    expect(eventDataFields(pt, null)).toEqual([]);
  });
});
