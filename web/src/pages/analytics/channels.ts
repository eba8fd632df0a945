/** Channel names as the reports show them: GA4's default channel groups, translated. */
import { hasKey, type TFunction } from "@/i18n";

/** The translated name of a channel; the server's name when it is not a known group; "(not set)" for none. */
export function channelLabel(t: TFunction, channel: string | null | undefined): string {
  if (!channel) return t("analytics.channel.unknown");
  const key = `analytics.channel.${channel}`;
  return hasKey(key) ? t(key) : channel;
}
