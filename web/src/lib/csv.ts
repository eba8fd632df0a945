/**
 * CSV export of a table as it is shown: RFC 4180 quoting, CRLF line ends and a UTF-8 byte
 * order mark, so Excel opens accents correctly. Numbers are written unformatted (`1234.5`),
 * so a spreadsheet can compute with them.
 */

export type CsvValue = string | number | null | undefined;

export interface CsvColumn<T> {
  header: string;
  value: (row: T) => CsvValue;
}

export const BOM = "\uFEFF";

// A text cell starting like this runs as a formula in a spreadsheet; campaign names and
// sources come from visitors' URLs, so such a cell is prefixed with an apostrophe (OWASP).
const FORMULA_START = /^[=+\-@\t\r]/;

/** One cell: numbers as they are (non-finite → empty), text quoted when it needs it. */
export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The CSV text (without the byte order mark) of `rows` under `columns`, in that order. */
export function toCsv<T>(columns: readonly CsvColumn<T>[], rows: readonly T[]): string {
  const lines = [columns.map((c) => csvCell(c.header)), ...rows.map((row) => columns.map((c) => csvCell(c.value(row))))];
  return lines.map((cells) => cells.join(",")).join("\r\n") + "\r\n";
}

/** The file's contents, byte order mark first, as a Blob. */
export function csvBlob<T>(columns: readonly CsvColumn<T>[], rows: readonly T[]): Blob {
  return new Blob([BOM + toCsv(columns, rows)], { type: "text/csv;charset=utf-8" });
}

/** Let the browser save `blob` as `filename`. */
export function saveBlob(filename: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.style.display = "none";
  document.body.appendChild(link);
  link.click();
  link.remove();
  // Revoked after the click has been handled: some browsers read the URL asynchronously.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Let the browser save `rows` as `filename` (".csv" added when missing). */
export function downloadCsv<T>(filename: string, columns: readonly CsvColumn<T>[], rows: readonly T[]): void {
  saveBlob(filename.toLowerCase().endsWith(".csv") ? filename : `${filename}.csv`, csvBlob(columns, rows));
}
