import { useMe } from "@/auth/session";
import { Badge } from "@/components/ui/badge";
import { useI18n, type MessageKey } from "@/i18n";
import { formatMoney } from "@/lib/format";
import { cn } from "@/lib/utils";
import { STAGES, type Score, type Stage } from "./types";

/** An API decimal ("1234.50", a number or null) as a number, or null. */
export function toAmount(value: string | number | null | undefined): number | null {
  if (value === null || value === undefined || value === "") return null;
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

/** A decimal amount in `currency` (the organization's when not given), or the dash when absent. */
export function Money({ value, currency }: { value: string | number | null | undefined; currency?: string }) {
  const { t, locale } = useI18n();
  const home = useMe().data?.organization.currency ?? "BRL";
  const n = toAmount(value);
  return <span className="tabular-nums">{n === null ? t("crm.none") : formatMoney(n, locale, currency ?? home)}</span>;
}

export const stageKey = (stage: string): MessageKey => `crm.stage.${stage}` as MessageKey;

const STAGE_COLORS: Record<Stage, string> = {
  new: "bg-sky-500/15 text-sky-700 dark:text-sky-300",
  qualified: "bg-indigo-500/15 text-indigo-700 dark:text-indigo-300",
  proposal: "bg-violet-500/15 text-violet-700 dark:text-violet-300",
  negotiation: "bg-amber-500/15 text-amber-700 dark:text-amber-300",
  won: "bg-success/15 text-success",
  lost: "bg-destructive/15 text-destructive",
};

/** The `<option>`s of every pipeline stage, in pipeline order, for a stage `<select>`. */
export function StageOptions() {
  const { t } = useI18n();
  return (
    <>
      {STAGES.map((s) => (
        <option key={s} value={s}>
          {t(stageKey(s))}
        </option>
      ))}
    </>
  );
}

export function StageBadge({ stage }: { stage: Stage }) {
  const { t } = useI18n();
  return (
    <Badge variant="outline" className={cn("whitespace-nowrap border-transparent", STAGE_COLORS[stage])} data-testid="stage-badge">
      {t(stageKey(stage))}
    </Badge>
  );
}

const SCORE_COLORS: Record<Score, string> = {
  A: "bg-success/15 text-success",
  B: "bg-sky-500/15 text-sky-700 dark:text-sky-300",
  C: "bg-amber-500/15 text-amber-700 dark:text-amber-300",
  D: "bg-muted text-muted-foreground",
};

/** The A–D score as a round chip; its label reads "Score A". */
export function ScoreChip({ score, className }: { score: Score; className?: string }) {
  const { t } = useI18n();
  return (
    <span
      className={cn("inline-flex h-6 w-6 shrink-0 items-center justify-center rounded-full text-xs font-bold", SCORE_COLORS[score], className)}
      title={t("crm.score.label", { score })}
      aria-label={t("crm.score.label", { score })}
      data-testid="score-chip"
    >
      {score}
    </span>
  );
}

/** A push or delivery status (success / failed / pending / review …) as a colored chip. */
export function StatusChip({ status }: { status: string }) {
  const { t } = useI18n();
  const variant = status === "success" || status === "applied" ? "success" : status === "failed" ? "destructive" : status === "pending" || status === "review" ? "default" : "secondary";
  const key = `crm.status.${status}` as MessageKey;
  const label = t(key);
  return (
    <Badge variant={variant} data-testid="status-chip">
      {label === key ? status : label}
    </Badge>
  );
}
