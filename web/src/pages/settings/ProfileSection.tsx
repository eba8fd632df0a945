import { useState, type FormEvent } from "react";
import { useCurrentUser, useUpdateMe } from "@/auth/session";
import { applyTheme, type Theme } from "@/auth/theme";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { FormError } from "@/components/ui/states";
import { useToast } from "@/components/ui/toast";
import { LOCALES, useI18n, type Locale } from "@/i18n";
import { fieldErrors } from "@/lib/errors";

const THEMES: Theme[] = ["light", "dark", "system"];

export default function ProfileSection() {
  const me = useCurrentUser();
  const { t, setLocale } = useI18n();
  const { toast } = useToast();
  const update = useUpdateMe();
  const [name, setName] = useState(me.name);
  const [locale, setLoc] = useState<Locale>(me.locale);
  const [theme, setTheme] = useState<Theme>(me.theme);
  const fe = fieldErrors(update.error);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    update.mutate(
      { name: name.trim(), locale, theme },
      {
        onSuccess: (newMe) => {
          setLocale(newMe.locale);
          applyTheme(newMe.theme);
          toast(t("common.saved"));
        },
      },
    );
  };

  return (
    <Card>
      <CardHeader>
        <CardTitle>{t("profile.title")}</CardTitle>
        <CardDescription>{t("profile.description")}</CardDescription>
      </CardHeader>
      <CardContent>
        <form onSubmit={submit} className="grid max-w-md gap-4">
          <Field label={t("profile.email")}>{(p) => <Input {...p} value={me.email} readOnly disabled />}</Field>
          <Field label={t("profile.name")} error={fe.name}>
            {(p) => <Input {...p} value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />}
          </Field>
          <Field label={t("profile.language")} error={fe.locale}>
            {(p) => (
              <Select value={locale} onValueChange={(v) => setLoc(v as Locale)}>
                <SelectTrigger id={p.id} data-testid="profile-language">
                  <SelectValue />
                </SelectTrigger>
                <SelectContent>
                  {LOCALES.map((l) => (
                    <SelectItem key={l} value={l} lang={l}>
                      {t(`locale.${l}`)}
                    </SelectItem>
                  ))}
                </SelectContent>
              </Select>
            )}
          </Field>
          <Field label={t("profile.theme")} error={fe.theme}>
            {(p) => (
              <Select value={theme} onValueChange={(v) => setTheme(v as Theme)}>
                <SelectTrigger id={p.id}>
                  <SelectValue />
                </SelectTrigger>
                <SelectContent>
                  {THEMES.map((th) => (
                    <SelectItem key={th} value={th}>
                      {t(`theme.${th}`)}
                    </SelectItem>
                  ))}
                </SelectContent>
              </Select>
            )}
          </Field>
          {update.error && Object.keys(fe).length === 0 ? <FormError error={update.error} /> : null}
          <div>
            <Button type="submit" disabled={update.isPending || !name.trim()}>
              {update.isPending ? t("common.saving") : t("common.save")}
            </Button>
          </div>
        </form>
      </CardContent>
    </Card>
  );
}
