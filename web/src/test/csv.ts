import { vi } from "vitest";

/** Captures the CSV files a page downloads: `text()` reads the last one (without the BOM). */
export function captureCsv() {
  const blobs: Blob[] = [];
  vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: (b: Blob) => (blobs.push(b), "blob:x"), revokeObjectURL: () => undefined }));
  const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => undefined);
  const text = () =>
    new Promise<string>((resolve) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result).replace(/^\uFEFF/, ""));
      reader.readAsText(blobs[blobs.length - 1] as Blob);
    });
  return { click, text, restore: () => click.mockRestore() };
}

/** A report's range as the API answers it. */
export function reportRange(from = "2025-03-01", to = "2025-03-31") {
  return {
    current: { date_from: from, date_to: to, start: `${from}T03:00:00Z`, end: `${to}T03:00:00Z` },
    previous: null,
    timezone: "America/Sao_Paulo",
    currency: "BRL",
    data_through: `${to}T12:00:00Z`,
  };
}
