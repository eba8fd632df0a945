import { useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import { api, unwrap } from "@/api/client";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { useI18n } from "@/i18n";
import { errorMessage } from "@/lib/errors";

/**
 * "Esqueci minha senha": asks for a reset link by e-mail. The answer never says whether the address has an account.
 * When the server sends no e-mail (`MAIL_SENDER=none`), no link would arrive: the page says to ask an administrator.
 */
export default function ForgotPasswordPage() {
  const { t } = useI18n();
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const options = useQuery({
    queryKey: ["auth", "password-reset", "options"],
    queryFn: () => unwrap(api.GET("/api/auth/password-reset/options")),
    staleTime: Infinity,
  });
  const noMail = options.data?.by_email === false;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await unwrap(api.POST("/api/auth/password-reset", { body: { email: email.trim() } }));
      setSent(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="flex min-h-screen flex-col items-center justify-center gap-6 bg-muted/40 p-4">
      <Card className="w-full max-w-sm">
        <CardHeader>
          <CardTitle>{t("forgot.title")}</CardTitle>
          <CardDescription>{t(noMail ? "forgot.noMailSubtitle" : "forgot.subtitle")}</CardDescription>
        </CardHeader>
        <CardContent className="grid gap-4">
          {noMail ? (
            <div role="status" className="grid gap-2 rounded-md bg-muted px-3 py-2 text-sm" data-testid="reset-no-mail">
              <p>{t("forgot.noMail")}</p>
              <p>{t("forgot.noMailAdmin")}</p>
              <code className="break-all rounded bg-background px-2 py-1 text-xs">rastro users reset-link --email {t("forgot.noMailPlaceholder")}</code>
            </div>
          ) : sent ? (
            <p role="status" className="rounded-md bg-muted px-3 py-2 text-sm" data-testid="reset-requested">
              {t("forgot.sent", { email: email.trim() })}
            </p>
          ) : (
            <form onSubmit={submit} className="grid gap-4" noValidate>
              <Field label={t("login.email")}>
                {(p) => <Input {...p} type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} autoFocus />}
              </Field>
              {error ? (
                <p role="alert" className="rounded-md border border-destructive/40 bg-destructive/5 px-3 py-2 text-sm text-destructive">
                  {errorMessage(error, t)}
                </p>
              ) : null}
              <Button type="submit" disabled={busy || !email.trim()}>
                {t("forgot.submit")}
              </Button>
            </form>
          )}
          <Link to="/login" className="text-sm text-muted-foreground underline">
            {t("forgot.backToLogin")}
          </Link>
        </CardContent>
      </Card>
    </div>
  );
}
