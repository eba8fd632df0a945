import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, unwrap } from "@/api/client";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { FormError } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast";
import { useI18n } from "@/i18n";
import { fieldErrors } from "@/lib/errors";

const MIN_LENGTH = 10;

export default function PasswordSection() {
  const { t } = useI18n();
  const { toast } = useToast();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");
  const [localError, setLocalError] = useState<string | null>(null);
  const change = useMutation({
    mutationFn: () => unwrap(api.POST("/api/auth/password", { body: { current_password: current, new_password: next } })),
    onSuccess: () => {
      toast(t("password.changed"));
      setCurrent("");
      setNext("");
      setConfirm("");
    },
  });
  const fe = fieldErrors(change.error);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (next.length < MIN_LENGTH) return setLocalError(t("password.tooShort"));
    if (next !== confirm) return setLocalError(t("password.mismatch"));
    setLocalError(null);
    change.mutate();
  };

  return (
    <Card>
      <CardHeader>
        <CardTitle>{t("password.title")}</CardTitle>
        <CardDescription>{t("password.description")}</CardDescription>
      </CardHeader>
      <CardContent>
        <form onSubmit={submit} className="grid max-w-md gap-4">
          <input type="text" name="username" autoComplete="username" hidden readOnly />
          <Field label={t("password.current")} error={fe.current_password}>
            {(p) => <Input {...p} type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} required />}
          </Field>
          <Field label={t("password.new")} error={fe.new_password} hint={t("password.description")}>
            {(p) => <Input {...p} type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} required minLength={MIN_LENGTH} />}
          </Field>
          <Field label={t("password.confirm")}>
            {(p) => <Input {...p} type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} required />}
          </Field>
          {localError ? (
            <p role="alert" className="text-sm text-destructive">
              {localError}
            </p>
          ) : null}
          {change.error && Object.keys(fe).length === 0 ? <FormError error={change.error} /> : null}
          <div>
            <Button type="submit" disabled={change.isPending || !current || !next || !confirm}>
              {change.isPending ? t("common.saving") : t("password.submit")}
            </Button>
          </div>
        </form>
      </CardContent>
    </Card>
  );
}
