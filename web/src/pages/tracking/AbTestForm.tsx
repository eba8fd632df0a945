import { useId, useState, type FormEvent } from "react";
import { Checkbox } from "@/components/ui/checkbox";
import { Field } from "@/components/ui/field";
import { FormActions } from "@/components/ui/form-dialog";
import { Input } from "@/components/ui/input";
import { useI18n, type MessageKey } from "@/i18n";
import { formatPercent } from "@/lib/format";
import type { AbTestCreate, LandingPage } from "./types";

interface Row {
  page: LandingPage;
  included: boolean;
  name: string;
  weight: string;
}

/** Each weight's share of the total, 0 when the total is 0. */
export function weightShares(weights: number[]): number[] {
  const total = weights.reduce((s, w) => s + (Number.isFinite(w) && w > 0 ? w : 0), 0);
  return weights.map((w) => (total > 0 && Number.isFinite(w) && w > 0 ? w / total : 0));
}

export function abTestProblem(rows: { included: boolean; name: string; weight: string; control: boolean }[]): MessageKey | null {
  const inc = rows.filter((r) => r.included);
  if (inc.length < 2) return "tracking.ab.needTwo";
  if (inc.length > 20) return "tracking.ab.tooMany";
  if (inc.filter((r) => r.control).length !== 1) return "tracking.ab.needControl";
  if (inc.some((r) => r.name.trim() === "")) return "tracking.ab.needNames";
  if (!inc.some((r) => Number(r.weight) > 0)) return "tracking.ab.needWeight";
  return null;
}

/** Create an A/B test from 2+ landing pages of a domain: variant names, weights, one control. */
export function AbTestForm({
  domainId,
  pages,
  onSubmit,
  onCancel,
  error,
  busy,
}: {
  domainId: string;
  pages: LandingPage[];
  onSubmit: (body: AbTestCreate) => void;
  onCancel: () => void;
  error?: unknown;
  busy?: boolean;
}) {
  const { t, locale } = useI18n();
  const id = useId();
  const [name, setName] = useState("");
  const [rows, setRows] = useState<Row[]>(() =>
    pages.map((p, i) => ({ page: p, included: false, name: p.page_variant ?? String.fromCharCode(65 + (i % 26)), weight: String(p.variant_weight || 1) })),
  );
  const [control, setControl] = useState<string | null>(pages[0]?.page_id ?? null);
  const [showProblem, setShowProblem] = useState(false);

  const withControl = rows.map((r) => ({ ...r, control: r.page.page_id === control }));
  const problem = name.trim() === "" ? null : abTestProblem(withControl);
  const shares = weightShares(rows.map((r) => (r.included ? Number(r.weight) : 0)));
  const update = (i: number, patch: Partial<Row>) => setRows((prev) => prev.map((r, j) => (j === i ? { ...r, ...patch } : r)));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setShowProblem(true);
    if (name.trim() === "" || problem) return;
    onSubmit({
      domain_id: domainId,
      name: name.trim(),
      variants: withControl
        .filter((r) => r.included)
        .map((r) => ({ page_id: r.page.page_id, page_variant: r.name.trim(), is_control: r.control, variant_weight: Number(r.weight) })),
    });
  };

  return (
    <form onSubmit={submit} noValidate className="grid gap-4" aria-label={t("tracking.ab.createTitle")}>
      <Field label={t("tracking.ab.name")}>
        {(p) => <Input {...p} name="ab_test_name" value={name} onChange={(e) => setName(e.target.value)} maxLength={255} required />}
      </Field>
      <fieldset className="grid gap-2">
        <legend className="mb-1 text-sm font-medium">{t("tracking.ab.variants")}</legend>
        {rows.map((r, i) => (
          <div key={r.page.page_id} className="grid gap-2 rounded-md border p-3 sm:grid-cols-[auto_1fr_8rem_6rem_5rem] sm:items-center" data-testid="ab-row">
            <Checkbox
              checked={r.included}
              onCheckedChange={(c) => update(i, { included: c === true })}
              aria-label={t("tracking.ab.include", { name: r.page.page_name })}
            />
            <div className="min-w-0">
              <div className="break-words text-sm font-medium">{r.page.page_name}</div>
              <div className="break-all text-xs text-muted-foreground">{r.page.page_url}</div>
            </div>
            <Input aria-label={`${t("tracking.ab.variantName")} — ${r.page.page_name}`} value={r.name} maxLength={50} disabled={!r.included} onChange={(e) => update(i, { name: e.target.value })} />
            <Input
              aria-label={`${t("tracking.lp.weight")} — ${r.page.page_name}`}
              type="number"
              min={0}
              max={1000}
              value={r.weight}
              disabled={!r.included}
              onChange={(e) => update(i, { weight: e.target.value })}
            />
            <div className="flex items-center justify-between gap-2 sm:flex-col sm:items-end">
              <label className="flex items-center gap-1.5 text-xs">
                <input type="radio" name={`${id}-control`} checked={control === r.page.page_id} onChange={() => setControl(r.page.page_id)} disabled={!r.included} />
                {t("tracking.lp.control")}
              </label>
              <span className="text-xs tabular-nums text-muted-foreground" title={t("tracking.ab.share")}>
                {r.included ? formatPercent(shares[i] ?? 0, locale) : ""}
              </span>
            </div>
          </div>
        ))}
      </fieldset>
      {showProblem && problem ? (
        <p role="alert" className="text-sm text-destructive">
          {t(problem)}
        </p>
      ) : null}
      <FormActions onCancel={onCancel} submitLabel={t("common.create")} busy={busy} disabled={name.trim() === ""} error={error} submitTestId="ab-test-submit" />
    </form>
  );
}
