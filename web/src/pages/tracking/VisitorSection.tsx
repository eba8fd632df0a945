import { useQuery } from "@tanstack/react-query";
import { ArrowLeft } from "lucide-react";
import { Link, useParams } from "react-router";
import { api, unwrap } from "@/api/client";
import { Badge } from "@/components/ui/badge";
import { Card, CardContent } from "@/components/ui/card";
import { Pagination } from "@/components/ui/pagination";
import { QueryStates } from "@/components/ui/query-states";
import { useI18n } from "@/i18n";
import { formatDateTime, formatNumber } from "@/lib/format";
import { sourceMedium } from "./format";
import { groupTouches, type SessionWithTouches } from "./journey";
import { ChannelBadge, useClientPage } from "./shared";
import type { Touchpoint } from "./types";

const CLICK_IDS = ["gclid", "gbraid", "wbraid", "fbclid", "ttclid", "li_fat_id", "msclkid"] as const;
const SESSIONS_PER_PAGE = 20;

function TouchLine({ touch }: { touch: Touchpoint }) {
  const { t, locale } = useI18n();
  const sm = sourceMedium(touch.utm_source, touch.utm_medium);
  const ids = CLICK_IDS.filter((k) => touch[k]);
  return (
    <li className="flex flex-wrap items-center gap-x-2 gap-y-1 text-sm" data-testid="journey-touch">
      <ChannelBadge channel={touch.channel} />
      {touch.utm_campaign ? (
        <span className="break-all">
          <span className="text-muted-foreground">{t("tracking.journey.campaign")}:</span> {touch.utm_campaign}
        </span>
      ) : null}
      {sm ? <span className="break-all text-muted-foreground">{sm}</span> : null}
      {ids.map((k) => (
        <code key={k} className="break-all rounded bg-muted px-1 font-mono text-xs">
          {k}={touch[k]}
        </code>
      ))}
      <time className="text-xs text-muted-foreground" dateTime={touch.created_at}>
        {formatDateTime(touch.created_at, locale)}
      </time>
    </li>
  );
}

export function JourneyTimeline({ groups, offset, conversionSessionId }: { groups: SessionWithTouches[]; offset: number; conversionSessionId: string | null }) {
  const { t, locale } = useI18n();
  return (
    <ol className="relative ml-3 border-l pl-6" data-testid="journey-timeline">
      {groups.map(({ session, touches }, i) => (
        <li key={session.session_id} className="relative pb-6 last:pb-0" data-testid="journey-session">
          <span aria-hidden className="absolute -left-[31px] top-1 h-3.5 w-3.5 rounded-full border-2 border-background bg-primary" />
          <div className="flex flex-wrap items-center gap-2">
            <h4 className="font-semibold">{t("tracking.journey.sessionN", { n: formatNumber(offset + i + 1, locale) })}</h4>
            <time className="text-sm text-muted-foreground" dateTime={session.started_at}>
              {formatDateTime(session.started_at, locale)}
            </time>
            <ChannelBadge channel={session.channel} />
            {session.converted || session.session_id === conversionSessionId ? (
              <Badge variant="success">{t("tracking.journey.conversionSession")}</Badge>
            ) : null}
          </div>
          <p className="mt-1 text-sm text-muted-foreground">
            {sourceMedium(session.source, session.medium) ?? t("tracking.none")} · {t("tracking.live.pages")}: {formatNumber(session.total_page_views, locale)} ·{" "}
            {t("tracking.live.events")}: {formatNumber(session.total_events, locale)}
          </p>
          {touches.length > 0 ? (
            <ul className="mt-2 grid gap-1.5">
              {touches.map((touch) => (
                <TouchLine key={touch.tracking_id} touch={touch} />
              ))}
            </ul>
          ) : (
            <p className="mt-2 text-xs text-muted-foreground">{t("tracking.journey.noTouch")}</p>
          )}
          <Link
            to={`/tracking/sessions/${encodeURIComponent(session.session_id)}`}
            className="mt-2 inline-block text-sm font-medium text-primary underline-offset-4 hover:underline"
            data-testid="journey-session-link"
          >
            {t("tracking.journey.openSession")}
          </Link>
        </li>
      ))}
    </ol>
  );
}

export default function VisitorSection() {
  const { t, locale } = useI18n();
  const { visitorId = "" } = useParams();
  const query = useQuery({
    queryKey: ["tracking", "journey", visitorId],
    queryFn: () => unwrap(api.GET("/api/journeys/{visitor_id}", { params: { path: { visitor_id: visitorId } } })),
    enabled: visitorId !== "",
  });
  const groups = query.data ? groupTouches(query.data.sessions, query.data.touches) : [];
  const { page, setPage, slice } = useClientPage(groups, SESSIONS_PER_PAGE);

  return (
    <section className="grid grid-cols-1 gap-5" aria-labelledby="journey-title">
      <div className="min-w-0">
        <Link to="/tracking" className="mb-1 inline-flex items-center gap-1 text-sm text-muted-foreground hover:text-foreground">
          <ArrowLeft className="h-4 w-4" aria-hidden />
          {t("tracking.tab.live")}
        </Link>
        <h2 id="journey-title" className="text-lg font-semibold">
          {t("tracking.journey.title")}{" "}
          <span className="break-all font-mono text-base font-normal" data-testid="visitor-id">
            {visitorId}
          </span>
        </h2>
      </div>
      <QueryStates query={query}>
        {(data) => (
          <>
            <Card>
              <CardContent className="pt-5">
                <dl className="grid grid-cols-2 gap-4 sm:grid-cols-3 lg:grid-cols-5" data-testid="journey-summary">
                  <div>
                    <dt className="text-xs text-muted-foreground">{t("tracking.journey.firstVisit")}</dt>
                    <dd className="mt-0.5 text-sm font-medium">{formatDateTime(data.first_visit_at, locale)}</dd>
                  </div>
                  <div>
                    <dt className="text-xs text-muted-foreground">{t("tracking.journey.lastVisit")}</dt>
                    <dd className="mt-0.5 text-sm font-medium">{formatDateTime(data.last_visit_at, locale)}</dd>
                  </div>
                  <div>
                    <dt className="text-xs text-muted-foreground">{t("tracking.journey.sessions")}</dt>
                    <dd className="mt-0.5 text-sm font-medium tabular-nums">{formatNumber(data.total_sessions, locale)}</dd>
                  </div>
                  <div>
                    <dt className="text-xs text-muted-foreground">{t("tracking.journey.pageViews")}</dt>
                    <dd className="mt-0.5 text-sm font-medium tabular-nums">{formatNumber(data.total_page_views, locale)}</dd>
                  </div>
                  <div>
                    <dt className="text-xs text-muted-foreground">{t("tracking.journey.converted")}</dt>
                    <dd className="mt-0.5 text-sm font-medium">
                      {data.converted ? <Badge variant="success">{t("tracking.yes")}</Badge> : t("tracking.no")}
                    </dd>
                  </div>
                </dl>
              </CardContent>
            </Card>
            <div className="grid gap-3">
              <h3 className="font-semibold">{t("tracking.journey.timeline")}</h3>
              <JourneyTimeline groups={slice} offset={(page - 1) * SESSIONS_PER_PAGE} conversionSessionId={data.conversion_session_id} />
              {groups.length > SESSIONS_PER_PAGE ? <Pagination page={page} pageSize={SESSIONS_PER_PAGE} total={groups.length} onPageChange={setPage} /> : null}
            </div>
          </>
        )}
      </QueryStates>
    </section>
  );
}
