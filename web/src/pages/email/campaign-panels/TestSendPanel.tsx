import { useMutation } from "@tanstack/react-query";
import { Eye, Send } from "lucide-react";
import { useState, type FormEvent } from "react";
import { api, unwrap } from "@/api/client";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { FormError } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";

/**
 * A campaign's preview (merge fields of an example person, the HTML in a sandboxed frame)
 * and test send to one address, for the campaign editor to mount. A test send creates no
 * message and counts in no report.
 */
export function TestSendPanel({ campaignId, variants = [] }: { campaignId: string; variants?: string[] }) {
  const { t } = useI18n();
  const { toast } = useToast();
  const [variant, setVariant] = useState<number | null>(variants.length ? 0 : null);
  const [email, setEmail] = useState("");
  const path = { campaign_id: campaignId };
  const preview = useMutation({
    mutationFn: () => unwrap(api.POST("/api/email/campaigns/{campaign_id}/preview", { params: { path }, body: { variant } })),
  });
  const send = useMutation({
    mutationFn: () => unwrap(api.POST("/api/email/campaigns/{campaign_id}/test-send", { params: { path }, body: { email: email.trim(), variant } })),
    onSuccess: (result) =>
      result.outcome === "sent" ? toast(t("emailTest.sent", { email: email.trim() })) : toast(t("emailTest.notSent", { reason: result.error ?? result.outcome }), "error"),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (email.trim()) send.mutate();
  };
  return (
    <Card data-testid="test-send-panel">
      <CardHeader>
        <CardTitle className="text-base">{t("emailTest.title")}</CardTitle>
        <CardDescription>{t("emailTest.description")}</CardDescription>
      </CardHeader>
      <CardContent className="grid gap-4">
        {variants.length ? (
          <Field label={t("emailTest.variant")}>
            {(ids) => (
              <NativeSelect {...ids} value={variant ?? 0} onChange={(e) => setVariant(Number(e.target.value))}>
                {variants.map((subject, i) => (
                  <option key={i} value={i}>
                    {String.fromCharCode(65 + i)}: {subject}
                  </option>
                ))}
              </NativeSelect>
            )}
          </Field>
        ) : null}
        <div>
          <Button variant="outline" onClick={() => preview.mutate()} disabled={preview.isPending}>
            <Eye aria-hidden />
            {t("emailTest.preview")}
          </Button>
        </div>
        <FormError error={preview.error} />
        {preview.data ? (
          <div className="grid gap-2" data-testid="campaign-preview">
            <p className="text-sm">
              <span className="text-muted-foreground">{t("emailTest.subject")}: </span>
              <strong>{preview.data.subject}</strong>
            </p>
            <iframe title={t("emailTest.previewFrame")} sandbox="" srcDoc={preview.data.html} className="h-96 w-full rounded-md border bg-white" />
          </div>
        ) : null}
        <form className="flex flex-col gap-2 sm:flex-row sm:items-end" onSubmit={submit}>
          <div className="grow">
            <Field label={t("emailTest.email")}>
              {(ids) => <Input {...ids} type="email" value={email} maxLength={320} required onChange={(e) => setEmail(e.target.value)} />}
            </Field>
          </div>
          <Button type="submit" disabled={!email.trim() || send.isPending} data-testid="test-send">
            <Send aria-hidden />
            {t("emailTest.send")}
          </Button>
        </form>
        <FormError error={send.error} />
      </CardContent>
    </Card>
  );
}
