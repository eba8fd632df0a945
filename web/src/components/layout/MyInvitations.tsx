import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import type { MyInvitation } from "@/api/types";
import { ME_KEY } from "@/auth/session";
import { Button } from "@/components/ui/button";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { errorMessage } from "@/lib/errors";

/** Invitations addressed to the signed-in user, each with Accept and Decline. */
export function MyInvitations() {
  const { t } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const query = useQuery({ queryKey: ["my-invitations"], queryFn: () => unwrap(api.GET("/api/auth/invitations")) });
  const answer = useMutation({
    mutationFn: ({ invitation, accept }: { invitation: MyInvitation; accept: boolean }) =>
      accept
        ? unwrap(api.POST("/api/auth/invitations/{invitation_id}/accept", { params: { path: { invitation_id: invitation.id } } }))
        : unwrap(api.POST("/api/auth/invitations/{invitation_id}/decline", { params: { path: { invitation_id: invitation.id } } })),
    onSuccess: (_, { invitation, accept }) => {
      toast(accept ? t("invitations.accepted", { organization: invitation.organization.name }) : t("invitations.declined"));
      void qc.invalidateQueries({ queryKey: ["my-invitations"] });
      if (accept) void qc.invalidateQueries({ queryKey: ME_KEY });
    },
    onError: (e) => toast(errorMessage(e, t), "error"),
  });
  const items = query.data ?? [];
  if (items.length === 0) return null;
  return (
    <section aria-labelledby="my-invitations-title" className="mb-4 grid gap-2 rounded-md border bg-muted/40 p-3" data-testid="my-invitations">
      <h2 id="my-invitations-title" className="text-sm font-semibold">
        {t("invitations.title")}
      </h2>
      {items.map((invitation) => (
        <div key={invitation.id} className="flex flex-wrap items-center gap-2 text-sm">
          <span className="flex-1">{t("invitations.offer", { organization: invitation.organization.name, role: t(`role.${invitation.role}`) })}</span>
          <Button size="sm" disabled={answer.isPending} onClick={() => answer.mutate({ invitation, accept: true })}>
            {t("invitations.accept")}
          </Button>
          <Button size="sm" variant="outline" disabled={answer.isPending} onClick={() => answer.mutate({ invitation, accept: false })}>
            {t("invitations.decline")}
          </Button>
        </div>
      ))}
    </section>
  );
}
