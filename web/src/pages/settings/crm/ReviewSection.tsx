import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link2 } from "lucide-react";
import { useState } from "react";
import { api, unwrap } from "@/api/client";
import { ConfirmDialog } from "@/components/ui/alert-dialog";
import { Button } from "@/components/ui/button";
import { FormDialog } from "@/components/ui/form-dialog";
import { Label } from "@/components/ui/label";
import { NativeSelect } from "@/components/ui/native-select";
import { Pagination } from "@/components/ui/pagination";
import { QueryStates } from "@/components/ui/query-states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { errorMessage } from "@/lib/errors";
import { formatDateTime } from "@/lib/format";
import { PAGE_SIZE, usePageParam } from "@/lib/usePage";
import { LeadPicker } from "@/pages/crm/LeadPicker";
import { StageOptions } from "@/pages/crm/shared";
import type { LeadSummary, ResolveDelivery, Stage, WebhookDelivery } from "@/pages/crm/types";
import { SectionHeader } from "../SectionHeader";
import { integrationKey } from "./DestinationForm";

/** Assign a review item to a lead, optionally choosing our stage (when theirs had no mapping). */
export function AssignDialog({
  delivery,
  onResolve,
  onClose,
  busy,
  error,
}: {
  delivery: WebhookDelivery | null;
  onResolve: (body: ResolveDelivery) => void;
  onClose: () => void;
  busy?: boolean;
  error?: unknown;
}) {
  const { t } = useI18n();
  const [lead, setLead] = useState<LeadSummary | null>(null);
  const [stage, setStage] = useState<Stage | "">("");
  return (
    <FormDialog
      open={delivery !== null}
      onClose={onClose}
      title={t("crm.review.assignTitle")}
      description={delivery?.reason ?? undefined}
      testId="assign-dialog"
      form={{
        onSubmit: () => {
          if (lead) onResolve({ action: "apply", lead_id: lead.lead_id, stage: stage === "" ? null : stage });
        },
        submitLabel: t("crm.review.assign"),
        busyLabel: t("crm.review.assign"),
        busy,
        disabled: !lead,
        error,
        submitTestId: "assign-submit",
      }}
    >
      <LeadPicker value={lead} onChange={setLead} />
      <div className="grid gap-1.5">
        <Label htmlFor="assign-stage">{t("crm.review.stage")}</Label>
        <NativeSelect id="assign-stage" value={stage} onChange={(e) => setStage(e.target.value as Stage | "")}>
          <option value="">{t("crm.review.theirStage")}</option>
          <StageOptions />
        </NativeSelect>
      </div>
    </FormDialog>
  );
}

/** The deliveries waiting for a person: what came in, why it was not placed, and the two ways out. */
export function ReviewTable({ deliveries, onAssign, onDismiss }: { deliveries: WebhookDelivery[]; onAssign: (d: WebhookDelivery) => void; onDismiss: (d: WebhookDelivery) => Promise<unknown> }) {
  const { t, locale } = useI18n();
  return (
    <Table>
      <THead>
        <TR>
          <TH>{t("crm.review.received")}</TH>
          <TH>{t("crm.hooks.provider")}</TH>
          <TH>{t("crm.review.record")}</TH>
          <TH>{t("crm.review.reason")}</TH>
          <TH className="text-right">{t("common.actions")}</TH>
        </TR>
      </THead>
      <TBody>
        {deliveries.map((d) => (
          <TR key={d.delivery_id} data-testid="review-row">
            <TD className="whitespace-nowrap">
              <time dateTime={d.received_at}>{formatDateTime(d.received_at, locale)}</time>
            </TD>
            <TD>{t(integrationKey(d.provider))}</TD>
            <TD className="max-w-[16rem]">
              <div className="break-all font-mono text-xs">{d.record_id ?? d.external_event_id}</div>
              <details className="mt-1">
                <summary className="cursor-pointer text-xs text-muted-foreground">{t("crm.review.payload")}</summary>
                <pre className="mt-1 max-h-48 overflow-auto whitespace-pre-wrap break-all rounded bg-muted p-2 text-xs">{JSON.stringify(d.payload, null, 2)}</pre>
              </details>
            </TD>
            <TD className="max-w-[18rem] break-words text-sm">{d.reason ?? ""}</TD>
            <TD className="text-right">
              <div className="flex justify-end gap-1">
                <Button variant="outline" size="sm" onClick={() => onAssign(d)} data-testid="review-assign">
                  <Link2 aria-hidden />
                  {t("crm.review.assign")}
                </Button>
                <ConfirmDialog
                  trigger={
                    <Button variant="ghost" size="sm" data-testid="review-dismiss">
                      {t("crm.review.dismiss")}
                    </Button>
                  }
                  title={t("crm.review.dismissTitle")}
                  description={t("crm.review.dismissConfirm")}
                  confirmLabel={t("crm.review.dismiss")}
                  onConfirm={() => onDismiss(d)}
                />
              </div>
            </TD>
          </TR>
        ))}
      </TBody>
    </Table>
  );
}

/** Settings → CRM review: inbound CRM events that matched no lead or stage. */
export default function ReviewSection() {
  const { t } = useI18n();
  const { toast } = useToast();
  const qc = useQueryClient();
  const [page, setPage] = usePageParam();
  const [assigning, setAssigning] = useState<WebhookDelivery | null>(null);
  const list = useQuery({
    queryKey: ["crm", "webhook-deliveries", "review", page],
    queryFn: () => unwrap(api.GET("/api/crm/webhook-deliveries", { params: { query: { status: "review", page, page_size: PAGE_SIZE } } })),
    placeholderData: keepPreviousData,
  });
  const resolve = useMutation({
    mutationFn: ({ delivery, body }: { delivery: WebhookDelivery; body: ResolveDelivery }) =>
      unwrap(api.POST("/api/crm/webhook-deliveries/{delivery_id}/resolve", { params: { path: { delivery_id: delivery.delivery_id } }, body })),
    onSuccess: (_r, { body }) => {
      toast(t(body.action === "apply" ? "crm.review.applied" : "crm.review.dismissed"));
      setAssigning(null);
      void qc.invalidateQueries({ queryKey: ["crm", "webhook-deliveries"] });
      void qc.invalidateQueries({ queryKey: ["crm", "pipeline"] });
      void qc.invalidateQueries({ queryKey: ["crm", "leads"] });
    },
  });
  return (
    <section className="grid gap-4">
      <SectionHeader title={t("crm.review.title")} description={t("crm.review.description")} />
      <QueryStates query={list} isEmpty={(d) => d.items.length === 0} empty={t("crm.review.empty")}>
        {(data) => (
          <div>
            <ReviewTable
              deliveries={data.items}
              onAssign={(d) => {
                resolve.reset();
                setAssigning(d);
              }}
              onDismiss={(d) =>
                resolve.mutateAsync({ delivery: d, body: { action: "dismiss" } }).catch((e: unknown) => {
                  toast(errorMessage(e, t), "error");
                })
              }
            />
            <Pagination page={page} pageSize={PAGE_SIZE} total={data.total} onPageChange={setPage} />
          </div>
        )}
      </QueryStates>
      <AssignDialog
        key={assigning?.delivery_id ?? "none"}
        delivery={assigning}
        onClose={() => setAssigning(null)}
        onResolve={(body) => assigning && resolve.mutate({ delivery: assigning, body })}
        busy={resolve.isPending}
        error={resolve.error}
      />
    </section>
  );
}
