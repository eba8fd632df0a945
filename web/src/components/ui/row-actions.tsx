import { Pencil, Trash2 } from "lucide-react";
import type { ReactNode } from "react";
import { ConfirmDialog } from "@/components/ui/alert-dialog";
import { Button } from "@/components/ui/button";
import { useI18n } from "@/i18n";

/** The pencil button of a list row; `name` completes its accessible label. */
export function EditButton({ name, onClick, disabled }: { name: string; onClick: () => void; disabled?: boolean }) {
  const { t } = useI18n();
  return (
    <Button variant="ghost" size="icon" aria-label={`${t("common.edit")} ${name}`} onClick={onClick} disabled={disabled}>
      <Pencil aria-hidden />
    </Button>
  );
}

/** The trash button of a list row, asking for confirmation first. */
export function DeleteButton({
  name,
  title,
  description,
  onConfirm,
  testId,
}: {
  name: string;
  title: ReactNode;
  description: ReactNode;
  onConfirm: () => Promise<unknown> | void;
  testId?: string;
}) {
  const { t } = useI18n();
  return (
    <ConfirmDialog
      trigger={
        <Button variant="ghost" size="icon" aria-label={`${t("common.delete")} ${name}`} data-testid={testId}>
          <Trash2 aria-hidden />
        </Button>
      }
      title={title}
      description={description}
      confirmLabel={t("common.delete")}
      onConfirm={onConfirm}
    />
  );
}
