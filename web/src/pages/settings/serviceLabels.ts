/** The credential catalogue's names in the viewer's language (the server's English as fallback). */
import { hasKey, type TFunction } from "@/i18n";

export function serviceLabel(t: TFunction, service: string, fallback?: string): string {
  const key = `credentials.service.${service}`;
  return hasKey(key) ? t(key) : (fallback ?? service);
}

export function settingLabel(t: TFunction, service: string, field: string, fallback: string): string {
  const key = `credentials.field.${service}.${field}`;
  return hasKey(key) ? t(key) : fallback;
}
