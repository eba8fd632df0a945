import { Download } from "lucide-react";
import { useI18n } from "@/i18n";
import { downloadCsv, type CsvColumn } from "@/lib/csv";
import { Button } from "./button";

/** Downloads `rows` under `columns` as `filename`: pass exactly the rows and columns shown. */
export function CsvButton<T>({ filename, columns, rows, disabled }: { filename: string; columns: readonly CsvColumn<T>[]; rows: readonly T[]; disabled?: boolean }) {
  const { t } = useI18n();
  return (
    <Button variant="outline" size="sm" title={t("csv.label")} disabled={disabled} onClick={() => downloadCsv(filename, columns, rows)} data-testid="csv-button">
      <Download aria-hidden />
      {t("csv.download")}
    </Button>
  );
}
