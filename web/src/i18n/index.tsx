import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";
import { en, type MessageKey } from "./en";
import { ptBR } from "./pt-BR";

export type Locale = "pt-BR" | "en";
export type { MessageKey };
export const LOCALES: Locale[] = ["pt-BR", "en"];

const dictionaries: Record<Locale, Record<MessageKey, string>> = { "pt-BR": ptBR, en };

export type Vars = Record<string, string | number>;
export type TFunction = (key: MessageKey, vars?: Vars) => string;

const BRANCH = String.raw`(?:[^{}]|\{\w+\})*`;
const CATEGORY = String.raw`(?:=\d+|zero|one|two|few|many|other)`;
const PLURAL = new RegExp(String.raw`\{(\w+), plural,((?:\s*${CATEGORY}\s*\{${BRANCH}\})+)\s*\}`, "g");
const BRANCHES = new RegExp(String.raw`(${CATEGORY})\s*\{(${BRANCH})\}`, "g");

/** The count a plural is chosen by: a number as given, or the digits of a formatted one. */
function countOf(value: string | number): number {
  return typeof value === "number" ? value : Number(String(value).replace(/[^\d]/g, "")) || 0;
}

/**
 * A message with its variables: `{name}` is replaced by the value, and
 * `{name, plural, one {# página vista} other {# páginas vistas}}` (ICU's plural, `=N`
 * exact matches first, then the locale's category, then `other`) chooses by the value,
 * `#` standing for it as given (already formatted by the caller).
 */
export function translate(locale: Locale, key: MessageKey, vars?: Vars): string {
  const template = dictionaries[locale][key] ?? en[key] ?? key;
  if (!vars) return template;
  const rules = new Intl.PluralRules(locale);
  const chosen = template.replace(PLURAL, (m, name: string, body: string) => {
    if (!(name in vars)) return m;
    const value = vars[name]!;
    const n = countOf(value);
    const branches = new Map([...body.matchAll(BRANCHES)].map((b) => [b[1]!, b[2]!]));
    const text = branches.get(`=${n}`) ?? branches.get(rules.select(n)) ?? branches.get("other") ?? m;
    return text.replace(/#/g, String(value));
  });
  return chosen.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

export function hasKey(key: string): key is MessageKey {
  return key in en;
}

const STORAGE_KEY = "rastro.locale";

/** Browser language before login (pt* → pt-BR, anything else → en), or the last user choice. */
export function detectLocale(): Locale {
  try {
    const saved = window.localStorage.getItem(STORAGE_KEY);
    if (saved === "pt-BR" || saved === "en") return saved;
  } catch {
    /* ignore */
  }
  const langs = typeof navigator !== "undefined" ? (navigator.languages ?? [navigator.language]) : [];
  for (const l of langs) {
    if (!l) continue;
    const lower = l.toLowerCase();
    if (lower.startsWith("pt")) return "pt-BR";
    if (lower.startsWith("en")) return "en";
  }
  return "pt-BR";
}

interface I18nValue {
  locale: Locale;
  setLocale: (l: Locale) => void;
  t: TFunction;
}

const I18nContext = createContext<I18nValue | null>(null);

export function I18nProvider({ children, initialLocale }: { children: ReactNode; initialLocale?: Locale }) {
  const [locale, setLocaleState] = useState<Locale>(() => initialLocale ?? detectLocale());
  const setLocale = useCallback((l: Locale) => {
    setLocaleState(l);
    try {
      window.localStorage.setItem(STORAGE_KEY, l);
    } catch {
      /* ignore */
    }
    document.documentElement.lang = l;
  }, []);
  const t = useCallback<TFunction>((key, vars) => translate(locale, key, vars), [locale]);
  const value = useMemo(() => ({ locale, setLocale, t }), [locale, setLocale, t]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18nValue {
  const ctx = useContext(I18nContext);
  if (!ctx) throw new Error("useI18n must be used inside <I18nProvider>");
  return ctx;
}
