import { Search, X } from "lucide-react";
import { useEffect, useState } from "react";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { NativeSelect } from "@/components/ui/native-select";
import { useI18n } from "@/i18n";
import { channelLabel } from "@/pages/analytics/channels";
import { activeFilterCount, NO_FILTERS, type LeadFilters } from "./filters";
import { OwnerOptions } from "./members";
import { StageOptions } from "./shared";
import { SCORES, type Score, type Stage } from "./types";

/** GA4 default channel groups, as the tracking module classifies sessions. */
export const CHANNELS = [
  "Paid Search",
  "Organic Search",
  "Paid Social",
  "Organic Social",
  "Paid Video",
  "Organic Video",
  "Paid Shopping",
  "Organic Shopping",
  "Display",
  "Email",
  "Referral",
  "Affiliates",
  "SMS",
  "Direct",
  "Cross-network",
  "Unassigned",
] as const;

/**
 * The filter bar of the lead list and the pipeline board (which has no stage filter: its
 * columns are the stages): every change goes up at once, the search after a pause.
 */
export function LeadFiltersBar({ filters, onChange, stages = true }: { filters: LeadFilters; onChange: (next: LeadFilters) => void; stages?: boolean }) {
  const { t } = useI18n();
  const [q, setQ] = useState(filters.q ?? "");

  useEffect(() => setQ(filters.q ?? ""), [filters.q]);
  useEffect(() => {
    const wanted = q.trim() || null;
    if (wanted === filters.q) return;
    const id = setTimeout(() => onChange({ ...filters, q: wanted }), 300);
    return () => clearTimeout(id);
  }, [q, filters, onChange]);

  const set = <K extends keyof LeadFilters>(key: K, value: LeadFilters[K]) => onChange({ ...filters, [key]: value });
  const one = <T extends string>(v: string): T[] => (v ? [v as T] : []);

  return (
    <form role="search" aria-label={t("crm.filters.label")} className="grid gap-3 rounded-lg border p-3 sm:grid-cols-2 lg:grid-cols-4" onSubmit={(e) => e.preventDefault()}>
      <div className="grid gap-1.5 sm:col-span-2 lg:col-span-4">
        <Label htmlFor="lead-q">{t("crm.filters.search")}</Label>
        <div className="relative">
          <Search className="pointer-events-none absolute left-3 top-3 h-4 w-4 text-muted-foreground" aria-hidden />
          <Input id="lead-q" type="search" className="pl-9" value={q} onChange={(e) => setQ(e.target.value)} placeholder={t("crm.filters.searchPlaceholder")} maxLength={100} />
        </div>
      </div>
      {stages ? (
        <div className="grid gap-1.5">
          <Label htmlFor="lead-stage">{t("crm.lead.stage")}</Label>
          <NativeSelect id="lead-stage" value={filters.stage[0] ?? ""} onChange={(e) => set("stage", one<Stage>(e.target.value))}>
            <option value="">{t("crm.filters.any")}</option>
            <StageOptions />
          </NativeSelect>
        </div>
      ) : null}
      <div className="grid gap-1.5">
        <Label htmlFor="lead-score">{t("crm.lead.score")}</Label>
        <NativeSelect id="lead-score" value={filters.score[0] ?? ""} onChange={(e) => set("score", one<Score>(e.target.value))}>
          <option value="">{t("crm.filters.any")}</option>
          {SCORES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </NativeSelect>
      </div>
      <div className="grid gap-1.5">
        <Label htmlFor="lead-channel">{t("crm.lead.channel")}</Label>
        <NativeSelect id="lead-channel" value={filters.channel ?? ""} onChange={(e) => set("channel", e.target.value || null)}>
          <option value="">{t("crm.filters.any")}</option>
          {CHANNELS.map((c) => (
            <option key={c} value={c}>
              {channelLabel(t, c)}
            </option>
          ))}
        </NativeSelect>
      </div>
      <div className="grid gap-1.5">
        <Label htmlFor="lead-owner">{t("crm.lead.owner")}</Label>
        <NativeSelect id="lead-owner" value={filters.ownerId ?? ""} onChange={(e) => set("ownerId", e.target.value || null)}>
          <option value="">{t("crm.filters.any")}</option>
          <OwnerOptions />
        </NativeSelect>
      </div>
      <div className="grid gap-1.5">
        <Label htmlFor="lead-source">{t("crm.lead.source")}</Label>
        <Input id="lead-source" value={filters.source ?? ""} onChange={(e) => set("source", e.target.value || null)} placeholder="google" maxLength={255} />
      </div>
      <div className="grid gap-1.5">
        <Label htmlFor="lead-campaign">{t("crm.lead.campaign")}</Label>
        <Input id="lead-campaign" value={filters.campaign ?? ""} onChange={(e) => set("campaign", e.target.value || null)} maxLength={255} />
      </div>
      <div className="grid gap-1.5">
        <Label htmlFor="lead-from">{t("crm.filters.from")}</Label>
        <Input id="lead-from" type="date" value={filters.from ?? ""} max={filters.to ?? undefined} onChange={(e) => set("from", e.target.value || null)} />
      </div>
      <div className="grid gap-1.5">
        <Label htmlFor="lead-to">{t("crm.filters.to")}</Label>
        <Input id="lead-to" type="date" value={filters.to ?? ""} min={filters.from ?? undefined} onChange={(e) => set("to", e.target.value || null)} />
      </div>
      {activeFilterCount(filters) > 0 ? (
        <div className="sm:col-span-2 lg:col-span-4">
          <Button
            variant="ghost"
            size="sm"
            onClick={() => {
              setQ("");
              onChange(NO_FILTERS);
            }}
          >
            <X aria-hidden />
            {t("crm.filters.clear")}
          </Button>
        </div>
      ) : null}
    </form>
  );
}
