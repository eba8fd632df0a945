import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import { NativeSelect } from "@/components/ui/native-select";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { errorMessage } from "@/lib/errors";
import { OwnerOptions } from "./members";
import type { Lead } from "./types";

/** The lead's owner, changed in place by whoever may write (saved at once). */
export function LeadOwner({ lead, canWrite }: { lead: Lead; canWrite: boolean }) {
  const { t } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const assign = useMutation({
    mutationFn: (ownerId: string | null) => unwrap(api.PATCH("/api/leads/{lead_id}", { params: { path: { lead_id: lead.lead_id } }, body: { owner_id: ownerId } })),
    onSuccess: () => {
      toast(t("crm.owner.saved"));
      void qc.invalidateQueries({ queryKey: ["crm"] });
    },
    onError: (e) => toast(t("crm.owner.failed", { reason: errorMessage(e, t) }), "error"),
  });
  if (!canWrite) return <>{lead.owner?.name ?? t("crm.none")}</>;
  return (
    <NativeSelect
      aria-label={t("crm.lead.owner")}
      value={assign.isPending ? (assign.variables ?? "") : (lead.owner_id ?? "")}
      disabled={assign.isPending}
      onChange={(e) => assign.mutate(e.target.value || null)}
      data-testid="lead-owner"
    >
      <option value="">{t("crm.create.noOwner")}</option>
      <OwnerOptions current={lead.owner ? { user_id: lead.owner.id, name: lead.owner.name } : null} />
    </NativeSelect>
  );
}
