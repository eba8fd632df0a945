import { ChevronLeft, ChevronRight } from "lucide-react";
import { Button } from "./button";
import { useI18n } from "@/i18n";
import { formatNumber } from "@/lib/format";

export function Pagination({
  page,
  pageSize,
  total,
  onPageChange,
}: {
  page: number;
  pageSize: number;
  total: number;
  onPageChange: (page: number) => void;
}) {
  const { t, locale } = useI18n();
  if (total === 0) return null;
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const from = (page - 1) * pageSize + 1;
  const to = Math.min(total, page * pageSize);
  return (
    <nav aria-label={t("pagination.label")} className="flex items-center justify-between gap-2 pt-3 text-sm text-muted-foreground">
      <span aria-live="polite">
        {t("pagination.range", { from: formatNumber(from, locale), to: formatNumber(to, locale), total: formatNumber(total, locale) })}
      </span>
      <div className="flex gap-1">
        <Button variant="outline" size="icon" disabled={page <= 1} onClick={() => onPageChange(page - 1)} aria-label={t("pagination.previous")}>
          <ChevronLeft aria-hidden />
        </Button>
        <Button variant="outline" size="icon" disabled={page >= pages} onClick={() => onPageChange(page + 1)} aria-label={t("pagination.next")}>
          <ChevronRight aria-hidden />
        </Button>
      </div>
    </nav>
  );
}
