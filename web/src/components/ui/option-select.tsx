import { Label } from "./label";
import { NativeSelect } from "./native-select";

/**
 * A labelled filter select: "any" (the empty value) first, then `options`; `onChange` gets
 * null for "any".
 */
export function OptionSelect({
  id,
  label,
  value,
  onChange,
  anyLabel,
  options,
  testId,
}: {
  id: string;
  label: string;
  value: string | null;
  onChange: (value: string | null) => void;
  anyLabel: string;
  options: readonly { value: string; label: string }[];
  testId?: string;
}) {
  return (
    <div className="grid gap-1.5">
      <Label htmlFor={id}>{label}</Label>
      <NativeSelect id={id} value={value ?? ""} onChange={(e) => onChange(e.target.value || null)} data-testid={testId}>
        <option value="">{anyLabel}</option>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </NativeSelect>
    </div>
  );
}
