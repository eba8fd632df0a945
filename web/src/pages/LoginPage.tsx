import { useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, Navigate, useLocation, useNavigate } from "react-router";
import { login } from "@/auth/session";
import { getAccessToken } from "@/auth/tokens";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { useI18n, LOCALES, type Locale } from "@/i18n";
import { errorMessage } from "@/lib/errors";

export function LoginForm({ onSuccess }: { onSuccess: () => void }) {
  const { t } = useI18n();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(email.trim(), password);
      onSuccess();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} className="grid gap-4" noValidate aria-describedby={error ? "login-error" : undefined}>
      <Field label={t("login.email")}>
        {(p) => (
          <Input {...p} type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} autoFocus />
        )}
      </Field>
      <Field label={t("login.password")}>
        {(p) => (
          <Input
            {...p}
            type="password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        )}
      </Field>
      {error ? (
        <p id="login-error" role="alert" className="rounded-md border border-destructive/40 bg-destructive/5 px-3 py-2 text-sm text-destructive">
          {errorMessage(error, t)}
        </p>
      ) : null}
      <Button type="submit" disabled={busy || !email || !password}>
        {busy ? t("login.submitting") : t("login.submit")}
      </Button>
    </form>
  );
}

export default function LoginPage() {
  const { t, locale, setLocale } = useI18n();
  const navigate = useNavigate();
  const location = useLocation();
  const qc = useQueryClient();
  const state = (location.state ?? {}) as { from?: string; reason?: string };

  if (getAccessToken()) return <Navigate to="/" replace />;

  return (
    <div className="flex min-h-screen flex-col items-center justify-center gap-6 bg-muted/40 p-4">
      <div className="flex items-center gap-2 text-2xl font-bold tracking-tight">
        <span aria-hidden className="inline-block h-7 w-7 rounded-md bg-primary" />
        Rastro
      </div>
      <Card className="w-full max-w-sm">
        <CardHeader>
          <CardTitle>
            <span>{t("login.title")}</span>
          </CardTitle>
          <CardDescription>{t("login.subtitle")}</CardDescription>
        </CardHeader>
        <CardContent className="grid gap-4">
          {state.reason === "expired" ? (
            <p role="status" className="rounded-md bg-muted px-3 py-2 text-sm">
              {t("login.sessionExpired")}
            </p>
          ) : null}
          {state.reason === "logged_out" ? (
            <p role="status" className="rounded-md bg-muted px-3 py-2 text-sm" data-testid="logged-out">
              {t("login.loggedOut")}
            </p>
          ) : null}
          <LoginForm
            onSuccess={async () => {
              await qc.invalidateQueries();
              navigate(state.from && state.from !== "/login" ? state.from : "/", { replace: true });
            }}
          />
          <Link to="/forgot-password" className="justify-self-center text-sm text-muted-foreground underline">
            {t("login.forgot")}
          </Link>
        </CardContent>
      </Card>
      <div className="flex gap-2 text-sm" role="group" aria-label={t("user.language")}>
        {LOCALES.map((l: Locale) => (
          <Button key={l} variant={l === locale ? "secondary" : "ghost"} size="sm" lang={l} aria-pressed={l === locale} onClick={() => setLocale(l)}>
            {t(`locale.${l}`)}
          </Button>
        ))}
      </div>
    </div>
  );
}
