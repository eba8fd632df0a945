import type { ReactNode } from "react";

/** One labelled value in a record's `<dl>` of facts (a lead's e-mail, a conversion's date). */
export function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs text-muted-foreground">{label}</dt>
      <dd className="mt-0.5 break-words text-sm">{children}</dd>
    </div>
  );
}
