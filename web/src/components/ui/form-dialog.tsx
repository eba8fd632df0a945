import type { ReactNode } from "react";
import { cn } from "@/lib/utils";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from "./dialog";

/** A dialog holding one form: title, optional description, the form as children. */
export function FormDialog({
  open,
  onClose,
  title,
  description,
  className,
  testId,
  children,
}: {
  open: boolean;
  /** Called when the dialog is dismissed (Escape, overlay, close button). */
  onClose: () => void;
  title: ReactNode;
  description?: ReactNode;
  className?: string;
  testId?: string;
  children: ReactNode;
}) {
  return (
    <Dialog
      open={open}
      onOpenChange={(o) => {
        if (!o) onClose();
      }}
    >
      <DialogContent className={cn("max-w-xl", className)} data-testid={testId} {...(description ? {} : { "aria-describedby": undefined })}>
        <DialogHeader>
          <DialogTitle>{title}</DialogTitle>
          {description ? <DialogDescription>{description}</DialogDescription> : null}
        </DialogHeader>
        {children}
      </DialogContent>
    </Dialog>
  );
}
