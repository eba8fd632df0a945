import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Globe, Power } from "lucide-react";
import { useState } from "react";
import { api, unwrap } from "@/api/client";
import { useCurrentUser } from "@/auth/session";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader } from "@/components/ui/card";
import { CopyButton } from "@/components/ui/copy-button";
import { FormDialog } from "@/components/ui/form-dialog";
import { Pagination } from "@/components/ui/pagination";
import { QueryStates } from "@/components/ui/query-states";
import { DeleteButton, EditButton } from "@/components/ui/row-actions";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { DomainStatus } from "./activity";
import { errorMessage } from "@/lib/errors";
import { formatDateTime } from "@/lib/format";
import { PAGE_SIZE, usePageParam } from "@/lib/usePage";
import { DomainForm } from "./DomainForm";
import { PageTitle } from "./shared";
import { TRACKING_WRITE, type Domain, type DomainCreate, type DomainUpdate } from "./types";

type Editing = { mode: "create" } | { mode: "edit"; domain: Domain } | null;

/** The tracking snippet with a copy button, shown as text. */
export function SnippetBox({ snippet }: { snippet: string }) {
  const { t } = useI18n();
  return (
    <div className="grid gap-2">
      <div className="flex items-center justify-between gap-2">
        <span className="text-sm font-medium">{t("tracking.domains.snippet")}</span>
        <CopyButton value={snippet} label={`${t("common.copy")} ${t("tracking.domains.snippet")}`} />
      </div>
      <pre className="overflow-x-auto whitespace-pre-wrap break-all rounded-md border bg-muted px-3 py-2 font-mono text-xs">
        <code data-testid="domain-snippet" className="select-all">
          {snippet}
        </code>
      </pre>
    </div>
  );
}

export function InstallNote() {
  const { t } = useI18n();
  return (
    <details className="rounded-md border px-3 py-2 text-sm">
      <summary className="cursor-pointer font-medium">{t("tracking.domains.howTo")}</summary>
      <ul className="mt-2 grid list-disc gap-1.5 pl-5 text-muted-foreground">
        <li>{t("tracking.domains.howTo.paste")}</li>
        <li>{t("tracking.domains.howTo.click")}</li>
        <li>{t("tracking.domains.howTo.checkout")}</li>
        <li>{t("tracking.domains.howTo.form")}</li>
        <li>{t("tracking.domains.howTo.consent")}</li>
        <li>{t("tracking.domains.howTo.adUrls")}</li>
      </ul>
    </details>
  );
}

export default function DomainsSection() {
  const { t, locale } = useI18n();
  const me = useCurrentUser();
  const canWrite = me.permissions.includes(TRACKING_WRITE);
  const [page, setPage] = usePageParam();
  const [editing, setEditing] = useState<Editing>(null);
  const { toast } = useToast();
  const qc = useQueryClient();

  const query = useQuery({
    queryKey: ["tracking", "domains", page],
    queryFn: () => unwrap(api.GET("/api/domains", { params: { query: { page, page_size: PAGE_SIZE } } })),
    placeholderData: keepPreviousData,
  });
  const invalidate = () => void qc.invalidateQueries({ queryKey: ["tracking", "domains"] });

  const save = useMutation({
    mutationFn: (body: DomainCreate | DomainUpdate) =>
      editing?.mode === "edit"
        ? unwrap(api.PATCH("/api/domains/{domain_id}", { params: { path: { domain_id: editing.domain.domain_id } }, body: body as DomainUpdate }))
        : unwrap(api.POST("/api/domains", { body: body as DomainCreate })),
    onSuccess: (d) => {
      toast(t(editing?.mode === "edit" ? "tracking.domains.updated" : "tracking.domains.created", { name: d.domain_name }));
      invalidate();
      setEditing(null);
    },
  });
  const toggle = useMutation({
    mutationFn: (d: Domain) => unwrap(api.PATCH("/api/domains/{domain_id}", { params: { path: { domain_id: d.domain_id } }, body: { is_active: !d.is_active } })),
    onSuccess: (d) => {
      toast(t(d.is_active ? "tracking.domains.enabled" : "tracking.domains.disabled", { name: d.domain_name }));
      invalidate();
    },
    onError: (e) => toast(errorMessage(e, t), "error"),
  });
  const remove = useMutation({
    mutationFn: (d: Domain) => unwrap(api.DELETE("/api/domains/{domain_id}", { params: { path: { domain_id: d.domain_id } } })),
    onSuccess: (_r, d) => {
      toast(t("tracking.domains.deleted", { name: d.domain_name }));
      invalidate();
      void qc.invalidateQueries({ queryKey: ["tracking", "landing-pages"] });
    },
    onError: (e) => toast(errorMessage(e, t), "error"),
  });

  const close = () => {
    setEditing(null);
    save.reset();
  };
  const addButton = canWrite ? (
    <Button onClick={() => setEditing({ mode: "create" })} data-testid="add-domain">
      <Globe aria-hidden />
      {t("tracking.domains.add")}
    </Button>
  ) : null;

  return (
    <section className="grid grid-cols-1 gap-4">
      <div className="flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
        <PageTitle title={t("tracking.domains.title")} subtitle={t("tracking.domains.description")} />
        {addButton}
      </div>
      <QueryStates query={query} isEmpty={(d) => d.items.length === 0} empty={t("tracking.domains.empty")} emptyAction={addButton}>
        {(data) => (
          <div className="grid gap-4">
            {data.items.map((d) => (
              <Card key={d.domain_id} data-testid="domain-card" data-domain-id={d.domain_id}>
                <CardHeader className="flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
                  <div className="min-w-0">
                    <div className="flex flex-wrap items-center gap-2">
                      <h3 className="break-all text-base font-semibold" data-testid="domain-name">
                        {d.domain_name}
                      </h3>
                      <Badge variant={d.is_active ? "success" : "secondary"}>{d.is_active ? t("common.active") : t("common.inactive")}</Badge>
                    </div>
                    <p className="break-all text-sm text-muted-foreground">{d.domain_url}</p>
                    <p className="text-xs text-muted-foreground">
                      {t("tracking.domains.createdAt")}: {formatDateTime(d.created_at, locale)}
                    </p>
                  </div>
                  {canWrite ? (
                    <div className="flex shrink-0 gap-1">
                      <EditButton name={d.domain_name} onClick={() => setEditing({ mode: "edit", domain: d })} />
                      <Button
                        variant="ghost"
                        size="icon"
                        aria-label={`${d.is_active ? t("tracking.domains.disable") : t("tracking.domains.enable")} ${d.domain_name}`}
                        title={d.is_active ? t("tracking.domains.disable") : t("tracking.domains.enable")}
                        disabled={toggle.isPending}
                        onClick={() => toggle.mutate(d)}
                        data-testid="toggle-domain"
                      >
                        <Power aria-hidden />
                      </Button>
                      <DeleteButton
                        name={d.domain_name}
                        title={t("tracking.domains.deleteTitle", { name: d.domain_name })}
                        description={t("tracking.domains.deleteConfirm")}
                        onConfirm={() => remove.mutateAsync(d)}
                        testId="delete-domain"
                      />
                    </div>
                  ) : null}
                </CardHeader>
                <CardContent className="grid gap-3">
                  <DomainStatus domainId={d.domain_id} />
                  <dl className="grid gap-2 text-sm sm:grid-cols-2">
                    <div>
                      <dt className="text-xs text-muted-foreground">{t("tracking.domains.siteKey")}</dt>
                      <dd className="break-all font-mono text-xs" data-testid="domain-site-key">
                        {d.site_key}
                      </dd>
                    </div>
                    <div>
                      <dt className="text-xs text-muted-foreground">{t("tracking.domains.origins")}</dt>
                      <dd className="break-all font-mono text-xs">{d.allowed_origins.join(", ") || t("tracking.none")}</dd>
                    </div>
                  </dl>
                  <SnippetBox snippet={d.snippet} />
                  <InstallNote />
                </CardContent>
              </Card>
            ))}
            <Pagination page={page} pageSize={PAGE_SIZE} total={data.total} onPageChange={setPage} />
          </div>
        )}
      </QueryStates>
      <FormDialog
        open={editing !== null}
        onClose={close}
        className="max-w-2xl"
        title={editing?.mode === "edit" ? t("tracking.domains.editTitle", { name: editing.domain.domain_name }) : t("tracking.domains.addTitle")}
        description={t("tracking.domains.formDescription")}
      >
        {editing ? (
          <DomainForm
            key={editing.mode === "edit" ? editing.domain.domain_id : "new"}
            domain={editing.mode === "edit" ? editing.domain : undefined}
            onSubmit={(body) => save.mutate(body)}
            onCancel={close}
            error={save.error}
            busy={save.isPending}
          />
        ) : null}
      </FormDialog>
    </section>
  );
}
