import { useQuery } from "@tanstack/react-query";
import { useEffect, useId, useState } from "react";
import { api, unwrap } from "@/api/client";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { useI18n } from "@/i18n";
import { cn } from "@/lib/utils";
import { ScoreChip, StageBadge } from "./shared";
import type { LeadSummary } from "./types";

/** Search leads by name, e-mail, company or phone (two characters or more) and pick one. */
export function LeadPicker({ value, onChange }: { value: LeadSummary | null; onChange: (lead: LeadSummary | null) => void }) {
  const { t } = useI18n();
  const id = useId();
  const [text, setText] = useState("");
  const [q, setQ] = useState("");
  useEffect(() => {
    const h = setTimeout(() => setQ(text.trim()), 250);
    return () => clearTimeout(h);
  }, [text]);
  const results = useQuery({
    queryKey: ["crm", "leads", "pick", q],
    queryFn: () => unwrap(api.GET("/api/leads", { params: { query: { q, page: 1, page_size: 8 } } })),
    enabled: q.length >= 2,
  });
  return (
    <div className="grid gap-2">
      <Label htmlFor={`${id}-q`}>{t("crm.picker.label")}</Label>
      <Input id={`${id}-q`} type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder={t("crm.filters.searchPlaceholder")} maxLength={100} autoComplete="off" />
      {q.length >= 2 ? (
        results.isPending ? (
          <p className="text-sm text-muted-foreground">{t("common.loading")}</p>
        ) : results.isError ? (
          <p className="text-sm text-destructive">{t("errors.unknown")}</p>
        ) : results.data.items.length === 0 ? (
          <p className="text-sm text-muted-foreground">{t("crm.picker.none")}</p>
        ) : (
          <ul role="listbox" aria-label={t("crm.picker.results")} className="grid max-h-64 gap-1 overflow-y-auto">
            {results.data.items.map((lead) => {
              const selected = value?.lead_id === lead.lead_id;
              return (
                <li key={lead.lead_id} role="option" aria-selected={selected}>
                  <button
                    type="button"
                    onClick={() => onChange(selected ? null : lead)}
                    className={cn("flex w-full items-center gap-2 rounded-md border px-3 py-2 text-left text-sm hover:bg-muted", selected && "border-primary bg-primary/5")}
                    data-testid="lead-pick"
                  >
                    <ScoreChip score={lead.lead_score} />
                    <span className="min-w-0 flex-1">
                      <span className="block break-words font-medium">{lead.name || lead.email || t("crm.lead.unnamed")}</span>
                      {lead.email ? <span className="block break-all text-xs text-muted-foreground">{lead.email}</span> : null}
                    </span>
                    <StageBadge stage={lead.current_stage} />
                  </button>
                </li>
              );
            })}
          </ul>
        )
      ) : (
        <p className="text-xs text-muted-foreground">{t("crm.picker.hint")}</p>
      )}
    </div>
  );
}
