import type { TFunction } from "@/i18n";
import type { ContactStatus } from "./types";

/** A contact's status in the viewer's language. */
export function statusLabel(status: ContactStatus, t: TFunction): string {
  return t(`emailContacts.status.${status}`);
}
