import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "@/api/client";
import type { components } from "@/api/schema";
import { usePermissions } from "@/auth/session";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { QueryStates } from "@/components/ui/query-states";
import { useToast } from "@/components/ui/toast";
import { useI18n, type MessageKey } from "@/i18n";
import { MODELS } from "./Attribution";

type Settings = components["schemas"]["AnalyticsSettingsIn"];
const KEY = ["analytics", "settings"];

/** The organization's analytics settings: the Overview's attribution model, lookback and
 * half-life (admins change them; everyone else sees them). */
export function AttributionSettings() {
  const { t } = useI18n();
  const settings = useQuery({ queryKey: KEY, queryFn: () => unwrap(api.GET("/api/analytics/settings")) });
  return (
    <Card data-testid="attribution-settings">
      <CardHeader>
        <CardTitle className="text-base">{t("analytics.settings.title")}</CardTitle>
      </CardHeader>
      <CardContent>
        <QueryStates query={settings}>{(data) => <SettingsForm key={JSON.stringify(data)} saved={data} />}</QueryStates>
      </CardContent>
    </Card>
  );
}

function SettingsForm({ saved }: { saved: Settings }) {
  const { t } = useI18n();
  const { toast } = useToast();
  const can = usePermissions();
  const qc = useQueryClient();
  const [draft, setDraft] = useState<Settings>({ overview_model: saved.overview_model, lookback_days: saved.lookback_days, half_life_days: saved.half_life_days });
  const save = useMutation({
    mutationFn: (body: Settings) => unwrap(api.PUT("/api/analytics/settings", { body })),
    onSuccess: (next) => {
      qc.setQueryData(KEY, next);
      void qc.invalidateQueries({ queryKey: ["analytics", "overview"] });
      toast(t("common.saved"));
    },
  });
  const admin = can("analytics:admin");
  return (
    <form
      className="flex flex-wrap items-end gap-3"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(draft);
      }}
    >
      <label className="grid gap-1 text-sm">
        <span className="font-medium">{t("analytics.settings.overviewModel")}</span>
        <NativeSelect value={draft.overview_model} disabled={!admin} onChange={(e) => setDraft({ ...draft, overview_model: e.target.value as Settings["overview_model"] })}>
          {MODELS.map((model) => (
            <option key={model} value={model}>
              {t(`analytics.model.${model}` as MessageKey)}
            </option>
          ))}
        </NativeSelect>
      </label>
      <label className="grid gap-1 text-sm">
        <span className="font-medium">{t("analytics.settings.lookback")}</span>
        <Input type="number" min={1} max={365} className="w-28" value={draft.lookback_days} disabled={!admin} onChange={(e) => setDraft({ ...draft, lookback_days: Number(e.target.value) })} />
      </label>
      <label className="grid gap-1 text-sm">
        <span className="font-medium">{t("analytics.settings.halfLife")}</span>
        <Input type="number" min={0.1} max={365} step={0.1} className="w-28" value={draft.half_life_days} disabled={!admin} onChange={(e) => setDraft({ ...draft, half_life_days: Number(e.target.value) })} />
      </label>
      {admin ? (
        <Button type="submit" size="sm" disabled={save.isPending}>
          {save.isPending ? t("common.saving") : t("common.save")}
        </Button>
      ) : (
        <p className="text-xs text-muted-foreground">{t("analytics.settings.adminOnly")}</p>
      )}
      {save.error ? <p role="alert" className="w-full text-sm text-destructive">{t("analytics.settings.invalid")}</p> : null}
    </form>
  );
}
