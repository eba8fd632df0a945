import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Plus, Trash2 } from "lucide-react";
import { useState, type FormEvent } from "react";
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { api, unwrap } from "@/api/client";
import type { paths } from "@/api/schema";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { QueryStates } from "@/components/ui/query-states";
import { FormError } from "@/components/ui/states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useI18n } from "@/i18n";
import { formatNumber, formatPercent } from "@/lib/format";

type AbReport = paths["/api/email/campaigns/{campaign_id}/ab-test"]["get"]["responses"][200]["content"]["application/json"];
type AbTestIn = NonNullable<paths["/api/email/campaigns/{campaign_id}/ab-test"]["put"]["requestBody"]>["content"]["application/json"];

const MAX_SUBJECTS = 4;

/** What a test needs before it can be saved (2 to 4 distinct, non-empty subjects). */
export function subjectsProblem(subjects: string[]): "tooFew" | "duplicate" | null {
  const filled = subjects.map((s) => s.trim()).filter(Boolean);
  if (filled.length < 2) return "tooFew";
  if (new Set(filled).size !== filled.length) return "duplicate";
  return null;
}

function AbTestForm({ campaignId, onSaved }: { campaignId: string; onSaved: () => void }) {
  const { t } = useI18n();
  const [subjects, setSubjects] = useState(["", ""]);
  const [sample, setSample] = useState(20);
  const [metric, setMetric] = useState<"opens" | "clicks">("opens");
  const [wait, setWait] = useState(240);
  const problem = subjectsProblem(subjects);
  const save = useMutation({
    mutationFn: () => {
      const body: AbTestIn = { subjects: subjects.map((s) => s.trim()).filter(Boolean), sample_percent: sample, metric, wait_minutes: wait };
      return unwrap(api.PUT("/api/email/campaigns/{campaign_id}/ab-test", { params: { path: { campaign_id: campaignId } }, body }));
    },
    onSuccess: onSaved,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!problem) save.mutate();
  };
  return (
    <form className="grid gap-3" onSubmit={submit} data-testid="ab-test-form">
      {subjects.map((subject, i) => (
        <div key={i} className="flex items-end gap-2">
          <div className="grow">
            <Field label={t("emailAb.subject", { n: i + 1 })}>
              {(ids) => <Input {...ids} value={subject} maxLength={300} onChange={(e) => setSubjects((prev) => prev.map((s, j) => (j === i ? e.target.value : s)))} />}
            </Field>
          </div>
          {subjects.length > 2 ? (
            <Button variant="ghost" size="icon" aria-label={t("emailAb.removeSubject", { n: i + 1 })} onClick={() => setSubjects((prev) => prev.filter((_, j) => j !== i))}>
              <Trash2 aria-hidden />
            </Button>
          ) : null}
        </div>
      ))}
      {subjects.length < MAX_SUBJECTS ? (
        <div>
          <Button variant="outline" size="sm" onClick={() => setSubjects((prev) => [...prev, ""])}>
            <Plus aria-hidden />
            {t("emailAb.addSubject")}
          </Button>
        </div>
      ) : null}
      <div className="grid gap-3 sm:grid-cols-3">
        <Field label={t("emailAb.sample")}>
          {(ids) => <Input {...ids} type="number" min={1} max={100} value={sample} onChange={(e) => setSample(Number(e.target.value))} />}
        </Field>
        <Field label={t("emailAb.metric")}>
          {(ids) => (
            <NativeSelect {...ids} value={metric} onChange={(e) => setMetric(e.target.value === "clicks" ? "clicks" : "opens")}>
              <option value="opens">{t("emailAb.metric.opens")}</option>
              <option value="clicks">{t("emailAb.metric.clicks")}</option>
            </NativeSelect>
          )}
        </Field>
        <Field label={t("emailAb.wait")}>
          {(ids) => <Input {...ids} type="number" min={1} max={10080} value={wait} onChange={(e) => setWait(Number(e.target.value))} />}
        </Field>
      </div>
      {problem ? <p className="text-xs text-muted-foreground">{t(`emailAb.problem.${problem}`)}</p> : null}
      <FormError error={save.error} />
      <div>
        <Button type="submit" disabled={problem !== null || save.isPending}>
          {t("emailAb.save")}
        </Button>
      </div>
    </form>
  );
}

function VariantResults({ report }: { report: AbReport }) {
  const { t, locale } = useI18n();
  const metric = report.metric ?? "opens";
  const points = report.variants.map((v) => ({
    name: String.fromCharCode(65 + v.variant),
    rate: Math.round(((metric === "clicks" ? v.click_rate : v.open_rate) ?? 0) * 1000) / 10,
  }));
  return (
    <div className="grid gap-3">
      <p className="text-sm text-muted-foreground" data-testid="ab-summary">
        {report.winner !== null
          ? t("emailAb.decided", { variant: String.fromCharCode(65 + report.winner) })
          : t("emailAb.waiting", { held: formatNumber(report.held, locale), sample: report.sample_percent ?? 0, wait: report.wait_minutes ?? 0 })}
      </p>
      <div className="h-48">
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={points}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="name" />
            <YAxis unit="%" />
            <Tooltip />
            <Bar dataKey="rate" name={t(`emailAb.rate.${metric}`)} fill="hsl(var(--primary))" />
          </BarChart>
        </ResponsiveContainer>
      </div>
      <div className="overflow-x-auto">
        <Table aria-label={t("emailAb.table")}>
          <THead>
            <TR>
              <TH>{t("emailAb.col.variant")}</TH>
              <TH className="text-right">{t("emailAb.col.sent")}</TH>
              <TH className="text-right">{t("emailAb.col.opens")}</TH>
              <TH className="text-right">{t("emailAb.col.clicks")}</TH>
              <TH className="text-right">{t(`emailAb.rate.${metric}`)}</TH>
            </TR>
          </THead>
          <TBody>
            {report.variants.map((v) => {
              const rate = metric === "clicks" ? v.click_rate : v.open_rate;
              return (
                <TR key={v.variant} data-testid="ab-variant">
                  <TD className="max-w-[20rem] break-words">
                    <span className="mr-2 font-semibold">{String.fromCharCode(65 + v.variant)}</span>
                    {v.subject}
                    {v.winner ? (
                      <Badge variant="success" className="ml-2">
                        {t("emailAb.winner")}
                      </Badge>
                    ) : null}
                  </TD>
                  <TD className="text-right tabular-nums">{formatNumber(v.sent, locale)}</TD>
                  <TD className="text-right tabular-nums">{formatNumber(v.opens, locale)}</TD>
                  <TD className="text-right tabular-nums">{formatNumber(v.clicks, locale)}</TD>
                  <TD className="text-right tabular-nums">{rate === null ? "—" : formatPercent(rate, locale)}</TD>
                </TR>
              );
            })}
          </TBody>
        </Table>
      </div>
    </div>
  );
}

/**
 * A campaign's A/B subject test, for the campaign editor to mount: set it while the
 * campaign is a draft (`editable`), then follow the figures per variant and the winner.
 */
export function AbTestPanel({ campaignId, editable }: { campaignId: string; editable: boolean }) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const key = ["email", "campaigns", campaignId, "ab-test"];
  const report = useQuery({
    queryKey: key,
    queryFn: () => unwrap(api.GET("/api/email/campaigns/{campaign_id}/ab-test", { params: { path: { campaign_id: campaignId } } })),
  });
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: key });
    void qc.invalidateQueries({ queryKey: ["email", "campaigns"] });
  };
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/email/campaigns/{campaign_id}/ab-test", { params: { path: { campaign_id: campaignId } } })),
    onSuccess: refresh,
  });
  return (
    <Card data-testid="ab-test-panel">
      <CardHeader>
        <CardTitle className="text-base">{t("emailAb.title")}</CardTitle>
        <CardDescription>{t("emailAb.description")}</CardDescription>
      </CardHeader>
      <CardContent>
        <QueryStates query={report}>
          {(data) =>
            data.variants.length === 0 ? (
              editable ? (
                <AbTestForm campaignId={campaignId} onSaved={refresh} />
              ) : (
                <p className="text-sm text-muted-foreground">{t("emailAb.none")}</p>
              )
            ) : (
              <div className="grid gap-3">
                <VariantResults report={data} />
                {editable ? (
                  <div>
                    <Button variant="outline" size="sm" onClick={() => remove.mutate()} disabled={remove.isPending}>
                      {t("emailAb.remove")}
                    </Button>
                    <FormError error={remove.error} />
                  </div>
                ) : null}
              </div>
            )
          }
        </QueryStates>
      </CardContent>
    </Card>
  );
}
