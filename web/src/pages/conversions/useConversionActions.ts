import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, ApiError, unwrap } from "@/api/client";
import { useToast } from "@/components/ui/toast";
import { useI18n, type MessageKey } from "@/i18n";
import { errorMessage } from "@/lib/errors";
import { platformName } from "./shared";
import type { Platform } from "./types";

export const CONVERSIONS_KEY = ["conversions"] as const;

/**
 * "Retry now" (failed deliveries of one platform, or all) and "send again" (a sent
 * delivery, same event id): each refreshes every conversions query and says what happened.
 */
export function useConversionActions() {
  const { t } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const refresh = () => void qc.invalidateQueries({ queryKey: CONVERSIONS_KEY });
  // A 409 means the delivery changed state meanwhile (another user, the worker): say so, and refresh.
  const onError = (conflict: MessageKey) => (e: unknown) => {
    toast(e instanceof ApiError && e.status === 409 ? t(conflict) : errorMessage(e, t), "error");
    if (e instanceof ApiError && e.status === 409) refresh();
  };
  const retry = useMutation({
    mutationFn: ({ conversionId, platform }: { conversionId: string; platform?: Platform }) =>
      unwrap(api.POST("/api/conversions/{conversion_id}/retry", { params: { path: { conversion_id: conversionId } }, body: platform ? { platform } : {} })),
    onSuccess: (_r, { platform }) => {
      toast(platform ? t("conversions.retry.queuedOne", { platform: platformName(platform) }) : t("conversions.retry.queued"));
      refresh();
    },
    onError: onError("conversions.retry.conflict"),
  });
  const resend = useMutation({
    mutationFn: ({ conversionId, platform }: { conversionId: string; platform: Platform }) =>
      unwrap(api.POST("/api/conversions/{conversion_id}/resend", { params: { path: { conversion_id: conversionId } }, body: { platform } })),
    onSuccess: (_r, { platform }) => {
      toast(t("conversions.resend.queued", { platform: platformName(platform) }));
      refresh();
    },
    onError: onError("conversions.resend.conflict"),
  });
  return { retry, resend };
}
