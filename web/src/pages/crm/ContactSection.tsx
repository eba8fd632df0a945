import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ArrowLeft } from "lucide-react";
import { Link, useParams } from "react-router";
import { api, unwrap } from "@/api/client";
import { useCurrentUser } from "@/auth/session";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Fact } from "@/components/ui/fact";
import { NativeSelect } from "@/components/ui/native-select";
import { QueryStates } from "@/components/ui/query-states";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { errorMessage } from "@/lib/errors";
import { formatDate, formatDateTime } from "@/lib/format";
import { ActivityTimeline } from "./LeadActivity";
import { LeadTable } from "./LeadListSection";
import { OwnerOptions } from "./members";
import { DealTable } from "./DealsSection";
import { CRM_WRITE, type Contact } from "./types";

function ContactOwner({ contact, canWrite }: { contact: Contact; canWrite: boolean }) {
  const { t } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const assign = useMutation({
    mutationFn: (ownerId: string | null) => unwrap(api.PATCH("/api/contacts/{contact_id}", { params: { path: { contact_id: contact.contact_id } }, body: { owner_id: ownerId } })),
    onSuccess: () => {
      toast(t("crm.owner.saved"));
      void qc.invalidateQueries({ queryKey: ["crm"] });
    },
    onError: (e) => toast(t("crm.owner.failed", { reason: errorMessage(e, t) }), "error"),
  });
  if (!canWrite) return <>{contact.owner?.name ?? t("crm.none")}</>;
  return (
    <NativeSelect aria-label={t("crm.lead.owner")} value={assign.isPending ? (assign.variables ?? "") : (contact.owner_id ?? "")} disabled={assign.isPending} onChange={(e) => assign.mutate(e.target.value || null)} data-testid="contact-owner">
      <option value="">{t("crm.create.noOwner")}</option>
      <OwnerOptions current={contact.owner ? { user_id: contact.owner.id, name: contact.owner.name } : null} />
    </NativeSelect>
  );
}

/** A contact: who they are, every lead and deal of theirs, their open tasks and timeline. */
export default function ContactSection() {
  const { t, locale } = useI18n();
  const me = useCurrentUser();
  const { contactId = "" } = useParams();
  const detail = useQuery({
    queryKey: ["crm", "contact", contactId],
    queryFn: () => unwrap(api.GET("/api/contacts/{contact_id}", { params: { path: { contact_id: contactId } } })),
  });
  const canWrite = me.permissions.includes(CRM_WRITE);
  const currency = me.organization.currency;
  return (
    <div className="grid grid-cols-1 gap-4">
      <Link to="/leads/contacts" className="inline-flex items-center gap-1 text-sm text-primary hover:underline">
        <ArrowLeft className="h-4 w-4" aria-hidden />
        {t("crm.contacts.back")}
      </Link>
      <QueryStates query={detail}>
        {({ contact, leads, deals, tasks, activities }) => (
          <>
            <Card>
              <CardContent className="grid gap-3 pt-5">
                <h2 className="break-words text-xl font-semibold" data-testid="contact-name">
                  {contact.name || contact.email || t("crm.lead.unnamed")}
                </h2>
                <dl className="grid gap-3 sm:grid-cols-3">
                  <Fact label={t("crm.lead.email")}>{contact.email ?? t("crm.none")}</Fact>
                  <Fact label={t("crm.lead.phone")}>{contact.phone ?? t("crm.none")}</Fact>
                  <Fact label={t("crm.lead.company")}>{contact.company ?? t("crm.none")}</Fact>
                  <Fact label={t("crm.lead.owner")}>
                    <ContactOwner contact={contact} canWrite={canWrite} />
                  </Fact>
                  <Fact label={t("crm.contacts.created")}>{formatDateTime(contact.created_at, locale)}</Fact>
                  <Fact label={t("crm.contacts.visitors")}>{contact.visitor_ids.length}</Fact>
                </dl>
              </CardContent>
            </Card>
            <Card>
              <CardHeader>
                <CardTitle className="text-base">{t("crm.contacts.leads", { count: leads.length })}</CardTitle>
              </CardHeader>
              <CardContent className="overflow-x-auto">
                {leads.length ? <LeadTable leads={leads} currency={currency} /> : <p className="text-sm text-muted-foreground">{t("crm.none")}</p>}
              </CardContent>
            </Card>
            <Card>
              <CardHeader>
                <CardTitle className="text-base">{t("crm.contacts.deals", { count: deals.length })}</CardTitle>
              </CardHeader>
              <CardContent className="overflow-x-auto">
                {deals.length ? <DealTable deals={deals} /> : <p className="text-sm text-muted-foreground">{t("crm.none")}</p>}
              </CardContent>
            </Card>
            <div className="grid gap-4 lg:grid-cols-2">
              <Card>
                <CardHeader>
                  <CardTitle className="text-base">{t("crm.tasks.heading")}</CardTitle>
                </CardHeader>
                <CardContent>
                  {tasks.length === 0 ? (
                    <p className="text-sm text-muted-foreground">{t("crm.tasks.empty")}</p>
                  ) : (
                    <ul className="grid gap-1.5 text-sm">
                      {tasks.map((task) => (
                        <li key={task.task_id} className={task.done ? "text-muted-foreground line-through" : undefined}>
                          {task.title}
                          {task.due_at ? <span className="ml-2 text-xs text-muted-foreground">{t("crm.tasks.due", { date: formatDate(task.due_at, locale) })}</span> : null}
                        </li>
                      ))}
                    </ul>
                  )}
                </CardContent>
              </Card>
              <Card>
                <CardHeader>
                  <CardTitle className="text-base">{t("crm.contacts.timeline")}</CardTitle>
                </CardHeader>
                <CardContent>
                  <ActivityTimeline activities={activities} />
                </CardContent>
              </Card>
            </div>
          </>
        )}
      </QueryStates>
    </div>
  );
}
