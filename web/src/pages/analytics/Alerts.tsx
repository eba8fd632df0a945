import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Pencil, Play, Plus } from "lucide-react";
import { useState } from "react";
import { api, unwrap, type paths } from "@/api/client";
import { usePermissions } from "@/auth/session";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { FormDialog } from "@/components/ui/form-dialog";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { QueryStates } from "@/components/ui/query-states";
import { DeleteButton } from "@/components/ui/row-actions";
import { SortableTable, type SortableColumn } from "@/components/ui/sortable-table";
import { useToast } from "@/components/ui/toast";
import { useI18n, type Locale, type MessageKey, type TFunction } from "@/i18n";
import { errorMessage } from "@/lib/errors";
import { formatDate, formatDateTime, formatNumber } from "@/lib/format";
import { platformName } from "@/pages/conversions/shared";
import { useMembers } from "@/pages/crm/members";
import { SPEND_PLATFORMS } from "@/pages/settings/spend/types";

type Json<T> = T extends { content: { "application/json": infer J } } ? J : never;
export type AlertRule = Json<paths["/api/analytics/alerts/rules"]["get"]["responses"][200]>[number];
export type AlertEvent = Json<paths["/api/analytics/alerts/events"]["get"]["responses"][200]>[number];
type RuleIn = NonNullable<paths["/api/analytics/alerts/rules"]["post"]["requestBody"]>["content"]["application/json"];
type Metric = Json<paths["/api/analytics/alerts/metrics"]["get"]["responses"][200]>[number];

const KEY = ["analytics", "alerts"] as const;
const NONE = "—";
const EMPTY_RULE: RuleIn = { name: "", metric: "real_roas", comparator: "below", threshold: "1.5", window_days: 3, scope: "all", email_recipients: [], is_active: true };

const metricName = (t: TFunction, metric: string | null | undefined) => (metric ? t(`alerts.metric.${metric}` as MessageKey) : NONE);

/** "Real ROAS below 1.5 for 3 day(s)": a rule as a sentence. */
export function ruleSentence(t: TFunction, locale: Locale, rule: { metric?: string | null; comparator?: string | null; threshold?: string | null; window_days?: number | null }): string {
  return t("alerts.rules.sentence", {
    metric: metricName(t, rule.metric),
    comparator: rule.comparator ? t(`alerts.comparator.${rule.comparator}` as MessageKey) : "",
    threshold: rule.threshold === null || rule.threshold === undefined ? NONE : formatNumber(Number(rule.threshold), locale, { maximumFractionDigits: 4 }),
    days: rule.window_days ?? NONE,
  });
}

function subjectText(t: TFunction, subject: Record<string, unknown>): string {
  if (subject.scope === "all") return t("alerts.subject.all");
  const name = (subject.campaign_name as string | null) ?? (subject.campaign_id as string);
  return `${platformName(String(subject.platform ?? ""))} · ${name}`;
}

function valuesText(t: TFunction, locale: Locale, figures: readonly Record<string, unknown>[]): string {
  return figures
    .map((f) => `${formatDate(String(f.day), locale)}: ${f.value === null || f.value === undefined ? t("alerts.value.none") : formatNumber(Number(f.value), locale, { maximumFractionDigits: 2 })}`)
    .join("; ");
}

/** "E-mail, opening: sent · Webhook, resolution: failed (No webhook credential.)". */
function deliveriesText(t: TFunction, event: AlertEvent): string {
  return (event.deliveries ?? [])
    .map((d) => {
      const channel = t(`alerts.channel.${String(d.channel ?? "webhook")}` as MessageKey);
      const line = `${channel}, ${t(`alerts.transition.${String(d.transition)}` as MessageKey)}: ${t(`alerts.deliveryStatus.${String(d.status)}` as MessageKey)}`;
      return d.status === "failed" && d.error ? `${line} (${String(d.error)})` : line;
    })
    .join(" · ");
}

export function historyColumns(t: TFunction, locale: Locale): SortableColumn<AlertEvent>[] {
  return [
    {
      id: "status",
      header: t("alerts.col.status"),
      value: (e) => t(`alerts.status.${e.status}` as MessageKey),
      render: (e) => <Badge variant={e.status === "open" ? "destructive" : "secondary"}>{t(`alerts.status.${e.status}` as MessageKey)}</Badge>,
    },
    { id: "rule", header: t("alerts.col.rule"), value: (e) => `${e.rule_name ?? NONE} — ${ruleSentence(t, locale, { ...e, window_days: e.figures.length })}` },
    { id: "subject", header: t("alerts.col.subject"), value: (e) => subjectText(t, e.subject) },
    { id: "values", header: t("alerts.col.values"), value: (e) => valuesText(t, locale, e.figures), render: (e) => <span className="block min-w-48 whitespace-normal text-xs">{valuesText(t, locale, e.figures)}</span> },
    { id: "opened", header: t("alerts.col.opened"), value: (e) => e.opened_at, render: (e) => formatDateTime(e.opened_at, locale) },
    { id: "resolved", header: t("alerts.col.resolved"), value: (e) => e.resolved_at ?? "", render: (e) => (e.resolved_at ? formatDateTime(e.resolved_at, locale) : NONE) },
    { id: "deliveries", header: t("alerts.col.deliveries"), value: (e) => deliveriesText(t, e), render: (e) => <span className="block min-w-40 whitespace-normal text-xs">{deliveriesText(t, e) || NONE}</span> },
  ];
}

function RuleForm({ initial, metrics, onClose }: { initial: AlertRule | null; metrics: Metric[]; onClose: () => void }) {
  const { t } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const [rule, setRule] = useState<RuleIn>(() =>
    initial
      ? { name: initial.name, metric: initial.metric, comparator: initial.comparator as RuleIn["comparator"], threshold: initial.threshold, window_days: initial.window_days, scope: initial.scope as RuleIn["scope"], platform: initial.platform as RuleIn["platform"], account_id: initial.account_id, campaign_id: initial.campaign_id, daily_budget: initial.daily_budget, webhook_credential_id: initial.webhook_credential_id, email_recipients: initial.email_recipients, is_active: initial.is_active }
      : EMPTY_RULE,
  );
  const hooks = useQuery({ queryKey: ["credentials", "webhook"], queryFn: () => unwrap(api.GET("/api/credentials", { params: { query: { service: "webhook", page_size: 100 } } })) });
  const members = useMembers();
  const metric = metrics.find((m) => m.name === rule.metric);
  const recipients = rule.email_recipients ?? [];
  const toggleRecipient = (userId: string, on: boolean) => set({ email_recipients: on ? [...recipients, userId] : recipients.filter((id) => id !== userId) });
  const set = (changes: Partial<RuleIn>) => setRule((r) => ({ ...r, ...changes }));
  const save = useMutation({
    mutationFn: () => {
      const body: RuleIn = {
        ...rule,
        platform: rule.scope === "campaign" ? rule.platform : null,
        account_id: rule.scope === "campaign" ? rule.account_id || null : null,
        campaign_id: rule.scope === "campaign" ? rule.campaign_id : null,
        daily_budget: metric?.needs_budget ? rule.daily_budget : null,
        webhook_credential_id: rule.webhook_credential_id || null,
      };
      return initial
        ? unwrap(api.PUT("/api/analytics/alerts/rules/{rule_id}", { params: { path: { rule_id: initial.id } }, body }))
        : unwrap(api.POST("/api/analytics/alerts/rules", { body }));
    },
    onSuccess: () => {
      toast(t("alerts.rules.saved"));
      void qc.invalidateQueries({ queryKey: KEY });
      onClose();
    },
  });
  return (
    <FormDialog
      open
      onClose={onClose}
      title={initial ? t("alerts.rules.edit") : t("alerts.rules.add")}
      testId="rule-form"
      form={{ onSubmit: () => save.mutate(), submitLabel: t("common.save"), busy: save.isPending, error: save.error, disabled: !rule.name.trim(), submitTestId: "rule-save" }}
    >
      <Field label={t("alerts.field.name")}>{(p) => <Input {...p} value={rule.name} maxLength={120} onChange={(e) => set({ name: e.target.value })} />}</Field>
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label={t("alerts.field.metric")}>
          {(p) => (
            <NativeSelect {...p} value={rule.metric} onChange={(e) => set({ metric: e.target.value, scope: "all" })}>
              {metrics.map((m) => (
                <option key={m.name} value={m.name}>
                  {metricName(t, m.name)}
                </option>
              ))}
            </NativeSelect>
          )}
        </Field>
        <Field label={t("alerts.field.comparator")}>
          {(p) => (
            <NativeSelect {...p} value={rule.comparator} onChange={(e) => set({ comparator: e.target.value as RuleIn["comparator"] })}>
              <option value="below">{t("alerts.comparator.below")}</option>
              <option value="above">{t("alerts.comparator.above")}</option>
            </NativeSelect>
          )}
        </Field>
        <Field label={t("alerts.field.threshold")}>{(p) => <Input {...p} type="number" min={0} step="any" inputMode="decimal" value={rule.threshold} onChange={(e) => set({ threshold: e.target.value })} />}</Field>
        <Field label={t("alerts.field.window")}>{(p) => <Input {...p} type="number" min={1} max={30} value={rule.window_days ?? 3} onChange={(e) => set({ window_days: Number(e.target.value) })} />}</Field>
        {metric?.needs_budget ? (
          <Field label={t("alerts.field.budget")}>{(p) => <Input {...p} type="number" min={0} step="any" inputMode="decimal" value={rule.daily_budget ?? ""} onChange={(e) => set({ daily_budget: e.target.value || null })} />}</Field>
        ) : null}
        <Field label={t("alerts.field.scope")}>
          {(p) => (
            <NativeSelect {...p} value={rule.scope} onChange={(e) => set({ scope: e.target.value as RuleIn["scope"] })}>
              {(metric?.scopes ?? ["all"]).map((s) => (
                <option key={s} value={s}>
                  {t(`alerts.scope.${s}` as MessageKey)}
                </option>
              ))}
            </NativeSelect>
          )}
        </Field>
        {rule.scope === "campaign" ? (
          <>
            <Field label={t("alerts.field.platform")}>
              {(p) => (
                <NativeSelect {...p} value={rule.platform ?? ""} onChange={(e) => set({ platform: (e.target.value || null) as RuleIn["platform"] })}>
                  <option value="">{NONE}</option>
                  {SPEND_PLATFORMS.map((name) => (
                    <option key={name} value={name}>
                      {platformName(name)}
                    </option>
                  ))}
                </NativeSelect>
              )}
            </Field>
            <Field label={t("alerts.field.campaign")}>{(p) => <Input {...p} value={rule.campaign_id ?? ""} onChange={(e) => set({ campaign_id: e.target.value || null })} />}</Field>
          </>
        ) : null}
      </div>
      <Field label={t("alerts.field.webhook")}>
        {(p) => (
          <NativeSelect {...p} value={rule.webhook_credential_id ?? ""} onChange={(e) => set({ webhook_credential_id: e.target.value || null })}>
            <option value="">{t("alerts.field.noWebhook")}</option>
            {(hooks.data?.items ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </NativeSelect>
        )}
      </Field>
      <fieldset className="grid gap-1.5" data-testid="rule-recipients">
        <legend className="mb-1 text-sm font-medium">{t("alerts.field.recipients")}</legend>
        {members.map((m) => (
          <label key={m.user_id} className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={recipients.includes(m.user_id)} onChange={(e) => toggleRecipient(m.user_id, e.target.checked)} />
            {m.name}
          </label>
        ))}
        <p className="text-xs text-muted-foreground">{t("alerts.email")}</p>
      </fieldset>
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" checked={rule.is_active ?? true} onChange={(e) => set({ is_active: e.target.checked })} />
        {t("alerts.field.active")}
      </label>
    </FormDialog>
  );
}

/** Analytics → Alerts: the rules (admins add, edit, remove and check them now) and the firings' history. */
export default function Alerts() {
  const { t, locale } = useI18n();
  const can = usePermissions();
  const admin = can("analytics:admin");
  const { toast } = useToast();
  const qc = useQueryClient();
  const [editing, setEditing] = useState<AlertRule | "new" | null>(null);
  const metrics = useQuery({ queryKey: [...KEY, "metrics"], queryFn: () => unwrap(api.GET("/api/analytics/alerts/metrics")) });
  const rules = useQuery({ queryKey: [...KEY, "rules"], queryFn: () => unwrap(api.GET("/api/analytics/alerts/rules")) });
  const events = useQuery({ queryKey: [...KEY, "events"], queryFn: () => unwrap(api.GET("/api/analytics/alerts/events")) });
  const evaluate = useMutation({
    mutationFn: () => unwrap(api.POST("/api/analytics/alerts/evaluate")),
    onSuccess: (r) => {
      toast(t("alerts.rules.evaluated", { day: formatDate(r.as_of, locale), opened: r.opened, resolved: r.resolved }));
      void qc.invalidateQueries({ queryKey: KEY });
    },
    onError: (e) => toast(errorMessage(e, t), "error"),
  });
  const remove = useMutation({
    mutationFn: (rule: AlertRule) => unwrap(api.DELETE("/api/analytics/alerts/rules/{rule_id}", { params: { path: { rule_id: rule.id } } })),
    onSuccess: () => {
      toast(t("alerts.rules.deleted"));
      void qc.invalidateQueries({ queryKey: KEY });
    },
    onError: (e) => toast(errorMessage(e, t), "error"),
  });
  const addButton = admin ? (
    <Button size="sm" onClick={() => setEditing("new")} data-testid="rule-add">
      <Plus aria-hidden />
      {t("alerts.rules.add")}
    </Button>
  ) : null;
  return (
    <div className="grid gap-4" data-testid="alerts-page">
      <div>
        <h2 className="text-lg font-semibold">{t("alerts.title")}</h2>
        <p className="text-sm text-muted-foreground">{t("alerts.description")}</p>
      </div>
      <Card>
        <CardHeader className="flex flex-row flex-wrap items-start justify-between gap-2">
          <div className="grid gap-1">
            <CardTitle className="text-base">{t("alerts.rules")}</CardTitle>
            <CardDescription>{t("alerts.email")}</CardDescription>
          </div>
          <div className="flex flex-wrap gap-2">
            {admin && (rules.data?.length ?? 0) > 0 ? (
              <Button size="sm" variant="outline" onClick={() => evaluate.mutate()} disabled={evaluate.isPending} data-testid="rules-evaluate">
                <Play aria-hidden />
                {t("alerts.rules.evaluate")}
              </Button>
            ) : null}
            {addButton}
          </div>
        </CardHeader>
        <CardContent>
          <QueryStates query={rules} isEmpty={(d) => d.length === 0} empty={t("alerts.rules.empty")}>
            {(data) => (
              <ul className="grid gap-2" data-testid="rules">
                {data.map((rule) => (
                  <li key={rule.id} className="flex flex-wrap items-center gap-2 rounded border p-3 text-sm">
                    <span className="grid flex-1 gap-0.5">
                      <span className="font-medium">{rule.name}</span>
                      <span className="text-muted-foreground">
                        {ruleSentence(t, locale, rule)} · {t(`alerts.scope.${rule.scope}` as MessageKey)}
                        {rule.campaign_id ? ` (${platformName(rule.platform ?? "")} ${rule.campaign_id})` : ""}
                      </span>
                    </span>
                    {rule.open_alerts ? <Badge variant="destructive">{t("alerts.rules.open", { count: rule.open_alerts })}</Badge> : null}
                    {rule.webhook_credential_id ? <Badge variant="secondary">{t("alerts.rules.webhook")}</Badge> : null}
                    {rule.email_recipients.length ? <Badge variant="secondary">{t("alerts.rules.email", { count: rule.email_recipients.length })}</Badge> : null}
                    {!rule.is_active ? <Badge variant="outline">{t("alerts.rules.paused")}</Badge> : null}
                    {admin ? (
                      <>
                        <Button variant="ghost" size="icon" aria-label={`${t("common.edit")} ${rule.name}`} onClick={() => setEditing(rule)}>
                          <Pencil aria-hidden />
                        </Button>
                        <DeleteButton name={rule.name} title={t("common.delete")} description={t("alerts.rules.deleteConfirm", { name: rule.name })} onConfirm={() => remove.mutateAsync(rule)} />
                      </>
                    ) : null}
                  </li>
                ))}
              </ul>
            )}
          </QueryStates>
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle className="text-base">{t("alerts.history")}</CardTitle>
        </CardHeader>
        <CardContent className="overflow-x-auto">
          <QueryStates query={events} isEmpty={(d) => d.length === 0} empty={t("alerts.history.empty")}>
            {(data) => <SortableTable columns={historyColumns(t, locale)} rows={data} rowKey={(e) => e.id} csvFilename="alerts" testId="alert-history" />}
          </QueryStates>
        </CardContent>
      </Card>
      {editing !== null && metrics.data ? <RuleForm initial={editing === "new" ? null : editing} metrics={metrics.data} onClose={() => setEditing(null)} /> : null}
    </div>
  );
}
