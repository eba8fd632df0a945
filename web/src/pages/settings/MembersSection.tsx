import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { UserPlus } from "lucide-react";
import { useState } from "react";
import { api, unwrap } from "@/api/client";
import { ROLES, type Invitation, type InvitationCreated, type Member, type Role } from "@/api/types";
import { PERM } from "@/auth/permissions";
import { useCurrentUser } from "@/auth/session";
import { ConfirmDialog } from "@/components/ui/alert-dialog";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { SecretValue } from "@/components/ui/copy-button";
import { DialogFooter } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { FormDialog } from "@/components/ui/form-dialog";
import { Input } from "@/components/ui/input";
import { Pagination } from "@/components/ui/pagination";
import { QueryStates } from "@/components/ui/query-states";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { errorMessage, fieldErrors } from "@/lib/errors";
import { formatDate } from "@/lib/format";
import { PAGE_SIZE, usePageParam } from "@/lib/usePage";
import { SectionHeader } from "./SectionHeader";

export default function MembersSection() {
  const { t, locale } = useI18n();
  const me = useCurrentUser();
  const canWrite = me.permissions.includes(PERM.membersWrite);
  const [page, setPage] = usePageParam();
  const [addOpen, setAddOpen] = useState(false);
  const [created, setCreated] = useState<InvitationCreated | null>(null);
  const { toast } = useToast();
  const qc = useQueryClient();

  const query = useQuery({
    queryKey: ["members", page],
    queryFn: () => unwrap(api.GET("/api/members", { params: { query: { page, page_size: PAGE_SIZE } } })),
    placeholderData: keepPreviousData,
  });

  const update = useMutation({
    mutationFn: ({ id, body }: { id: string; body: { role?: Role; is_active?: boolean } }) =>
      unwrap(api.PATCH("/api/members/{user_id}", { params: { path: { user_id: id } }, body })),
    onSuccess: () => {
      toast(t("members.updated"));
      void qc.invalidateQueries({ queryKey: ["members"] });
    },
    onError: (e) => toast(errorMessage(e, t), "error"),
  });

  const addButton = canWrite ? (
    <Button onClick={() => setAddOpen(true)}>
      <UserPlus aria-hidden />
      {t("members.add")}
    </Button>
  ) : null;

  return (
    <section className="grid grid-cols-1 gap-4" aria-labelledby="members-title">
      <SectionHeader title={t("members.title")} description={t("members.description")} action={addButton} />
      <QueryStates query={query} isEmpty={(d) => d.items.length === 0} empty={t("members.empty")} emptyAction={addButton}>
        {(data) => (
          <div>
            <Table>
              <THead>
                <TR>
                  <TH>{t("members.name")}</TH>
                  <TH>{t("members.email")}</TH>
                  <TH>{t("members.role")}</TH>
                  <TH>{t("members.status")}</TH>
                  <TH>{t("members.since")}</TH>
                  {canWrite ? <TH className="text-right">{t("common.actions")}</TH> : null}
                </TR>
              </THead>
              <TBody>
                {data.items.map((m: Member) => {
                  const isMe = m.user_id === me.id;
                  return (
                    <TR key={m.user_id} data-testid="member-row">
                      <TD className="font-medium">
                        {m.name}
                        {isMe ? <span className="ml-1 text-xs text-muted-foreground">({t("members.you")})</span> : null}
                      </TD>
                      <TD className="break-all">{m.email}</TD>
                      <TD>
                        {canWrite ? (
                          <Select value={m.role} onValueChange={(v) => update.mutate({ id: m.user_id, body: { role: v as Role } })}>
                            <SelectTrigger className="h-8 w-36" aria-label={t("members.changeRole", { name: m.name || m.email })}>
                              <SelectValue />
                            </SelectTrigger>
                            <SelectContent>
                              {ROLES.map((r) => (
                                <SelectItem key={r} value={r}>
                                  {t(`role.${r}`)}
                                </SelectItem>
                              ))}
                            </SelectContent>
                          </Select>
                        ) : (
                          t(`role.${m.role}`)
                        )}
                      </TD>
                      <TD>
                        <Badge variant={m.is_active ? "success" : "secondary"}>{m.is_active ? t("common.active") : t("common.inactive")}</Badge>
                      </TD>
                      <TD className="whitespace-nowrap">{formatDate(m.created_at, locale)}</TD>
                      {canWrite ? (
                        <TD className="text-right">
                          {isMe ? null : m.is_active ? (
                            <ConfirmDialog
                              trigger={
                                <Button variant="outline" size="sm">
                                  {t("members.deactivate")}
                                </Button>
                              }
                              title={t("members.deactivate")}
                              description={t("members.deactivateConfirm", { name: m.name || m.email })}
                              confirmLabel={t("members.deactivate")}
                              onConfirm={() => update.mutateAsync({ id: m.user_id, body: { is_active: false } })}
                            />
                          ) : (
                            <Button variant="outline" size="sm" onClick={() => update.mutate({ id: m.user_id, body: { is_active: true } })}>
                              {t("members.reactivate")}
                            </Button>
                          )}
                        </TD>
                      ) : null}
                    </TR>
                  );
                })}
              </TBody>
            </Table>
            <Pagination page={page} pageSize={PAGE_SIZE} total={data.total} onPageChange={setPage} />
          </div>
        )}
      </QueryStates>
      <PendingInvitations canWrite={canWrite} onCreated={setCreated} />
      {canWrite ? <AddMemberDialog open={addOpen} onOpenChange={setAddOpen} onCreated={setCreated} /> : null}
      <FormDialog
        open={created !== null}
        onClose={() => setCreated(null)}
        className="max-w-lg"
        title={t("members.inviteLinkTitle")}
        description={t("members.inviteLinkWarning", { email: created?.invitation.email ?? "" })}
      >
        {created?.token ? <SecretValue value={invitationLink(created.token)} testId="invitation-link" /> : null}
        <DialogFooter>
          <Button onClick={() => setCreated(null)}>{t("common.close")}</Button>
        </DialogFooter>
      </FormDialog>
    </section>
  );
}

function AddMemberDialog({
  open,
  onOpenChange,
  onCreated,
}: {
  open: boolean;
  onOpenChange: (o: boolean) => void;
  onCreated: (c: InvitationCreated) => void;
}) {
  const { t } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const [form, setForm] = useState({ email: "", role: "analyst" as Role });
  const create = useMutation({
    mutationFn: () => unwrap(api.POST("/api/members", { body: { email: form.email.trim(), role: form.role } })),
    onSuccess: (res) => {
      // E-mailed: only the invited address gets the link. Otherwise (no mail sender) the admin passes the link on.
      toast(t(res.delivery === "email" ? "members.invitedByEmail" : "members.invited", { email: res.invitation.email }));
      void qc.invalidateQueries({ queryKey: ["invitations"] });
      setForm({ email: "", role: "analyst" });
      onOpenChange(false);
      if (res.token) onCreated(res);
    },
  });
  const fe = fieldErrors(create.error);
  const close = () => {
    onOpenChange(false);
    create.reset();
  };
  return (
    <FormDialog
      open={open}
      onClose={close}
      className="max-w-lg"
      title={t("members.addTitle")}
      description={t("members.addDescription")}
      form={{
        onSubmit: () => create.mutate(),
        submitLabel: t("members.add"),
        busy: create.isPending,
        disabled: !form.email,
        error: Object.keys(fe).length === 0 ? create.error : null,
      }}
    >
      <Field label={t("members.email")} error={fe.email}>
        {(p) => <Input {...p} type="email" value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} required autoFocus />}
      </Field>
      <Field label={t("members.role")} error={fe.role}>
        {(p) => (
          <Select value={form.role} onValueChange={(v) => setForm({ ...form, role: v as Role })}>
            <SelectTrigger id={p.id} aria-describedby={p["aria-describedby"]}>
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              {ROLES.map((r) => (
                <SelectItem key={r} value={r}>
                  {t(`role.${r}`)}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
        )}
      </Field>
    </FormDialog>
  );
}

/** The link a new member opens to accept (the token rides in the fragment: never sent to a server or kept in logs). */
function invitationLink(token: string): string {
  return `${window.location.origin}/invitation#${token}`;
}

function PendingInvitations({ canWrite, onCreated }: { canWrite: boolean; onCreated: (c: InvitationCreated) => void }) {
  const { t, locale } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  // Inviting again renews the invitation: a new link (the old one stops working), e-mailed again when the instance sends mail.
  const resend = useMutation({
    mutationFn: (i: Invitation) => unwrap(api.POST("/api/members", { body: { email: i.email, role: i.role } })),
    onSuccess: (res) => {
      toast(t(res.delivery === "email" ? "members.invitedByEmail" : "members.invited", { email: res.invitation.email }));
      void qc.invalidateQueries({ queryKey: ["invitations"] });
      if (res.token) onCreated(res);
    },
    onError: (e) => toast(errorMessage(e, t), "error"),
  });
  const query = useQuery({
    queryKey: ["invitations"],
    queryFn: () => unwrap(api.GET("/api/members/invitations", { params: { query: { page: 1, page_size: 100 } } })),
  });
  const revoke = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/members/invitations/{invitation_id}", { params: { path: { invitation_id: id } } })),
    onSuccess: () => {
      toast(t("members.revoked"));
      void qc.invalidateQueries({ queryKey: ["invitations"] });
    },
    onError: (e) => toast(errorMessage(e, t), "error"),
  });
  const items = query.data?.items ?? [];
  if (items.length === 0) return null;
  const now = Date.now();
  return (
    <div className="grid gap-2">
      <h3 className="text-sm font-semibold">{t("members.invitations")}</h3>
      <Table>
        <THead>
          <TR>
            <TH>{t("members.email")}</TH>
            <TH>{t("members.role")}</TH>
            <TH>{t("members.expires")}</TH>
            {canWrite ? <TH className="text-right">{t("common.actions")}</TH> : null}
          </TR>
        </THead>
        <TBody>
          {items.map((i: Invitation) => (
            <TR key={i.id} data-testid="invitation-row">
              <TD className="break-all">{i.email}</TD>
              <TD>{t(`role.${i.role}`)}</TD>
              <TD className="whitespace-nowrap">
                {new Date(i.expires_at).getTime() < now ? <Badge variant="secondary">{t("members.expired")}</Badge> : formatDate(i.expires_at, locale)}
              </TD>
              {canWrite ? (
                <TD className="text-right">
                  <div className="flex flex-wrap justify-end gap-2">
                    <Button variant="outline" size="sm" disabled={resend.isPending} onClick={() => resend.mutate(i)}>
                      {t("members.resend")}
                    </Button>
                    <ConfirmDialog
                      trigger={
                        <Button variant="outline" size="sm">
                          {t("members.revoke")}
                        </Button>
                      }
                      title={t("members.revoke")}
                      description={t("members.revokeConfirm", { email: i.email })}
                      confirmLabel={t("members.revoke")}
                      onConfirm={() => revoke.mutateAsync(i.id)}
                    />
                  </div>
                </TD>
              ) : null}
            </TR>
          ))}
        </TBody>
      </Table>
    </div>
  );
}
