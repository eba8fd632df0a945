import { describe, expect, it } from "vitest";
import { formatCents, formatDate, formatDateTime, formatMoney, formatNumber, formatPercent, formatRelative } from "./format";

// Intl separates "R$" from the amount with a no-break space; compare on normal spaces.
const norm = (s: string) => s.replace(/[\u00a0\u202f]/g, " ");

describe("format helpers", () => {
  it("formats BRL money per locale", () => {
    expect(norm(formatMoney(1234.56, "pt-BR"))).toBe("R$ 1.234,56");
    expect(norm(formatMoney(1234.56, "en"))).toBe("R$1,234.56");
    expect(norm(formatMoney(-0.5, "pt-BR"))).toBe("-R$ 0,50");
    expect(norm(formatCents(123456, "pt-BR"))).toBe("R$ 1.234,56");
    expect(norm(formatMoney(10, "en", "USD"))).toBe("$10.00");
  });

  it("formats numbers and percentages per locale", () => {
    expect(formatNumber(1234567.891, "pt-BR")).toBe("1.234.567,891");
    expect(formatNumber(1234567.891, "en")).toBe("1,234,567.891");
    expect(norm(formatPercent(0.256, "pt-BR"))).toBe("25,6%");
    expect(formatPercent(0.256, "en")).toBe("25.6%");
  });

  it("formats dates per locale in a fixed time zone", () => {
    const d = "2025-01-31T17:05:00Z";
    expect(formatDate(d, "pt-BR", "America/Sao_Paulo")).toBe("31/01/2025");
    expect(formatDate(d, "en", "America/Sao_Paulo")).toBe("Jan 31, 2025");
    expect(norm(formatDateTime(d, "pt-BR", "America/Sao_Paulo"))).toBe("31/01/2025, 14:05");
    expect(norm(formatDateTime(d, "en", "America/Sao_Paulo"))).toBe("Jan 31, 2025, 2:05 PM");
  });

  it("formats relative times per locale", () => {
    const now = new Date("2025-01-31T12:00:00Z");
    expect(formatRelative("2025-01-31T11:55:00Z", "pt-BR", now)).toBe("há 5 minutos");
    expect(formatRelative("2025-01-31T11:55:00Z", "en", now)).toBe("5 minutes ago");
    expect(formatRelative("2025-01-30T12:00:00Z", "pt-BR", now)).toBe("ontem");
    expect(formatRelative("2025-01-30T12:00:00Z", "en", now)).toBe("yesterday");
    expect(formatRelative("2025-01-10T12:00:00Z", "en", now)).toBe("3 weeks ago");
  });
});
