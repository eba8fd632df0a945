import type { FormEvent, ReactNode } from "react";
import { useI18n } from "@/i18n";
import { cn } from "@/lib/utils";
import { Button } from "./button";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from "./dialog";
import { FormError } from "./states";

/**
 * The end of every form: its error banner, then Cancel and the submit button, which is
 * disabled and says "Saving…" while the request is pending.
 */
export function FormActions({
  onCancel,
  submitLabel,
  busy,
  busyLabel,
  disabled,
  error,
  submitTestId,
}: {
  onCancel: () => void;
  submitLabel: ReactNode;
  /** The request is pending. */
  busy?: boolean;
  /** What the submit button says while busy (default: "Saving…"). */
  busyLabel?: ReactNode;
  /** Submitting makes no sense yet (a required field is empty). */
  disabled?: boolean;
  /** Shown above the buttons; nothing when empty. */
  error?: unknown;
  submitTestId?: string;
}) {
  const { t } = useI18n();
  return (
    <>
      <FormError error={error} />
      <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
        <Button variant="outline" onClick={onCancel}>
          {t("common.cancel")}
        </Button>
        <Button type="submit" disabled={busy || disabled} data-testid={submitTestId}>
          {busy ? (busyLabel ?? t("common.saving")) : submitLabel}
        </Button>
      </div>
    </>
  );
}

/** What makes a dialog's children the fields of one form: its submit and its `FormActions`. */
export interface DialogForm {
  /** Called on submit (the browser's submit is already prevented). */
  onSubmit: () => void;
  submitLabel: ReactNode;
  busy?: boolean;
  busyLabel?: ReactNode;
  disabled?: boolean;
  error?: unknown;
  submitTestId?: string;
  /** Leave validation to the form (no browser bubbles). */
  noValidate?: boolean;
}

/**
 * A dialog with a title, an optional description and a body. With `form`, the body is the
 * fields of a form that ends in the error banner and Cancel (which closes) / submit.
 */
export function FormDialog({
  open,
  onClose,
  title,
  description,
  className,
  testId,
  form,
  keepOnOutsideClick,
  children,
}: {
  open: boolean;
  /** Called when the dialog is dismissed (Escape, overlay, close button, Cancel). */
  onClose: () => void;
  title: ReactNode;
  description?: ReactNode;
  className?: string;
  testId?: string;
  form?: DialogForm;
  /** A stray click outside does not close it (something is shown only once). */
  keepOnOutsideClick?: boolean;
  children: ReactNode;
}) {
  const submit = (e: FormEvent) => {
    e.preventDefault();
    form?.onSubmit();
  };
  return (
    <Dialog
      open={open}
      onOpenChange={(o) => {
        if (!o) onClose();
      }}
    >
      <DialogContent
        className={cn("max-w-xl", className)}
        data-testid={testId}
        onInteractOutside={keepOnOutsideClick ? (e) => e.preventDefault() : undefined}
        {...(description ? {} : { "aria-describedby": undefined })}
      >
        <DialogHeader>
          <DialogTitle>{title}</DialogTitle>
          {description ? <DialogDescription>{description}</DialogDescription> : null}
        </DialogHeader>
        {form ? (
          <form onSubmit={submit} noValidate={form.noValidate} className="grid gap-4">
            {children}
            <FormActions
              onCancel={onClose}
              submitLabel={form.submitLabel}
              busy={form.busy}
              busyLabel={form.busyLabel}
              disabled={form.disabled}
              error={form.error}
              submitTestId={form.submitTestId}
            />
          </form>
        ) : (
          children
        )}
      </DialogContent>
    </Dialog>
  );
}
