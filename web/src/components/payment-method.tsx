import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { useI18n, type MessageKey } from "@/i18n";

/** The payment methods a sale usually names (any other short code can be typed). */
export const PAYMENT_METHODS = ["pix", "credit_card", "boleto", "debit_card"] as const;

/** A payment method's name in the interface: the known ones translated, others as typed. */
export function usePaymentMethodLabel() {
  const { t } = useI18n();
  return (code: string | null | undefined) => {
    if (!code) return t("profit.anyMethod");
    return (PAYMENT_METHODS as readonly string[]).includes(code) ? t(`profit.method.${code}` as MessageKey) : code;
  };
}

/** A payment method picked from the usual ones, "any other", or typed as a short code. */
export function PaymentMethodInput({ value, onChange, id }: { value: string; onChange: (v: string) => void; id?: string }) {
  const { t } = useI18n();
  const label = usePaymentMethodLabel();
  const known = value === "" || (PAYMENT_METHODS as readonly string[]).includes(value);
  return (
    <div className="flex min-w-40 gap-2">
      <NativeSelect id={id} aria-label={t("profit.methodLabel")} value={known ? value : "__other"} onChange={(e) => onChange(e.target.value === "__other" ? "outro" : e.target.value)} data-testid="fee-method">
        <option value="">{label(null)}</option>
        {PAYMENT_METHODS.map((m) => (
          <option key={m} value={m}>
            {label(m)}
          </option>
        ))}
        <option value="__other">{t("profit.otherMethod")}</option>
      </NativeSelect>
      {known ? null : <Input aria-label={t("profit.methodCode")} value={value} maxLength={40} onChange={(e) => onChange(e.target.value.toLowerCase())} className="w-28" />}
    </div>
  );
}
