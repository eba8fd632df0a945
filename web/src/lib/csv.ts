/** CSV export of a table as shown: RFC 4180 quoting, UTF-8 with a BOM (Excel reads the accents). */

export type CsvCell = string | number | null | undefined;

/** A cell as CSV text. Text that a spreadsheet would run as a formula (=, +, -, @ first) is
 * prefixed with an apostrophe; numbers are written as they are. */
function cell(value: CsvCell): string {
  if (value === null || value === undefined) return "";
  let text = typeof value === "number" ? String(value) : value;
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(rows: CsvCell[][]): string {
  return rows.map((row) => row.map(cell).join(",")).join("\r\n") + "\r\n";
}

/** Make the browser download `rows` as `filename`. */
export function downloadCsv(filename: string, rows: CsvCell[][]): void {
  const blob = new Blob(["\ufeff", toCsv(rows)], { type: "text/csv;charset=utf-8" });
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}
