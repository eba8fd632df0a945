import { ApiError } from "@/api/client";
import { hasKey, type TFunction } from "@/i18n";

/** A plain-words message for any error: known codes are translated, else the server's message. */
export function errorMessage(error: unknown, t: TFunction): string {
  if (error instanceof ApiError) {
    if (error.code === "too_many_attempts") {
      if (error.retryAfter && error.retryAfter > 0) {
        return t("errors.too_many_attempts", { minutes: Math.max(1, Math.ceil(error.retryAfter / 60)) });
      }
      return t("errors.too_many_attempts_soon");
    }
    if (error.code === "validation_error") {
      const issues = error.issues;
      if (issues.length > 0) {
        return issues.map((i) => `${fieldName(i.loc)}: ${i.message}`).join(" · ");
      }
      return t("errors.validation_error");
    }
    const key = `errors.${error.code}`;
    if (hasKey(key)) return t(key);
    if (error.status >= 500 && !error.message) return t("errors.internal_error");
    return error.message || t("errors.unknown");
  }
  return t("errors.unknown");
}

/** "body.email" → "email". */
export function fieldName(loc: string): string {
  const parts = loc.split(".");
  return parts[0] === "body" || parts[0] === "query" || parts[0] === "path" ? parts.slice(1).join(".") : loc;
}

/** Validation issues keyed by field name, for showing under inputs. */
export function fieldErrors(error: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (error instanceof ApiError && error.code === "validation_error") {
    for (const issue of error.issues) {
      const f = fieldName(issue.loc);
      if (!(f in out)) out[f] = issue.message;
    }
  }
  return out;
}
