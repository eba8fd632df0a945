import { X } from "lucide-react";
import { useEffect, useState } from "react";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { NativeSelect } from "@/components/ui/native-select";
import { useI18n } from "@/i18n";
import { activeFilterCount, NO_FILTERS, type ConversionFilters } from "./filters";
import { platformName, syncStatusKey } from "./shared";
import { PLATFORMS, SYNC_STATUSES, type Platform, type SyncStatus } from "./types";

/** The filter bar of the conversion list: selects and dates go up at once, the campaign after a pause. */
export function ConversionFiltersBar({ filters, onChange }: { filters: ConversionFilters; onChange: (next: ConversionFilters) => void }) {
  const { t } = useI18n();
  const [campaign, setCampaign] = useState(filters.campaign ?? "");

  useEffect(() => setCampaign(filters.campaign ?? ""), [filters.campaign]);
  useEffect(() => {
    const wanted = campaign.trim() || null;
    if (wanted === filters.campaign) return;
    const id = setTimeout(() => onChange({ ...filters, campaign: wanted }), 300);
    return () => clearTimeout(id);
  }, [campaign, filters, onChange]);

  const set = <K extends keyof ConversionFilters>(key: K, value: ConversionFilters[K]) => onChange({ ...filters, [key]: value });

  return (
    <form role="search" aria-label={t("conversions.filters.label")} className="grid gap-3 rounded-lg border p-3 sm:grid-cols-2 lg:grid-cols-5" onSubmit={(e) => e.preventDefault()}>
      <div className="grid gap-1.5">
        <Label htmlFor="conversion-status">{t("conversions.filters.status")}</Label>
        <NativeSelect id="conversion-status" value={filters.status ?? ""} onChange={(e) => set("status", (e.target.value || null) as SyncStatus | null)}>
          <option value="">{t("conversions.filters.any")}</option>
          {SYNC_STATUSES.map((s) => (
            <option key={s} value={s}>
              {t(syncStatusKey(s))}
            </option>
          ))}
        </NativeSelect>
      </div>
      <div className="grid gap-1.5">
        <Label htmlFor="conversion-platform">{t("conversions.filters.platform")}</Label>
        <NativeSelect id="conversion-platform" value={filters.platform ?? ""} onChange={(e) => set("platform", (e.target.value || null) as Platform | null)}>
          <option value="">{t("conversions.filters.any")}</option>
          {PLATFORMS.map((p) => (
            <option key={p} value={p}>
              {platformName(p)}
            </option>
          ))}
        </NativeSelect>
      </div>
      <div className="grid gap-1.5">
        <Label htmlFor="conversion-campaign">{t("conversions.filters.campaign")}</Label>
        <Input id="conversion-campaign" value={campaign} onChange={(e) => setCampaign(e.target.value)} maxLength={255} />
      </div>
      <div className="grid gap-1.5">
        <Label htmlFor="conversion-from">{t("conversions.filters.from")}</Label>
        <Input id="conversion-from" type="date" value={filters.from ?? ""} max={filters.to ?? undefined} onChange={(e) => set("from", e.target.value || null)} />
      </div>
      <div className="grid gap-1.5">
        <Label htmlFor="conversion-to">{t("conversions.filters.to")}</Label>
        <Input id="conversion-to" type="date" value={filters.to ?? ""} min={filters.from ?? undefined} onChange={(e) => set("to", e.target.value || null)} />
      </div>
      {filters.status && !filters.platform ? <p className="text-xs text-muted-foreground sm:col-span-2 lg:col-span-5">{t("conversions.filters.anyPlatformHint")}</p> : null}
      {activeFilterCount(filters) > 0 ? (
        <div className="flex flex-wrap items-center gap-2 sm:col-span-2 lg:col-span-5">
          {filters.leadId ? (
            <Button variant="outline" size="sm" onClick={() => set("leadId", null)} data-testid="lead-filter">
              {t("conversions.filters.oneLead")}
              <X aria-hidden />
              <span className="sr-only">{t("conversions.filters.removeLead")}</span>
            </Button>
          ) : null}
          <Button
            variant="ghost"
            size="sm"
            onClick={() => {
              setCampaign("");
              onChange(NO_FILTERS);
            }}
          >
            <X aria-hidden />
            {t("conversions.filters.clear")}
          </Button>
        </div>
      ) : null}
    </form>
  );
}
