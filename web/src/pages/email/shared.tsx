import { Badge } from "@/components/ui/badge";
import { useI18n } from "@/i18n";
import { STATUS_VARIANT, statusKey, type CampaignStatus } from "./types";

/** A campaign's status as a badge in the viewer's language. */
export function StatusBadge({ status }: { status: CampaignStatus }) {
  const { t } = useI18n();
  return (
    <Badge variant={STATUS_VARIANT[status]} className="whitespace-nowrap" data-testid="campaign-status">
      {t(statusKey(status))}
    </Badge>
  );
}

export function SectionTitle({ title, subtitle }: { title: string; subtitle?: string }) {
  return (
    <div className="min-w-0">
      <h2 className="text-lg font-semibold">{title}</h2>
      {subtitle ? <p className="text-sm text-muted-foreground">{subtitle}</p> : null}
    </div>
  );
}

/** A 0–1 bar with its label read out (generation and sending progress, funnel steps). */
export function ProgressBar({ value, label, testId }: { value: number; label: string; testId?: string }) {
  const pct = Math.round(Math.max(0, Math.min(1, value)) * 1000) / 10;
  return (
    <div role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} className="h-2 overflow-hidden rounded-full bg-muted" data-testid={testId}>
      <div className="h-full rounded-full bg-primary transition-[width]" style={{ width: `${pct}%` }} />
    </div>
  );
}
