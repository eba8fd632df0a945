import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, unwrap } from "@/api/client";
import { Badge } from "@/components/ui/badge";
import { QueryStates } from "@/components/ui/query-states";
import { useI18n } from "@/i18n";
import { formatDateTime, formatNumber } from "@/lib/format";
import { sourceMedium, TOUCH_FIELDS } from "@/pages/tracking/format";
import { EventsTable, PageViewList } from "@/pages/tracking/SessionSection";
import { ChannelBadge } from "@/pages/tracking/shared";
import type { Touchpoint } from "@/pages/tracking/types";
import type { JourneySession, LeadJourney } from "./types";

/** One touch: its channel and every UTM / click id it carried. */
function TouchRow({ touch }: { touch: Touchpoint }) {
  const { locale } = useI18n();
  const fields = TOUCH_FIELDS.filter((f) => touch[f]);
  return (
    <li className="flex flex-wrap items-center gap-1.5 text-sm" data-testid="lead-journey-touch">
      <ChannelBadge channel={touch.channel} />
      {fields.map((f) => (
        <code key={f} className="break-all rounded bg-muted px-1 font-mono text-xs">
          {f}={touch[f]}
        </code>
      ))}
      <time className="text-xs text-muted-foreground" dateTime={touch.created_at}>
        {formatDateTime(touch.created_at, locale)}
      </time>
    </li>
  );
}

function SessionBlock({ item, n, converting }: { item: JourneySession; n: number; converting: boolean }) {
  const { t, locale } = useI18n();
  const { session } = item;
  return (
    <li className="relative pb-6 last:pb-0" data-testid="lead-journey-session">
      <span aria-hidden className="absolute -left-[31px] top-1 h-3.5 w-3.5 rounded-full border-2 border-background bg-primary" />
      <div className="flex flex-wrap items-center gap-2">
        <h4 className="font-semibold">{t("tracking.journey.sessionN", { n: formatNumber(n, locale) })}</h4>
        <time className="text-sm text-muted-foreground" dateTime={session.started_at}>
          {formatDateTime(session.started_at, locale)}
        </time>
        <ChannelBadge channel={session.channel} />
        {converting || session.converted ? <Badge variant="success">{t("tracking.journey.conversionSession")}</Badge> : null}
        <Link to={`/tracking/sessions/${encodeURIComponent(session.session_id)}`} className="text-xs text-primary hover:underline">
          {t("crm.journey.openSession")}
        </Link>
      </div>
      <p className="mt-1 text-sm text-muted-foreground">
        {sourceMedium(session.source, session.medium) ?? t("tracking.none")} · {t("tracking.live.pages")}: {formatNumber(session.total_page_views, locale)} ·{" "}
        {t("tracking.live.events")}: {formatNumber(session.total_events, locale)}
      </p>
      {item.touches.length > 0 ? (
        <ul className="mt-2 grid gap-1.5">
          {item.touches.map((touch) => (
            <TouchRow key={touch.tracking_id} touch={touch} />
          ))}
        </ul>
      ) : null}
      {item.page_views.length > 0 ? (
        <details className="mt-3" open={n === 1 || converting}>
          <summary className="cursor-pointer text-sm font-medium">{t("crm.journey.pageViews", { count: formatNumber(item.page_views.length, locale) })}</summary>
          <div className="mt-2">
            <PageViewList views={item.page_views} />
          </div>
        </details>
      ) : null}
      {item.events.length > 0 ? (
        <details className="mt-2">
          <summary className="cursor-pointer text-sm font-medium">{t("crm.journey.events", { count: formatNumber(item.events.length, locale) })}</summary>
          <div className="mt-2">
            <EventsTable events={item.events} />
          </div>
        </details>
      ) : null}
    </li>
  );
}

/** The journey as a timeline: sessions oldest first, each with its touches, pages and events. */
export type Credit = "first_touch" | "last_touch";

/** The rule a lead was credited by (kept with it at capture), when it says. */
export function creditOf(metadata: Record<string, unknown>): Credit | null {
  const rule = metadata.attribution_credit;
  return rule === "first_touch" || rule === "last_touch" ? rule : null;
}

export function JourneyTimelineView({ journey, credit = null }: { journey: LeadJourney; credit?: Credit | null }) {
  const { t } = useI18n();
  const convertingId = journey.attribution?.session_id ?? null;
  const attribution = journey.attribution;
  return (
    <div className="grid gap-4">
      {attribution ? (
        <dl className="grid gap-2 rounded-md border p-3 text-sm sm:grid-cols-3" data-testid="lead-attribution">
          <div>
            <dt className="text-xs text-muted-foreground">{t("crm.lead.channel")}</dt>
            <dd>
              <ChannelBadge channel={attribution.channel} />
            </dd>
          </div>
          <div>
            <dt className="text-xs text-muted-foreground">{t("tracking.live.sourceMedium")}</dt>
            <dd className="break-all">{sourceMedium(attribution.source, attribution.medium) ?? t("tracking.none")}</dd>
          </div>
          <div>
            <dt className="text-xs text-muted-foreground">{t("crm.lead.campaign")}</dt>
            <dd className="break-all">{attribution.utm_campaign ?? t("tracking.none")}</dd>
          </div>
        </dl>
      ) : null}
      {attribution || credit ? (
        <p className="text-xs text-muted-foreground" data-testid="lead-credit">
          {credit ? t(`crm.journey.credit.${credit}`) : t("crm.journey.credit.unknown")}{" "}
          <Link to="/settings/leads" className="text-primary hover:underline">
            {t("crm.journey.credit.setting")}
          </Link>
        </p>
      ) : null}
      <ol className="relative ml-3 border-l pl-6" data-testid="lead-journey">
        {journey.sessions.map((item, i) => (
          <SessionBlock key={item.session.session_id} item={item} n={i + 1} converting={item.session.session_id === convertingId} />
        ))}
      </ol>
    </div>
  );
}

export function LeadJourneyPanel({ leadId, credit = null }: { leadId: string; credit?: Credit | null }) {
  const { t } = useI18n();
  const journey = useQuery({
    queryKey: ["crm", "lead", leadId, "journey"],
    queryFn: () => unwrap(api.GET("/api/leads/{lead_id}/journey", { params: { path: { lead_id: leadId } } })),
  });
  return (
    <QueryStates query={journey} isEmpty={(j) => j.sessions.length === 0} empty={t("crm.journey.empty")}>
      {(data) => <JourneyTimelineView journey={data} credit={credit} />}
    </QueryStates>
  );
}
