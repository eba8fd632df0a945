import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Copy, LifeBuoy, Plus } from "lucide-react";
import { useState } from "react";
import { Link, Route, Routes, useNavigate } from "react-router";
import { api, unwrap } from "@/api/client";
import { useCurrentUser } from "@/auth/session";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { Field } from "@/components/ui/field";
import { FormDialog } from "@/components/ui/form-dialog";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { QueryStates } from "@/components/ui/query-states";
import { DeleteButton } from "@/components/ui/row-actions";
import { SortableTable, type SortableColumn } from "@/components/ui/sortable-table";
import { EmptyState } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { errorMessage } from "@/lib/errors";
import { formatDate } from "@/lib/format";
import FunnelAnalyticsPage from "./analytics/FunnelAnalyticsPage";
import FunnelEditor from "./FunnelEditor";
import MonitorPage from "./monitor/MonitorPage";
import RecoveryPage from "./recovery/RecoveryPage";
import { FUNNELS_WRITE, type Funnel, type FunnelCreate } from "./types";

export const FUNNELS_KEY = ["funnels"] as const;

/** The organization's tracked sites, for the funnel's tracker. */
export function useDomains() {
  return useQuery({
    queryKey: ["tracking", "domains", "all"],
    queryFn: () => unwrap(api.GET("/api/domains", { params: { query: { page: 1, page_size: 200 } } })),
  });
}

function CreateFunnelDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useI18n();
  const { toast } = useToast();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const domains = useDomains();
  const [draft, setDraft] = useState({ name: "", slug: "", niche: "", domain_id: "", consent: false });
  const create = useMutation({
    mutationFn: (body: FunnelCreate) => unwrap(api.POST("/api/funnels", { body })),
    onSuccess: (funnel) => {
      void qc.invalidateQueries({ queryKey: FUNNELS_KEY });
      toast(t("funnels.created"));
      onClose();
      navigate(`/funnels/${funnel.id}`);
    },
  });
  return (
    <FormDialog
      open={open}
      onClose={onClose}
      title={t("funnels.new")}
      testId="funnel-create"
      form={{
        onSubmit: () =>
          create.mutate({
            name: draft.name,
            slug: draft.slug || null,
            niche: draft.niche || null,
            domain_id: draft.domain_id || null,
            settings: { require_consent: draft.consent },
            is_active: true,
          }),
        submitLabel: t("funnels.new"),
        busy: create.isPending,
        disabled: !draft.name.trim(),
        error: create.error,
      }}
    >
      <Field label={t("funnels.field.name")}>{(p) => <Input {...p} value={draft.name} maxLength={255} onChange={(e) => setDraft({ ...draft, name: e.target.value })} required />}</Field>
      <Field label={t("funnels.field.slug")} hint={t("funnels.field.slugHint")} optionalText={t("common.optional")}>
        {(p) => <Input {...p} value={draft.slug} maxLength={100} pattern="[a-z0-9]+(-[a-z0-9]+)*" onChange={(e) => setDraft({ ...draft, slug: e.target.value })} />}
      </Field>
      <Field label={t("funnels.field.niche")} optionalText={t("common.optional")}>
        {(p) => <Input {...p} value={draft.niche} maxLength={100} onChange={(e) => setDraft({ ...draft, niche: e.target.value })} />}
      </Field>
      <Field label={t("funnels.field.domain")} hint={t("funnels.field.domainHint")}>
        {(p) => (
          <NativeSelect {...p} value={draft.domain_id} onChange={(e) => setDraft({ ...draft, domain_id: e.target.value })}>
            <option value="">{t("funnels.field.noDomain")}</option>
            {(domains.data?.items ?? []).map((d) => (
              <option key={d.domain_id} value={d.domain_id}>
                {d.domain_name}
              </option>
            ))}
          </NativeSelect>
        )}
      </Field>
      <label className="flex items-center gap-2 text-sm">
        <Checkbox checked={draft.consent} onCheckedChange={(v) => setDraft({ ...draft, consent: v === true })} />
        {t("funnels.field.consent")}
      </label>
    </FormDialog>
  );
}

/** The funnels as a sortable table with CSV, clone and delete. */
export function FunnelList() {
  const { t, locale } = useI18n();
  const me = useCurrentUser();
  const canWrite = me.permissions.includes(FUNNELS_WRITE);
  const { toast } = useToast();
  const qc = useQueryClient();
  const [creating, setCreating] = useState(false);
  const query = useQuery({
    queryKey: [...FUNNELS_KEY, "list"],
    queryFn: () => unwrap(api.GET("/api/funnels", { params: { query: { page: 1, page_size: 200 } } })),
  });
  const refresh = () => void qc.invalidateQueries({ queryKey: FUNNELS_KEY });
  const clone = useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/api/funnels/{funnel_id}/clone", { params: { path: { funnel_id: id } }, body: {} })),
    onSuccess: () => {
      refresh();
      toast(t("funnels.cloned"));
    },
    onError: (e) => toast(errorMessage(e, t), "error"),
  });
  const remove = async (funnel: Funnel) => {
    await unwrap(api.DELETE("/api/funnels/{funnel_id}", { params: { path: { funnel_id: funnel.id } } }));
    refresh();
    toast(t("funnels.deleted"));
  };
  const columns: SortableColumn<Funnel>[] = [
    { id: "name", header: t("funnels.col.name"), value: (f) => f.name, render: (f) => <Link className="font-medium text-primary hover:underline" to={`/funnels/${f.id}`}>{f.name}</Link> },
    { id: "slug", header: t("funnels.col.slug"), value: (f) => f.slug, render: (f) => <code className="text-xs">{f.slug}</code> },
    { id: "steps", header: t("funnels.col.steps"), value: (f) => f.step_count, numeric: true },
    {
      id: "status",
      header: t("funnels.col.status"),
      value: (f) => (f.is_active ? t("funnels.active") : t("funnels.inactive")),
      render: (f) => <Badge variant={f.is_active ? "success" : "secondary"}>{f.is_active ? t("funnels.active") : t("funnels.inactive")}</Badge>,
    },
    { id: "created", header: t("funnels.col.created"), value: (f) => f.created_at, render: (f) => formatDate(f.created_at, locale) },
  ];
  if (canWrite) {
    columns.push({
      id: "actions",
      header: "",
      value: () => "",
      render: (f) => (
        <div className="flex justify-end gap-1">
          <Button variant="ghost" size="icon" aria-label={`${t("funnels.clone")} ${f.name}`} onClick={() => clone.mutate(f.id)} disabled={clone.isPending}>
            <Copy aria-hidden />
          </Button>
          <DeleteButton name={f.name} title={t("funnels.delete")} description={t("funnels.deleteConfirm", { name: f.name })} onConfirm={() => remove(f)} />
        </div>
      ),
    });
  }
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <h1 className="text-2xl font-semibold">{t("funnels.title")}</h1>
          <p className="max-w-2xl text-sm text-muted-foreground">{t("funnels.intro")}</p>
        </div>
        <div className="flex flex-wrap gap-2">
          <Button asChild variant="outline">
            <Link to="/funnels/recovery" data-testid="funnel-recovery">
              <LifeBuoy aria-hidden />
              {t("recovery.link")}
            </Link>
          </Button>
          {canWrite ? (
            <Button onClick={() => setCreating(true)} data-testid="funnel-new">
              <Plus aria-hidden />
              {t("funnels.new")}
            </Button>
          ) : null}
        </div>
      </div>
      <QueryStates query={query}>
        {(data) =>
          data.items.length === 0 ? (
            <EmptyState message={t("funnels.empty")} action={canWrite ? <Button onClick={() => setCreating(true)}>{t("funnels.new")}</Button> : undefined} />
          ) : (
            <SortableTable columns={columns} rows={data.items} rowKey={(f) => f.id} csvFilename="funnels.csv" testId="funnels-table" />
          )
        }
      </QueryStates>
      {creating ? <CreateFunnelDialog open onClose={() => setCreating(false)} /> : null}
    </div>
  );
}

export default function FunnelsPage() {
  return (
    <Routes>
      <Route index element={<FunnelList />} />
      <Route path="recovery" element={<RecoveryPage />} />
      <Route path=":funnelId" element={<FunnelEditor />} />
      <Route path=":funnelId/monitor" element={<MonitorPage />} />
      <Route path=":funnelId/analytics" element={<FunnelAnalyticsPage />} />
    </Routes>
  );
}
