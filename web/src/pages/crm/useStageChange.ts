import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { errorMessage } from "@/lib/errors";
import { moveCard } from "./pipeline";
import type { Pipeline, StageChange } from "./types";

export const PIPELINE_KEY = ["crm", "pipeline"] as const;

/**
 * `POST /api/leads/{id}/stages` with the board moved at once: the card jumps to its new
 * column before the answer; on an error the board goes back and a toast says why.
 * Lead lists and the lead's page are refreshed after either outcome.
 */
export function useStageChange() {
  const qc = useQueryClient();
  const { toast } = useToast();
  const { t } = useI18n();
  return useMutation({
    mutationFn: ({ leadId, body }: { leadId: string; body: StageChange }) =>
      unwrap(api.POST("/api/leads/{lead_id}/stages", { params: { path: { lead_id: leadId } }, body })),
    onMutate: async ({ leadId, body }) => {
      await qc.cancelQueries({ queryKey: PIPELINE_KEY });
      const previous = qc.getQueriesData<Pipeline>({ queryKey: PIPELINE_KEY });
      qc.setQueriesData<Pipeline>({ queryKey: PIPELINE_KEY }, (board) =>
        board ? moveCard(board, leadId, body.stage_name, body.stage_value === undefined || body.stage_value === null ? null : String(body.stage_value)) : board,
      );
      return { previous };
    },
    onError: (error, _vars, context) => {
      for (const [key, data] of context?.previous ?? []) qc.setQueryData(key, data);
      toast(t("crm.pipeline.moveFailed", { reason: errorMessage(error, t) }), "error");
    },
    onSettled: (_data, _error, { leadId }) => {
      void qc.invalidateQueries({ queryKey: PIPELINE_KEY });
      void qc.invalidateQueries({ queryKey: ["crm", "leads"] });
      void qc.invalidateQueries({ queryKey: ["crm", "lead", leadId] });
    },
  });
}
