import { useId, useState, type FormEvent } from "react";
import { Checkbox } from "@/components/ui/checkbox";
import { Field } from "@/components/ui/field";
import { FormActions } from "@/components/ui/form-dialog";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { useI18n } from "@/i18n";
import { fieldErrors } from "@/lib/errors";
import { toOrigin } from "./DomainForm";
import type { LandingPage, LandingPageCreate, LandingPageUpdate } from "./types";

export function LandingPageForm({
  domainId,
  page,
  onSubmit,
  onCancel,
  error,
  busy,
}: {
  domainId: string;
  page?: LandingPage;
  onSubmit: (body: LandingPageCreate | LandingPageUpdate) => void;
  onCancel: () => void;
  error?: unknown;
  busy?: boolean;
}) {
  const { t } = useI18n();
  const editing = page !== undefined;
  const id = useId();
  const [url, setUrl] = useState(page?.page_url ?? "");
  const [name, setName] = useState(page?.page_name ?? "");
  const [variant, setVariant] = useState(page?.page_variant ?? "");
  const [weight, setWeight] = useState(String(page?.variant_weight ?? 1));
  const [isActive, setIsActive] = useState(page?.is_active ?? true);
  const [local, setLocal] = useState<Record<string, string>>({});
  const fe = { ...fieldErrors(error), ...local };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const problems: Record<string, string> = {};
    if (!toOrigin(url)) problems.page_url = t("tracking.lp.invalidUrl");
    const w = Number(weight);
    if (!Number.isInteger(w) || w < 0 || w > 1000) problems.variant_weight = "0–1000";
    setLocal(problems);
    if (Object.keys(problems).length) return;
    const common = {
      page_url: url.trim(),
      page_name: name.trim(),
      page_variant: variant.trim() === "" ? null : variant.trim(),
      variant_weight: w,
      is_active: isActive,
    };
    if (editing) onSubmit(common satisfies LandingPageUpdate);
    else onSubmit({ ...common, domain_id: domainId, is_control: false } satisfies LandingPageCreate);
  };

  return (
    <form onSubmit={submit} noValidate className="grid gap-4" aria-label={editing ? t("tracking.lp.editTitle", { name: page.page_name }) : t("tracking.lp.addTitle")}>
      <Field label={t("tracking.lp.name")} error={fe.page_name}>
        {(p) => <Input {...p} name="page_name" value={name} onChange={(e) => setName(e.target.value)} maxLength={255} required />}
      </Field>
      <Field label={t("tracking.lp.url")} error={fe.page_url}>
        {(p) => <Input {...p} name="page_url" type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://" required />}
      </Field>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label={t("tracking.lp.variant")} optionalText={t("common.optional")} error={fe.page_variant}>
          {(p) => <Input {...p} name="page_variant" value={variant} onChange={(e) => setVariant(e.target.value)} maxLength={50} />}
        </Field>
        <Field label={t("tracking.lp.weight")} error={fe.variant_weight}>
          {(p) => <Input {...p} name="variant_weight" type="number" min={0} max={1000} value={weight} onChange={(e) => setWeight(e.target.value)} />}
        </Field>
      </div>
      <div className="flex items-center gap-2">
        <Checkbox id={`${id}-active`} checked={isActive} onCheckedChange={(c) => setIsActive(c === true)} />
        <Label htmlFor={`${id}-active`}>{t("tracking.lp.active")}</Label>
      </div>
      <FormActions onCancel={onCancel} submitLabel={t("common.save")} busy={busy} disabled={name.trim() === "" || url.trim() === ""} error={error} submitTestId="landing-page-submit" />
    </form>
  );
}
