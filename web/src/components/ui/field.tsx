import { useId, type ReactNode } from "react";
import { Label } from "./label";

/**
 * A labelled form field. `children` is a render function receiving the ids to wire
 * (`id`, `aria-describedby`, `aria-invalid`), so every input is labelled and its hint
 * and error are announced.
 */
export function Field({
  label,
  hint,
  error,
  children,
  optionalText,
}: {
  label: ReactNode;
  hint?: ReactNode;
  error?: string;
  optionalText?: string;
  children: (props: { id: string; "aria-describedby"?: string; "aria-invalid"?: boolean }) => ReactNode;
}) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(" ") || undefined;
  return (
    <div className="space-y-1.5">
      <Label htmlFor={id}>
        {label}
        {optionalText ? <span className="ml-1 font-normal text-muted-foreground">({optionalText})</span> : null}
      </Label>
      {children({ id, "aria-describedby": describedBy, "aria-invalid": error ? true : undefined })}
      {hint ? (
        <p id={hintId} className="text-xs text-muted-foreground">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={errorId} className="text-xs font-medium text-destructive">
          {error}
        </p>
      ) : null}
    </div>
  );
}
