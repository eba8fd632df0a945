import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Plus } from "lucide-react";
import { useState } from "react";
import { api, unwrap } from "@/api/client";
import { useCurrentUser } from "@/auth/session";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { FormDialog } from "@/components/ui/form-dialog";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { QueryStates } from "@/components/ui/query-states";
import { DeleteButton } from "@/components/ui/row-actions";
import { SortableTable, type SortableColumn } from "@/components/ui/sortable-table";
import { Textarea } from "@/components/ui/textarea";
import { useToast } from "@/components/ui/toast";
import { useI18n, type TFunction } from "@/i18n";
import { errorMessage } from "@/lib/errors";
import { formatDate, formatNumber } from "@/lib/format";
import { CriteriaFields, EMPTY_CRITERIA, criteriaFilter, describeCriteria } from "./AudienceCriteria";
import { useAudiences } from "./queries";
import { SectionTitle } from "./shared";
import { AUDIENCES_KEY, EMAIL_WRITE, type Audience, type AudienceCreate } from "./types";

/** "a, b ,, c" → ["a", "b", "c"]. */
export function splitTags(text: string): string[] {
  return [...new Set(text.split(",").map((s) => s.trim()).filter(Boolean))];
}

/** "plano=Pro\ncidade = Recife" → {plano: "Pro", cidade: "Recife"}; lines without "=" are ignored. */
export function parseAttributes(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const at = line.indexOf("=");
    if (at <= 0) continue;
    const key = line.slice(0, at).trim();
    if (key) out[key] = line.slice(at + 1).trim();
  }
  return out;
}

/** A saved filter in words ("any tag: vip, cliente · every tag: ativo · plano = Pro"). */
export function describeFilter(filter: Audience["filter"], t: TFunction): string {
  const any = (filter.tags_any as string[] | undefined) ?? [];
  const all = (filter.tags_all as string[] | undefined) ?? [];
  const attrs = (filter.attributes as Record<string, unknown> | undefined) ?? {};
  const parts = [
    any.length ? t("email.audience.rule.any", { tags: any.join(", ") }) : null,
    all.length ? t("email.audience.rule.all", { tags: all.join(", ") }) : null,
    ...Object.entries(attrs).map(([k, v]) => `${k} = ${String(v)}`),
    ...describeCriteria(filter, t),
  ].filter(Boolean);
  return parts.length ? parts.join(" · ") : t("email.audience.rule.everyone");
}

function CreateAudienceDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const [draft, setDraft] = useState({ name: "", kind: "static" as "static" | "filter", any: "", all: "", attributes: "" });
  const [criteria, setCriteria] = useState(EMPTY_CRITERIA);
  const create = useMutation({
    mutationFn: (body: AudienceCreate) => unwrap(api.POST("/api/email/audiences", { body })),
    onSuccess: (a) => {
      void qc.invalidateQueries({ queryKey: AUDIENCES_KEY });
      toast(t("email.audience.created", { name: a.name }));
      setDraft({ name: "", kind: "static", any: "", all: "", attributes: "" });
      setCriteria(EMPTY_CRITERIA);
      onClose();
    },
  });
  return (
    <FormDialog
      open={open}
      onClose={onClose}
      title={t("email.audience.new")}
      description={t("email.audience.newDescription")}
      testId="audience-create"
      form={{
        onSubmit: () =>
          create.mutate({
            name: draft.name.trim(),
            kind: draft.kind,
            filter: draft.kind === "filter" ? { tags_any: splitTags(draft.any), tags_all: splitTags(draft.all), attributes: parseAttributes(draft.attributes), ...criteriaFilter(criteria) } : null,
          }),
        submitLabel: t("email.audience.create"),
        busy: create.isPending,
        disabled: !draft.name.trim(),
        error: create.error,
        submitTestId: "audience-submit",
      }}
    >
      <Field label={t("email.audience.name")}>{(p) => <Input {...p} value={draft.name} maxLength={200} required onChange={(e) => setDraft({ ...draft, name: e.target.value })} data-testid="audience-name" />}</Field>
      <Field label={t("email.audience.kind")} hint={t(draft.kind === "static" ? "email.audience.kind.staticHint" : "email.audience.kind.filterHint")}>
        {(p) => (
          <NativeSelect {...p} value={draft.kind} onChange={(e) => setDraft({ ...draft, kind: e.target.value as "static" | "filter" })} data-testid="audience-kind">
            <option value="static">{t("email.audience.kind.static")}</option>
            <option value="filter">{t("email.audience.kind.filter")}</option>
          </NativeSelect>
        )}
      </Field>
      {draft.kind === "filter" ? (
        <>
          <Field label={t("email.audience.tagsAny")} hint={t("email.audience.tagsHint")} optionalText={t("common.optional")}>
            {(p) => <Input {...p} value={draft.any} onChange={(e) => setDraft({ ...draft, any: e.target.value })} data-testid="audience-tags-any" />}
          </Field>
          <Field label={t("email.audience.tagsAll")} hint={t("email.audience.tagsHint")} optionalText={t("common.optional")}>
            {(p) => <Input {...p} value={draft.all} onChange={(e) => setDraft({ ...draft, all: e.target.value })} />}
          </Field>
          <Field label={t("email.audience.attributes")} hint={t("email.audience.attributesHint")} optionalText={t("common.optional")}>
            {(p) => <Textarea {...p} rows={3} value={draft.attributes} onChange={(e) => setDraft({ ...draft, attributes: e.target.value })} />}
          </Field>
          <CriteriaFields draft={criteria} onChange={setCriteria} />
        </>
      ) : null}
    </FormDialog>
  );
}

/** Who campaigns reach: static lists and saved filters, with how many contacts each has now. */
export default function AudiencesSection() {
  const { t, locale } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const me = useCurrentUser();
  const canWrite = me.permissions.includes(EMAIL_WRITE);
  const audiences = useAudiences();
  const [creating, setCreating] = useState(false);
  const remove = useMutation({
    mutationFn: (a: Audience) => unwrap(api.DELETE("/api/email/audiences/{audience_id}", { params: { path: { audience_id: a.audience_id } } })),
    onSuccess: (_r, a) => {
      void qc.invalidateQueries({ queryKey: AUDIENCES_KEY });
      toast(t("email.audience.deleted", { name: a.name }));
    },
    onError: (e) => toast(errorMessage(e, t), "error"),
  });
  const kindLabel = (a: Audience) => t(a.kind === "static" ? "email.audience.kind.static" : "email.audience.kind.filter");
  const columns: SortableColumn<Audience>[] = [
    { id: "name", header: t("email.audience.name"), value: (a) => a.name, render: (a) => <span className="break-words font-medium">{a.name}</span> },
    { id: "kind", header: t("email.audience.kind"), value: kindLabel, render: (a) => <Badge variant={a.kind === "static" ? "secondary" : "outline"}>{kindLabel(a)}</Badge> },
    { id: "rule", header: t("email.audience.rule"), value: (a) => (a.kind === "filter" ? describeFilter(a.filter, t) : ""), render: (a) => (a.kind === "filter" ? <span className="break-words text-sm">{describeFilter(a.filter, t)}</span> : <span className="text-muted-foreground">—</span>) },
    { id: "contacts", header: t("email.audience.contacts"), numeric: true, value: (a) => a.contacts, render: (a) => formatNumber(a.contacts, locale) },
    { id: "created", header: t("email.common.created"), value: (a) => a.created_at, render: (a) => formatDate(a.created_at, locale) },
    ...(canWrite
      ? [
          {
            id: "actions",
            header: t("common.actions"),
            value: () => null,
            csv: false as const,
            render: (a: Audience) => <DeleteButton name={a.name} title={t("email.audience.deleteTitle", { name: a.name })} description={t("email.audience.deleteDescription")} onConfirm={() => remove.mutateAsync(a)} testId="audience-delete" />,
          },
        ]
      : []),
  ];
  const newButton = canWrite ? (
    <Button onClick={() => setCreating(true)} data-testid="audience-new">
      <Plus aria-hidden />
      {t("email.audience.new")}
    </Button>
  ) : null;
  return (
    <section className="grid grid-cols-1 gap-4">
      <div className="flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
        <SectionTitle title={t("email.audiences.title")} subtitle={t("email.audiences.intro")} />
        {newButton}
      </div>
      <QueryStates query={audiences} isEmpty={(d) => d.length === 0} empty={t("email.audiences.empty")} emptyAction={newButton}>
        {(list) => <SortableTable columns={columns} rows={list} rowKey={(a) => a.audience_id} csvFilename="audiencias-email" testId="audiences-table" />}
      </QueryStates>
      <CreateAudienceDialog open={creating} onClose={() => setCreating(false)} />
    </section>
  );
}
