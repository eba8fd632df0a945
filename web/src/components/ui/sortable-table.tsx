import { ArrowDown, ArrowUp, ArrowUpDown } from "lucide-react";
import { useMemo, useState, type ReactNode } from "react";
import { useI18n } from "@/i18n";
import type { CsvValue } from "@/lib/csv";
import { cn } from "@/lib/utils";
import { CsvButton } from "./csv-button";
import { Table, TBody, TD, TH, THead, TR } from "./table";

export interface SortableColumn<T> {
  id: string;
  header: string;
  /** The cell's value as shown, unformatted: what the column sorts by and the CSV holds. */
  value: (row: T) => CsvValue;
  /** How the cell shows it (default: the value as text). */
  render?: (row: T) => ReactNode;
  /** Right-aligned, and sorted largest first on the first click. */
  numeric?: boolean;
  /** Left out of the CSV (a column of row buttons). */
  csv?: false;
}

export type SortDirection = "asc" | "desc";
export interface SortState {
  column: string;
  direction: SortDirection;
}

/** `rows` ordered by one column; empty values last in both directions, ties keep their order. */
export function sortRows<T>(rows: readonly T[], column: SortableColumn<T> | undefined, direction: SortDirection, locale: string): T[] {
  if (!column) return [...rows];
  const sign = direction === "asc" ? 1 : -1;
  const collator = new Intl.Collator(locale, { numeric: true, sensitivity: "base" });
  return rows
    .map((row, index) => ({ row, index, value: column.value(row) }))
    .sort((a, b) => {
      const empty = (v: CsvValue) => v === null || v === undefined || v === "" || (typeof v === "number" && !Number.isFinite(v));
      if (empty(a.value) || empty(b.value)) return empty(a.value) === empty(b.value) ? a.index - b.index : empty(a.value) ? 1 : -1;
      const order = typeof a.value === "number" && typeof b.value === "number" ? a.value - b.value : collator.compare(String(a.value), String(b.value));
      return order === 0 ? a.index - b.index : sign * order;
    })
    .map((entry) => entry.row);
}

/**
 * A report table whose headers sort it (click again to reverse), with a CSV export of
 * exactly the rows and columns shown, in the order shown.
 */
export function SortableTable<T>({
  columns,
  rows,
  rowKey,
  initialSort,
  csvFilename,
  caption,
  testId,
}: {
  columns: readonly SortableColumn<T>[];
  rows: readonly T[];
  rowKey: (row: T, index: number) => string;
  initialSort?: SortState;
  /** Shows the CSV button when given. */
  csvFilename?: string;
  /** The table's title (shown above it, and its accessible name). */
  caption?: string;
  testId?: string;
}) {
  const { t, locale } = useI18n();
  const [sort, setSort] = useState<SortState | null>(initialSort ?? null);
  const column = columns.find((c) => c.id === sort?.column);
  const sorted = useMemo(() => sortRows(rows, column, sort?.direction ?? "desc", locale), [rows, column, sort?.direction, locale]);

  const toggle = (c: SortableColumn<T>) =>
    setSort((current) =>
      current?.column === c.id ? { column: c.id, direction: current.direction === "asc" ? "desc" : "asc" } : { column: c.id, direction: c.numeric ? "desc" : "asc" },
    );

  return (
    <div className="grid gap-2" data-testid={testId}>
      {caption || csvFilename ? (
        <div className="flex flex-wrap items-center justify-between gap-2">
          {caption ? <h3 className="text-base font-semibold">{caption}</h3> : <span />}
          {csvFilename ? <CsvButton filename={csvFilename} columns={columns.filter((c) => c.csv !== false)} rows={sorted} disabled={sorted.length === 0} /> : null}
        </div>
      ) : null}
      <Table aria-label={caption}>
        <THead>
          <TR>
            {columns.map((c) => {
              const active = sort?.column === c.id;
              const Icon = active ? (sort.direction === "asc" ? ArrowUp : ArrowDown) : ArrowUpDown;
              return (
                <TH key={c.id} className={cn("whitespace-normal py-2 align-bottom", c.numeric && "text-right")} aria-sort={active ? (sort.direction === "asc" ? "ascending" : "descending") : "none"}>
                  <button
                    type="button"
                    className={cn("inline-flex items-center gap-1 rounded hover:text-foreground focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring", active && "text-foreground")}
                    onClick={() => toggle(c)}
                    title={t("table.sortBy", { column: c.header })}
                    data-testid={`sort-${c.id}`}
                  >
                    {c.header}
                    <Icon className="h-3.5 w-3.5" aria-hidden />
                  </button>
                </TH>
              );
            })}
          </TR>
        </THead>
        <TBody>
          {sorted.length === 0 ? (
            <TR>
              <TD colSpan={columns.length} className="text-center text-muted-foreground">
                {t("table.empty")}
              </TD>
            </TR>
          ) : (
            sorted.map((row, index) => (
              <TR key={rowKey(row, index)} data-testid="report-row">
                {columns.map((c) => (
                  <TD key={c.id} className={cn(c.numeric && "text-right tabular-nums")}>
                    {c.render ? c.render(row) : (c.value(row) ?? "")}
                  </TD>
                ))}
              </TR>
            ))
          )}
        </TBody>
      </Table>
    </div>
  );
}
