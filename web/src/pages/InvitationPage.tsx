import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { api, unwrap } from "@/api/client";
import { setTokens } from "@/auth/tokens";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { useI18n } from "@/i18n";
import { errorMessage, fieldErrors } from "@/lib/errors";

/**
 * The invitation link (`/invitation#<token>`, e-mailed or passed on by an admin; the token rides in the fragment, never sent
 * in a URL): says which organization invites the person and as what; without an account they create one here, with an
 * account they sign in and accept it there.
 */
export default function InvitationPage() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const token = window.location.hash.replace(/^#/, "");
  const preview = useQuery({
    queryKey: ["invitation-preview", token],
    queryFn: () => unwrap(api.POST("/api/auth/invitations/preview", { body: { token } })),
    enabled: token.length >= 10,
    retry: false,
  });
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const pair = await unwrap(api.POST("/api/auth/invitations/register", { body: { token, name: name.trim(), password } }));
      setTokens(pair);
      await qc.invalidateQueries();
      navigate("/", { replace: true });
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
          <CardTitle>{t("invitation.title")}</CardTitle>
          <CardDescription>{t("invitation.subtitle")}</CardDescription>
        </CardHeader>
        <CardContent className="grid gap-4">
          {token.length < 10 ? (
            <p role="alert" className="text-sm text-destructive">
              {t("invitation.missingToken")}
            </p>
          ) : preview.isError ? (
            <p role="alert" className="text-sm text-destructive" data-testid="invitation-invalid">
              {errorMessage(preview.error, t)}
            </p>
          ) : (
            <form onSubmit={submit} className="grid gap-4" noValidate>
              {preview.data ? (
                <p className="rounded-md bg-muted px-3 py-2 text-sm" data-testid="invitation-offer">
                  {t("invitation.offer", {
                    organization: preview.data.organization.name,
                    role: t(`role.${preview.data.role}`),
                    email: preview.data.email,
                  })}
                </p>
              ) : null}
              <Field label={t("invitation.name")} error={fe.name}>
                {(p) => <Input {...p} name="name" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} required autoFocus />}
              </Field>
              <Field label={t("invitation.password")} hint={t("invitation.passwordHint")} error={fe.password}>
                {(p) => (
                  <Input {...p} name="password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
                )}
              </Field>
              {error && Object.keys(fe).length === 0 ? (
                <p role="alert" className="rounded-md border border-destructive/40 bg-destructive/5 px-3 py-2 text-sm text-destructive">
                  {errorMessage(error, t)}
                </p>
              ) : null}
              <Button type="submit" disabled={busy || !name.trim() || password.length < 10}>
                {t("invitation.submit")}
              </Button>
            </form>
          )}
          <Link to="/login" className="text-sm text-muted-foreground underline">
            {t("invitation.haveAccount")}
          </Link>
        </CardContent>
      </Card>
    </div>
  );
}
