import { Check, Copy } from "lucide-react";
import { useState } from "react";
import { Button } from "./button";
import { useI18n } from "@/i18n";

export function CopyButton({ value, label }: { value: string; label?: string }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  return (
    <Button
      variant="outline"
      size="sm"
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(value);
          setCopied(true);
          setTimeout(() => setCopied(false), 2000);
        } catch {
          /* clipboard refused: the value is selectable on screen */
        }
      }}
      aria-label={label ?? t("common.copy")}
    >
      {copied ? <Check aria-hidden /> : <Copy aria-hidden />}
      <span aria-live="polite">{copied ? t("common.copied") : t("common.copy")}</span>
    </Button>
  );
}

/** A secret shown once: monospace, selectable, with a copy button. */
export function SecretValue({ value, testId }: { value: string; testId?: string }) {
  return (
    <div className="flex flex-col gap-2 sm:flex-row sm:items-center">
      <code data-testid={testId} className="flex-1 select-all break-all rounded-md border bg-muted px-3 py-2 font-mono text-sm">
        {value}
      </code>
      <CopyButton value={value} />
    </div>
  );
}
