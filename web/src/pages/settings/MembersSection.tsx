import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { UserPlus } from "lucide-react";
import { useState } from "react";
import { api, unwrap } from "@/api/client";
import { ROLES, type Member, type MemberCreated, type Role } from "@/api/types";
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
  const [created, setCreated] = useState<MemberCreated | null>(null);
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
      {canWrite ? <AddMemberDialog open={addOpen} onOpenChange={setAddOpen} onCreated={setCreated} /> : null}
      <FormDialog
        open={created !== null && created.temporary_password !== null}
        onClose={() => setCreated(null)}
        className="max-w-lg"
        title={t("members.tempPasswordTitle")}
        description={t("members.tempPasswordWarning", { email: created?.member.email ?? "" })}
      >
        {created?.temporary_password ? <SecretValue value={created.temporary_password} testId="temporary-password" /> : null}
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
  onCreated: (c: MemberCreated) => void;
}) {
  const { t } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const [form, setForm] = useState({ email: "", name: "", role: "analyst" as Role, password: "" });
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/members", {
          body: { email: form.email.trim(), name: form.name.trim(), role: form.role, ...(form.password ? { password: form.password } : {}) },
        }),
      ),
    onSuccess: (res) => {
      toast(t("members.created", { email: res.member.email }));
      void qc.invalidateQueries({ queryKey: ["members"] });
      setForm({ email: "", name: "", role: "analyst", password: "" });
      onOpenChange(false);
      onCreated(res);
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
        disabled: !form.email || !form.name,
        error: Object.keys(fe).length === 0 ? create.error : null,
      }}
    >
      <Field label={t("members.name")} error={fe.name}>
        {(p) => <Input {...p} value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} required autoFocus />}
      </Field>
      <Field label={t("members.email")} error={fe.email}>
        {(p) => <Input {...p} type="email" value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} required />}
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
      <Field label={t("members.password")} optionalText={t("common.optional")} hint={t("members.passwordHint")} error={fe.password}>
        {(p) => (
          <Input {...p} type="password" autoComplete="new-password" value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} />
        )}
      </Field>
    </FormDialog>
  );
}
