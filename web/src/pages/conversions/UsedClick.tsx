import { useI18n } from "@/i18n";
import { formatDateTime } from "@/lib/format";
import type { PlatformSync } from "./types";

export type UsedClickData = NonNullable<PlatformSync["click"]>;

/** A click id cut to its ends ("Cj0KCQ…clid"): enough to recognise it, not to copy it around. */
export function shortClickId(id: string): string {
  return id.length <= 14 ? id : `${id.slice(0, 6)}…${id.slice(-4)}`;
}

/** The click a platform got: the touch's time, its source / medium / campaign, the id shortened, and whether it is the credited touch. */
export function UsedClick({ click }: { click: PlatformSync["click"] }) {
  const { t, locale } = useI18n();
  if (!click || !click.click_id || !click.click_id_type) {
    return <span className="text-muted-foreground">{t("conversions.click.none")}</span>;
  }
  const origin = [click.utm_source, click.utm_medium, click.utm_campaign].map((part) => part || t("conversions.none")).join(" / ");
  return (
    <span className="grid gap-0.5 text-xs" data-testid="used-click">
      {click.clicked_at ? (
        <time dateTime={click.clicked_at} className="whitespace-nowrap">
          {formatDateTime(click.clicked_at, locale)}
        </time>
      ) : null}
      <span className="break-words">{origin}</span>
      <code className="break-all" title={t("conversions.click.idTitle")}>
        {click.click_id_type}={shortClickId(click.click_id)}
      </code>
      <span className="text-muted-foreground">{t(click.credited ? "conversions.click.credited" : "conversions.click.other")}</span>
    </span>
  );
}
