import { useQuery } from "@tanstack/react-query";
import { SlidersHorizontal, X } from "lucide-react";
import { useEffect, useState } from "react";
import { api, unwrap } from "@/api/client";
import { usePermissions } from "@/auth/session";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { NativeSelect } from "@/components/ui/native-select";
import { useI18n, type MessageKey } from "@/i18n";
import { channelLabel } from "./channels";
import {
  activeFilterCount,
  CHANNELS,
  COMPARES,
  DEFAULT_PRESET,
  DEVICES,
  PRESETS,
  TEXT_FILTERS,
  useReportFilters,
  type Channel,
  type Compare,
  type Device,
  type Preset,
  type TextFilter,
} from "./filters";

const ALL = 200;
const CUSTOM = "custom";
const TEXT_LABELS: Record<TextFilter, MessageKey> = {
  source: "analytics.filters.source",
  medium: "analytics.filters.medium",
  campaign: "analytics.filters.campaign",
  content: "analytics.filters.content",
  term: "analytics.filters.term",
};

function isoDay(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** A text filter that reaches the URL after a pause in typing (one history entry per word, not per key). */
function TextFilterInput({ name, value, onChange }: { name: TextFilter; value: string | null; onChange: (value: string | null) => void }) {
  const { t } = useI18n();
  const [text, setText] = useState(value ?? "");
  useEffect(() => setText(value ?? ""), [value]);
  useEffect(() => {
    const wanted = text.trim() || null;
    if (wanted === value) return;
    const id = setTimeout(() => onChange(wanted), 400);
    return () => clearTimeout(id);
  }, [text, value, onChange]);
  return (
    <div className="grid gap-1.5">
      <Label htmlFor={`report-${name}`}>{t(TEXT_LABELS[name])}</Label>
      <Input id={`report-${name}`} value={text} onChange={(e) => setText(e.target.value)} maxLength={255} data-testid={`filter-${name}`} />
    </div>
  );
}

/**
 * The filter bar of every report: period (preset or custom days), comparison, and the
 * dimensions of a visit. It reads and writes the URL (`useReportFilters`), so the page
 * that renders it sees the same filters.
 */
export function ReportFilterBar() {
  const { t } = useI18n();
  const can = usePermissions();
  const { filters, setFilter, setFilters, reset } = useReportFilters();
  const active = activeFilterCount(filters);
  // Open when a filter behind "More filters" narrows the data, so it is never hidden.
  const [expanded, setExpanded] = useState(() => active > (filters.channel ? 1 : 0));
  const canTracking = can("tracking:read");
  const domains = useQuery({
    queryKey: ["domains", "all"],
    queryFn: () => unwrap(api.GET("/api/domains", { params: { query: { page: 1, page_size: ALL } } })),
    enabled: canTracking,
    staleTime: 5 * 60_000,
  });
  const landingPages = useQuery({
    queryKey: ["landing-pages", "all", filters.domainId],
    queryFn: () => unwrap(api.GET("/api/landing-pages", { params: { query: { domain_id: filters.domainId, page: 1, page_size: ALL } } })),
    enabled: canTracking,
    staleTime: 5 * 60_000,
  });
  const custom = filters.preset === null;

  const choosePeriod = (value: string) => {
    if (value === CUSTOM) {
      // Start the custom range from the last 30 days, which the user then edits.
      const today = new Date();
      const from = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 29);
      setFilters({ ...filters, preset: null, dateFrom: isoDay(from), dateTo: isoDay(today) });
    } else {
      setFilter("preset", value as Preset);
    }
  };

  return (
    <form role="search" aria-label={t("analytics.filters.label")} className="grid gap-3 rounded-lg border p-3" onSubmit={(e) => e.preventDefault()}>
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4">
        <div className="grid gap-1.5">
          <Label htmlFor="report-period">{t("analytics.filters.period")}</Label>
          <NativeSelect id="report-period" value={filters.preset ?? CUSTOM} onChange={(e) => choosePeriod(e.target.value)} data-testid="filter-period">
            {PRESETS.map((p) => (
              <option key={p} value={p}>
                {t(`analytics.preset.${p}`)}
              </option>
            ))}
            <option value={CUSTOM}>{t("analytics.filters.custom")}</option>
          </NativeSelect>
        </div>
        {custom ? (
          <>
            <div className="grid gap-1.5">
              <Label htmlFor="report-from">{t("analytics.filters.from")}</Label>
              <Input id="report-from" type="date" value={filters.dateFrom ?? ""} max={filters.dateTo ?? undefined} onChange={(e) => setFilter("dateFrom", e.target.value || null)} data-testid="filter-from" />
            </div>
            <div className="grid gap-1.5">
              <Label htmlFor="report-to">{t("analytics.filters.to")}</Label>
              <Input id="report-to" type="date" value={filters.dateTo ?? ""} min={filters.dateFrom ?? undefined} onChange={(e) => setFilter("dateTo", e.target.value || null)} data-testid="filter-to" />
            </div>
          </>
        ) : null}
        <div className="grid gap-1.5">
          <Label htmlFor="report-compare">{t("analytics.filters.compare")}</Label>
          <NativeSelect id="report-compare" value={filters.compare} onChange={(e) => setFilter("compare", e.target.value as Compare)} data-testid="filter-compare">
            {COMPARES.map((c) => (
              <option key={c} value={c}>
                {t(`analytics.compare.${c}`)}
              </option>
            ))}
          </NativeSelect>
        </div>
        <div className="grid gap-1.5">
          <Label htmlFor="report-channel">{t("analytics.filters.channel")}</Label>
          <NativeSelect id="report-channel" value={filters.channel ?? ""} onChange={(e) => setFilter("channel", (e.target.value || null) as Channel | null)} data-testid="filter-channel">
            <option value="">{t("analytics.filters.any")}</option>
            {CHANNELS.map((c) => (
              <option key={c} value={c}>
                {channelLabel(t, c)}
              </option>
            ))}
          </NativeSelect>
        </div>
      </div>
      <div className="flex flex-wrap items-center gap-2">
        <Button variant="ghost" size="sm" aria-expanded={expanded} aria-controls="report-more-filters" onClick={() => setExpanded((v) => !v)} data-testid="filter-more">
          <SlidersHorizontal aria-hidden />
          {expanded ? t("analytics.filters.fewer") : t("analytics.filters.more")}
          {active > 0 ? <span className="text-muted-foreground">({t("analytics.filters.active", { count: active })})</span> : null}
        </Button>
        {active > 0 || filters.compare !== "none" || filters.preset !== DEFAULT_PRESET ? (
          <Button variant="ghost" size="sm" onClick={reset} data-testid="filter-clear">
            <X aria-hidden />
            {t("analytics.filters.clear")}
          </Button>
        ) : null}
      </div>
      {expanded ? (
        <div id="report-more-filters" className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4">
          {canTracking ? (
            <>
              <div className="grid gap-1.5">
                <Label htmlFor="report-domain">{t("analytics.filters.domain")}</Label>
                <NativeSelect id="report-domain" value={filters.domainId ?? ""} onChange={(e) => setFilter("domainId", e.target.value || null)} data-testid="filter-domain">
                  <option value="">{t("analytics.filters.any")}</option>
                  {(domains.data?.items ?? []).map((d) => (
                    <option key={d.domain_id} value={d.domain_id}>
                      {d.domain_name}
                    </option>
                  ))}
                </NativeSelect>
              </div>
              <div className="grid gap-1.5">
                <Label htmlFor="report-landing-page">{t("analytics.filters.landingPage")}</Label>
                <NativeSelect id="report-landing-page" value={filters.landingPageId ?? ""} onChange={(e) => setFilter("landingPageId", e.target.value || null)} data-testid="filter-landing-page">
                  <option value="">{t("analytics.filters.any")}</option>
                  {(landingPages.data?.items ?? []).map((p) => (
                    <option key={p.page_id} value={p.page_id}>
                      {p.page_variant ? `${p.page_name} (${p.page_variant})` : p.page_name}
                    </option>
                  ))}
                </NativeSelect>
              </div>
            </>
          ) : null}
          <div className="grid gap-1.5">
            <Label htmlFor="report-device">{t("analytics.filters.device")}</Label>
            <NativeSelect id="report-device" value={filters.device ?? ""} onChange={(e) => setFilter("device", (e.target.value || null) as Device | null)} data-testid="filter-device">
              <option value="">{t("analytics.filters.any")}</option>
              {DEVICES.map((d) => (
                <option key={d} value={d}>
                  {t(`analytics.device.${d}`)}
                </option>
              ))}
            </NativeSelect>
          </div>
          {TEXT_FILTERS.map((name) => (
            <TextFilterInput key={name} name={name} value={filters[name]} onChange={(value) => setFilter(name, value)} />
          ))}
        </div>
      ) : null}
    </form>
  );
}
