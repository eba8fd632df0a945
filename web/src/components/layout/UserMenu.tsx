import { LogOut, User } from "lucide-react";
import { useNavigate } from "react-router";
import { useCurrentUser, useLogout, useUpdateMe } from "@/auth/session";
import { applyTheme, type Theme } from "@/auth/theme";
import { Button } from "@/components/ui/button";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuRadioGroup,
  DropdownMenuRadioItem,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import { useToast } from "@/components/ui/toast";
import { LOCALES, useI18n, type Locale } from "@/i18n";
import { errorMessage } from "@/lib/errors";

const THEMES: Theme[] = ["light", "dark", "system"];

function initials(name: string, email: string): string {
  const source = name.trim() || email;
  const parts = source.split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? parts[0]![0]! + parts[parts.length - 1]![0]! : source.slice(0, 2);
  return letters.toUpperCase();
}

export function UserMenu() {
  const me = useCurrentUser();
  const { t, setLocale } = useI18n();
  const { toast } = useToast();
  const update = useUpdateMe();
  const logout = useLogout();
  const navigate = useNavigate();

  const setPref = (body: { locale?: Locale; theme?: Theme }) => {
    if (body.locale) setLocale(body.locale);
    if (body.theme) applyTheme(body.theme);
    update.mutate(body, { onError: (e) => toast(errorMessage(e, t), "error") });
  };

  return (
    <DropdownMenu>
      <DropdownMenuTrigger asChild>
        <Button variant="ghost" size="icon" className="rounded-full" aria-label={t("user.menu")} data-testid="user-menu">
          <span aria-hidden className="flex h-8 w-8 items-center justify-center rounded-full bg-primary/15 text-xs font-semibold text-primary">
            {initials(me.name, me.email)}
          </span>
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent align="end" className="w-64">
        <DropdownMenuLabel className="font-normal">
          <div className="truncate text-sm font-semibold">{me.name || me.email}</div>
          <div className="truncate text-xs text-muted-foreground">{me.email}</div>
          <div className="mt-1 text-xs text-muted-foreground">
            {t("user.role")}: {t(`role.${me.role}`)}
          </div>
        </DropdownMenuLabel>
        <DropdownMenuSeparator />
        <DropdownMenuItem onSelect={() => navigate("/settings/profile")}>
          <User aria-hidden />
          {t("user.profile")}
        </DropdownMenuItem>
        <DropdownMenuSeparator />
        <DropdownMenuLabel className="text-xs text-muted-foreground">{t("user.language")}</DropdownMenuLabel>
        <DropdownMenuRadioGroup value={me.locale} onValueChange={(v) => setPref({ locale: v as Locale })}>
          {LOCALES.map((l) => (
            <DropdownMenuRadioItem key={l} value={l} lang={l} data-testid={`locale-${l}`}>
              {t(`locale.${l}`)}
            </DropdownMenuRadioItem>
          ))}
        </DropdownMenuRadioGroup>
        <DropdownMenuSeparator />
        <DropdownMenuLabel className="text-xs text-muted-foreground">{t("user.theme")}</DropdownMenuLabel>
        <DropdownMenuRadioGroup value={me.theme} onValueChange={(v) => setPref({ theme: v as Theme })}>
          {THEMES.map((th) => (
            <DropdownMenuRadioItem key={th} value={th} data-testid={`theme-${th}`}>
              {t(`theme.${th}`)}
            </DropdownMenuRadioItem>
          ))}
        </DropdownMenuRadioGroup>
        <DropdownMenuSeparator />
        <DropdownMenuItem
          data-testid="logout"
          onSelect={async () => {
            await logout();
            navigate("/login", { replace: true, state: { reason: "logged_out" } });
          }}
        >
          <LogOut aria-hidden />
          {t("user.logout")}
        </DropdownMenuItem>
      </DropdownMenuContent>
    </DropdownMenu>
  );
}
