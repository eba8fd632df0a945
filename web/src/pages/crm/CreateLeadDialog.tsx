import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useNavigate } from "react-router";
import { api, unwrap } from "@/api/client";
import { FormDialog } from "@/components/ui/form-dialog";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { NativeSelect } from "@/components/ui/native-select";
import { useI18n } from "@/i18n";
import { OwnerOptions } from "./members";

interface Draft {
  name: string;
  email: string;
  phone: string;
  company: string;
  source: string;
  medium: string;
  campaign: string;
  ownerId: string;
}

const EMPTY: Draft = { name: "", email: "", phone: "", company: "", source: "", medium: "", campaign: "", ownerId: "" };

/** The capture body of a lead typed in the dashboard (blank fields left out). */
export function captureBody(draft: Draft) {
  const text = (v: string) => v.trim() || undefined;
  return {
    name: text(draft.name),
    email: text(draft.email),
    phone: text(draft.phone),
    company: text(draft.company),
    utm_source: text(draft.source),
    utm_medium: text(draft.medium),
    utm_campaign: text(draft.campaign),
  };
}

/**
 * A lead typed in by someone on the team (a phone call, an event): captured like a form's,
 * with its origin as UTM fields, and given an owner when one is picked; then its page opens.
 */
export function CreateLeadDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const set = (key: keyof Draft) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [key]: e.target.value }));
  const create = useMutation({
    mutationFn: async () => {
      const captured = await unwrap(api.POST("/api/leads", { body: captureBody(draft) }));
      if (draft.ownerId) {
        await unwrap(api.PATCH("/api/leads/{lead_id}", { params: { path: { lead_id: captured.lead_id } }, body: { owner_id: draft.ownerId } }));
      }
      return captured.lead_id;
    },
    onSuccess: (leadId) => {
      void qc.invalidateQueries({ queryKey: ["crm"] });
      setDraft(EMPTY);
      onClose();
      navigate(`/leads/${leadId}`);
    },
  });
  const blank = !draft.email.trim() && !draft.phone.trim();
  const field = (key: keyof Draft, label: string, props: Record<string, unknown> = {}) => (
    <div className="grid gap-1.5">
      <Label htmlFor={`new-lead-${key}`}>{label}</Label>
      <Input id={`new-lead-${key}`} value={draft[key]} onChange={set(key)} maxLength={255} {...props} />
    </div>
  );
  return (
    <FormDialog
      open={open}
      onClose={onClose}
      title={t("crm.create.title")}
      description={t("crm.create.description")}
      testId="create-lead-dialog"
      form={{
        onSubmit: () => create.mutate(),
        submitLabel: t("crm.create.submit"),
        busy: create.isPending,
        disabled: blank,
        error: create.error,
        submitTestId: "create-lead-submit",
      }}
    >
      <div className="grid gap-3 sm:grid-cols-2">
        {field("name", t("crm.create.name"))}
        {field("company", t("crm.lead.company"))}
        {field("email", t("crm.create.email"), { type: "email", maxLength: 320 })}
        {field("phone", t("crm.create.phone"), { type: "tel", maxLength: 40 })}
        {field("source", t("crm.lead.source"), { placeholder: t("crm.create.sourcePlaceholder") })}
        {field("medium", t("crm.create.medium"))}
        {field("campaign", t("crm.lead.campaign"))}
        <div className="grid gap-1.5">
          <Label htmlFor="new-lead-owner">{t("crm.lead.owner")}</Label>
          <NativeSelect id="new-lead-owner" value={draft.ownerId} onChange={set("ownerId")}>
            <option value="">{t("crm.create.noOwner")}</option>
            <OwnerOptions />
          </NativeSelect>
        </div>
      </div>
      {blank ? <p className="text-xs text-muted-foreground">{t("crm.create.needsContact")}</p> : null}
    </FormDialog>
  );
}
