import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import { api, unwrap } from "@/api/client";
import { clearTokens } from "@/auth/tokens";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { useI18n } from "@/i18n";
import { errorMessage, fieldErrors } from "@/lib/errors";

/** The e-mailed link (`/reset-password#<token>`, the token in the fragment so it never reaches a server log) sets a new password. */
export default function ResetPasswordPage() {
  const { t } = useI18n();
  const token = window.location.hash.replace(/^#/, "");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [done, setDone] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const mismatch = confirm.length > 0 && confirm !== password;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await unwrap(api.POST("/api/auth/password-reset/confirm", { body: { token, new_password: password } }));
      clearTokens(); // every session of the account has ended
      setDone(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const fe = fieldErrors(error);

  return (
    <div className="flex min-h-screen flex-col items-center justify-center gap-6 bg-muted/40 p-4">
      <Card className="w-full max-w-sm">
        <CardHeader>
          <CardTitle>{t("reset.title")}</CardTitle>
          <CardDescription>{t("reset.subtitle")}</CardDescription>
        </CardHeader>
        <CardContent className="grid gap-4">
          {done ? (
            <p role="status" className="rounded-md bg-muted px-3 py-2 text-sm" data-testid="password-reset-done">
              {t("reset.done")}
            </p>
          ) : token.length < 10 ? (
            <p role="alert" className="text-sm text-destructive">
              {t("reset.missingToken")}
            </p>
          ) : (
            <form onSubmit={submit} className="grid gap-4" noValidate>
              <Field label={t("reset.password")} hint={t("invitation.passwordHint")} error={fe.new_password}>
                {(p) => (
                  <Input {...p} name="password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} required autoFocus />
                )}
              </Field>
              <Field label={t("reset.confirm")} error={mismatch ? t("reset.mismatch") : undefined}>
                {(p) => <Input {...p} name="confirm" type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} required />}
              </Field>
              {error && Object.keys(fe).length === 0 ? (
                <p role="alert" className="rounded-md border border-destructive/40 bg-destructive/5 px-3 py-2 text-sm text-destructive">
                  {errorMessage(error, t)}
                </p>
              ) : null}
              <Button type="submit" disabled={busy || password.length < 10 || confirm !== password}>
                {t("reset.submit")}
              </Button>
            </form>
          )}
          {done ? (
            <Link to="/login" className="text-sm font-medium underline">
              {t("reset.signIn")}
            </Link>
          ) : (
            <Link to="/forgot-password" className="text-sm text-muted-foreground underline">
              {t("reset.askAgain")}
            </Link>
          )}
        </CardContent>
      </Card>
    </div>
  );
}
