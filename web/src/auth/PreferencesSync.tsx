import { useEffect } from "react";
import { clearPendingPrefs, pendingPrefs, useMe, useUpdateMe } from "@/auth/session";
import { applyTheme, storedTheme, watchSystemTheme } from "@/auth/theme";
import { useI18n } from "@/i18n";

/**
 * Keeps locale and theme in step with the user's profile. A choice whose save had not been
 * answered when the page was left wins over the profile's older values and is saved again.
 */
export function PreferencesSync() {
  const { data: me } = useMe();
  const { setLocale } = useI18n();
  const { mutate } = useUpdateMe();
  useEffect(() => {
    if (!me) return;
    const pending = pendingPrefs();
    const theme = pending?.theme ?? me.theme;
    const locale = pending?.locale ?? me.locale;
    setLocale(locale);
    applyTheme(theme);
    if (theme !== me.theme || locale !== me.locale) mutate({ theme, locale });
    else if (pending) clearPendingPrefs(); // saved after all: the profile has it
  }, [me, setLocale, mutate]);
  useEffect(() => {
    applyTheme(storedTheme());
    return watchSystemTheme(storedTheme);
  }, []);
  return null;
}
