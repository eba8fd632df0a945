import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Plus } from "lucide-react";
import { useState } from "react";
import { api, unwrap } from "@/api/client";
import { useCurrentUser } from "@/auth/session";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { FormDialog } from "@/components/ui/form-dialog";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { QueryStates } from "@/components/ui/query-states";
import { DeleteButton } from "@/components/ui/row-actions";
import { SortableTable, type SortableColumn } from "@/components/ui/sortable-table";
import { Textarea } from "@/components/ui/textarea";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { FUNNELS_SCRIPTS, PIXEL_TYPES, type Pixel, type PixelCreate, type Step } from "./types";

const EVENTS = ["", "Lead", "InitiateCheckout", "ViewContent", "AddToCart", "CompleteRegistration", "Purchase"];

function PixelDialog({ funnelId, steps, onClose }: { funnelId: string; steps: Step[]; onClose: () => void }) {
  const { t } = useI18n();
  const me = useCurrentUser();
  const qc = useQueryClient();
  const types = PIXEL_TYPES.filter((p) => p !== "custom" || me.permissions.includes(FUNNELS_SCRIPTS));
  const [draft, setDraft] = useState({ pixel_type: "facebook" as Pixel["pixel_type"], pixel_id: "", event_name: "", step_id: "", snippet: "" });
  const create = useMutation({
    mutationFn: (body: PixelCreate) => unwrap(api.POST("/api/tracking/pixels", { body })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ["funnels", funnelId, "pixels"] });
      onClose();
    },
  });
  const custom = draft.pixel_type === "custom";
  return (
    <FormDialog
      open
      onClose={onClose}
      title={t("funnels.pixels.add")}
      form={{
        onSubmit: () =>
          create.mutate({
            funnel_id: funnelId,
            pixel_type: draft.pixel_type,
            pixel_id: draft.pixel_id,
            event_name: draft.event_name || null,
            step_id: draft.step_id || null,
            snippet: custom ? draft.snippet : null,
            is_active: true,
          }),
        submitLabel: t("funnels.pixels.add"),
        busy: create.isPending,
        disabled: !draft.pixel_id || (custom && !draft.snippet),
        error: create.error,
      }}
    >
      <Field label={t("funnels.pixels.type")}>
        {(p) => (
          <NativeSelect {...p} value={draft.pixel_type} onChange={(e) => setDraft({ ...draft, pixel_type: e.target.value as Pixel["pixel_type"] })}>
            {types.map((type) => (
              <option key={type} value={type}>
                {t(`funnels.pixelType.${type}`)}
              </option>
            ))}
          </NativeSelect>
        )}
      </Field>
      <Field label={t("funnels.pixels.id")}>{(p) => <Input {...p} value={draft.pixel_id} maxLength={255} onChange={(e) => setDraft({ ...draft, pixel_id: e.target.value })} />}</Field>
      {custom ? (
        <Field label={t("funnels.pixels.snippet")}>{(p) => <Textarea {...p} rows={5} value={draft.snippet} maxLength={10000} onChange={(e) => setDraft({ ...draft, snippet: e.target.value })} />}</Field>
      ) : (
        <Field label={t("funnels.pixels.event")}>
          {(p) => (
            <NativeSelect {...p} value={draft.event_name} onChange={(e) => setDraft({ ...draft, event_name: e.target.value })}>
              {EVENTS.map((name) => (
                <option key={name} value={name}>
                  {name || "PageView"}
                </option>
              ))}
            </NativeSelect>
          )}
        </Field>
      )}
      <Field label={t("funnels.pixels.step")}>
        {(p) => (
          <NativeSelect {...p} value={draft.step_id} onChange={(e) => setDraft({ ...draft, step_id: e.target.value })}>
            <option value="">{t("funnels.pixels.allSteps")}</option>
            {steps.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </NativeSelect>
        )}
      </Field>
    </FormDialog>
  );
}

/** The funnel's pixels: platform, id, event and pages, with CSV. */
export function PixelsSection({ funnelId, steps, canWrite }: { funnelId: string; steps: Step[]; canWrite: boolean }) {
  const { t } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const [adding, setAdding] = useState(false);
  const query = useQuery({
    queryKey: ["funnels", funnelId, "pixels"],
    queryFn: () => unwrap(api.GET("/api/tracking/pixels", { params: { query: { funnel_id: funnelId, page: 1, page_size: 200 } } })),
  });
  const stepName = (id: string | null) => (id ? (steps.find((s) => s.id === id)?.name ?? "—") : t("funnels.pixels.allSteps"));
  const columns: SortableColumn<Pixel>[] = [
    { id: "type", header: t("funnels.pixels.type"), value: (p) => t(`funnels.pixelType.${p.pixel_type}`) },
    { id: "id", header: t("funnels.pixels.id"), value: (p) => p.pixel_id, render: (p) => <code className="text-xs">{p.pixel_id}</code> },
    { id: "event", header: t("funnels.pixels.event"), value: (p) => p.event_name ?? "PageView" },
    { id: "step", header: t("funnels.pixels.step"), value: (p) => stepName(p.step_id) },
  ];
  if (canWrite) {
    columns.push({
      id: "actions",
      header: "",
      value: () => "",
      render: (p) => (
        <DeleteButton
          name={p.pixel_id}
          title={t("common.delete")}
          description={`${t(`funnels.pixelType.${p.pixel_type}`)} ${p.pixel_id}`}
          onConfirm={async () => {
            await unwrap(api.DELETE("/api/tracking/pixels/{pixel_id}", { params: { path: { pixel_id: p.id } } }));
            void qc.invalidateQueries({ queryKey: ["funnels", funnelId, "pixels"] });
            toast(t("funnels.pixels.deleted"));
          }}
        />
      ),
    });
  }
  return (
    <Card>
      <CardHeader className="flex flex-row items-center justify-between gap-2 space-y-0">
        <CardTitle className="text-base">{t("funnels.pixels")}</CardTitle>
        {canWrite ? (
          <Button size="sm" variant="outline" onClick={() => setAdding(true)}>
            <Plus aria-hidden />
            {t("funnels.pixels.add")}
          </Button>
        ) : null}
      </CardHeader>
      <CardContent>
        <QueryStates query={query} isEmpty={(d) => d.items.length === 0} empty={t("funnels.pixels.empty")}>
          {(data) => <SortableTable columns={columns} rows={data.items} rowKey={(p) => p.id} csvFilename="pixels.csv" testId="pixels-table" />}
        </QueryStates>
      </CardContent>
      {adding ? <PixelDialog funnelId={funnelId} steps={steps} onClose={() => setAdding(false)} /> : null}
    </Card>
  );
}
