import type { ReactNode } from "react";
import { Checkbox } from "@/components/ui/checkbox";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { Textarea } from "@/components/ui/textarea";

/** The funnel editor's small form fields (a step's and an offer's). */
export function TextField({ label, value, onChange, multiline, max = 200, hint }: { label: ReactNode; value: unknown; onChange: (v: string) => void; multiline?: boolean; max?: number; hint?: ReactNode }) {
  const text = typeof value === "string" ? value : "";
  return (
    <Field label={label} hint={hint}>
      {(p) => (multiline ? <Textarea {...p} rows={5} value={text} maxLength={max} onChange={(e) => onChange(e.target.value)} /> : <Input {...p} value={text} maxLength={max} onChange={(e) => onChange(e.target.value)} />)}
    </Field>
  );
}

export function NumberField({ label, value, onChange, min, max }: { label: ReactNode; value: unknown; onChange: (v: number) => void; min: number; max: number }) {
  return (
    <Field label={label}>
      {(p) => <Input {...p} type="number" min={min} max={max} value={typeof value === "number" ? value : ""} onChange={(e) => onChange(Number(e.target.value))} />}
    </Field>
  );
}

export function Check({ label, checked, onChange }: { label: ReactNode; checked: boolean; onChange: (v: boolean) => void }) {
  return (
    <label className="flex items-center gap-2 text-sm">
      <Checkbox checked={checked} onCheckedChange={(v) => onChange(v === true)} />
      {label}
    </label>
  );
}

