import { describe, expect, it } from "vitest";
import { BOM, csvBlob, csvCell, toCsv, type CsvColumn } from "./csv";

interface Row {
  name: string | null;
  sessions: number;
  revenue: number;
}

const columns: CsvColumn<Row>[] = [
  { header: "Campanha", value: (r) => r.name },
  { header: "Sessões", value: (r) => r.sessions },
  { header: "Receita", value: (r) => r.revenue },
];

/** jsdom's Blob has no arrayBuffer(): read it as a browser would. */
function readBytes(blob: Blob): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(new Uint8Array(reader.result as ArrayBuffer));
    reader.onerror = () => reject(reader.error);
    reader.readAsArrayBuffer(blob);
  });
}

describe("csv", () => {
  it("quotes commas, quotes and line breaks, and doubles inner quotes", () => {
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("two\nlines")).toBe('"two\nlines"');
    expect(csvCell(" padded ")).toBe('" padded "');
  });

  it("writes numbers unformatted and empties null, undefined and non-finite numbers", () => {
    expect(csvCell(1234.5)).toBe("1234.5");
    expect(csvCell(-3)).toBe("-3");
    expect(csvCell(null)).toBe("");
    expect(csvCell(undefined)).toBe("");
    expect(csvCell(Number.NaN)).toBe("");
    expect(csvCell(Number.POSITIVE_INFINITY)).toBe("");
  });

  it("neutralises text that a spreadsheet would run as a formula", () => {
    expect(csvCell("=HYPERLINK(\"x\")")).toBe("\"'=HYPERLINK(\"\"x\"\")\"");
    expect(csvCell("+1")).toBe("'+1");
    expect(csvCell("@sum")).toBe("'@sum");
  });

  it("writes a header and the rows in order, CRLF-terminated", () => {
    const text = toCsv(columns, [
      { name: "black, friday", sessions: 1200, revenue: 1234.56 },
      { name: null, sessions: 0, revenue: 0 },
    ]);
    expect(text).toBe('Campanha,Sessões,Receita\r\n"black, friday",1200,1234.56\r\n,0,0\r\n');
  });

  it("puts a UTF-8 byte order mark before the text", async () => {
    const blob = csvBlob(columns, [{ name: "ação", sessions: 1, revenue: 2 }]);
    const bytes = await readBytes(blob);
    expect(Array.from(bytes.slice(0, 3))).toEqual([0xef, 0xbb, 0xbf]);
    expect(new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes)).toBe(`${BOM}Campanha,Sessões,Receita\r\nação,1,2\r\n`);
    expect(blob.type).toBe("text/csv;charset=utf-8");
  });
});
