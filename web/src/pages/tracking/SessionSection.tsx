import { useQuery } from "@tanstack/react-query";
import { ArrowLeft, LogOut, Route as RouteIcon } from "lucide-react";
import { Fragment } from "react";
import { Link, useParams } from "react-router";
import { api, unwrap } from "@/api/client";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Pagination } from "@/components/ui/pagination";
import { QueryStates } from "@/components/ui/query-states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useI18n } from "@/i18n";
import { formatDateTime, formatNumber } from "@/lib/format";
import { eventDataFields, eventTypeLabel, eventValueText, formatTimeOnPage, sourceMedium, TOUCH_FIELDS, valueText } from "./format";
import { ChannelBadge, useClientPage } from "./shared";
import type { PageView, SessionSummary, Touchpoint, TrackedEvent } from "./types";

const CLIENT_PAGE_SIZE = 50;

function Row({ label, value, testId }: { label: string; value: string | null | undefined; testId?: string }) {
  if (value === null || value === undefined || value === "") return null;
  return (
    <div className="grid grid-cols-[minmax(7rem,auto)_1fr] gap-x-3 py-1 text-sm" data-testid={testId}>
      <dt className="font-mono text-xs text-muted-foreground">{label}</dt>
      <dd className="min-w-0 break-all">{value}</dd>
    </div>
  );
}

/** One touch: channel, every UTM and click id present, device, referrer, landing URL, other URL params. */
export function TouchCard({ touch, index }: { touch: Touchpoint; index: number }) {
  const { t, locale } = useI18n();
  const params = Object.entries(touch.url_params ?? {}).filter(
    ([k, v]) => v !== null && v !== undefined && v !== "" && !(TOUCH_FIELDS as readonly string[]).includes(k),
  );
  return (
    <Card data-testid="touch-card">
      <CardHeader className="flex-row flex-wrap items-center justify-between gap-2 space-y-0 pb-3">
        <CardTitle className="text-base">{t("tracking.session.touch", { n: index + 1 })}</CardTitle>
        <div className="flex items-center gap-2 text-xs text-muted-foreground">
          <ChannelBadge channel={touch.channel} />
          <time dateTime={touch.created_at}>{formatDateTime(touch.created_at, locale)}</time>
        </div>
      </CardHeader>
      <CardContent>
        <dl className="divide-y">
          {TOUCH_FIELDS.map((f) => (
            <Row key={f} label={f} value={touch[f]} testId={`touch-${f}`} />
          ))}
          <Row label={t("tracking.session.device")} value={touch.device} />
          <Row label={t("tracking.session.matchType")} value={touch.match_type} />
          <Row label={t("tracking.session.referrer")} value={touch.referrer} />
          <Row label={t("tracking.session.landing")} value={touch.page_url} testId="touch-page-url" />
        </dl>
        {params.length > 0 ? (
          <div className="mt-3">
            <h4 className="mb-1 text-xs font-medium text-muted-foreground">{t("tracking.session.urlParams")}</h4>
            <dl className="divide-y">
              {params.map(([k, v]) => (
                <Row key={k} label={k} value={valueText(v)} />
              ))}
            </dl>
          </div>
        ) : null}
      </CardContent>
    </Card>
  );
}

export function PageViewList({ views }: { views: PageView[] }) {
  const { t, locale } = useI18n();
  const sorted = [...views].sort((a, b) => a.view_order - b.view_order);
  const { page, setPage, slice } = useClientPage(sorted, CLIENT_PAGE_SIZE);
  return (
    <div>
    <ol className="grid gap-2" data-testid="page-views">
      {slice.map((v) => {
        const top = formatTimeOnPage(v.time_on_page);
        return (
          <li key={v.view_id} className="flex gap-3 rounded-md border p-3" data-testid="page-view">
            <span className="mt-0.5 flex h-6 w-6 shrink-0 items-center justify-center rounded-full bg-muted text-xs font-semibold tabular-nums">
              {formatNumber(v.view_order, locale)}
            </span>
            <div className="min-w-0 flex-1">
              <div className="font-medium break-words" data-testid="page-view-title">
                {v.page_title || v.page_url}
              </div>
              <div className="break-all text-xs text-muted-foreground" data-testid="page-view-url">
                {v.page_url}
              </div>
              <div className="mt-1 flex flex-wrap items-center gap-2 text-xs text-muted-foreground">
                <time dateTime={v.created_at}>{formatDateTime(v.created_at, locale)}</time>
                <span>
                  {t("tracking.session.timeOnPage")}:{" "}
                  <span className="font-mono tabular-nums text-foreground" data-testid="time-on-page">
                    {top ?? t("tracking.none")}
                  </span>
                </span>
                {v.exit_page ? (
                  <Badge variant="outline" title={t("tracking.session.exitTitle")} data-testid="exit-page">
                    <LogOut className="mr-1 h-3 w-3" aria-hidden />
                    {t("tracking.session.exit")}
                  </Badge>
                ) : null}
              </div>
            </div>
          </li>
        );
      })}
    </ol>
    {sorted.length > CLIENT_PAGE_SIZE ? <Pagination page={page} pageSize={CLIENT_PAGE_SIZE} total={sorted.length} onPageChange={setPage} /> : null}
    </div>
  );
}

export function EventsTable({ events }: { events: TrackedEvent[] }) {
  const { t, locale } = useI18n();
  const { page, setPage, slice } = useClientPage(events, CLIENT_PAGE_SIZE);
  return (
    <div>
    <Table data-testid="events-table">
      <THead>
        <TR>
          <TH>{t("tracking.session.when")}</TH>
          <TH>{t("tracking.session.eventType")}</TH>
          <TH>{t("tracking.session.eventDetail")}</TH>
          <TH>{t("tracking.session.element")}</TH>
          <TH>{t("tracking.session.eventData")}</TH>
        </TR>
      </THead>
      <TBody>
        {slice.map((e) => {
          const detail = [e.event_category, e.event_action, e.event_label, eventValueText(e.event_type, e.event_value, locale)].filter((x) => x !== null && x !== "");
          const element = [e.element_id ? `#${e.element_id}` : null, e.element_class ? `.${e.element_class}` : null].filter(Boolean).join(" ");
          const fields = eventDataFields(t, e.event_data as Record<string, unknown> | null);
          return (
            <TR key={e.event_id} data-testid="event-row">
              <TD className="whitespace-nowrap">
                <time dateTime={e.created_at}>{formatDateTime(e.created_at, locale)}</time>
              </TD>
              <TD>
                <Badge variant="secondary">{eventTypeLabel(t, e.event_type)}</Badge>
              </TD>
              <TD className="max-w-[20rem] break-words" data-testid="event-detail">
                {detail.length ? detail.join(" / ") : <span className="text-muted-foreground">{t("tracking.none")}</span>}
              </TD>
              <TD className="max-w-[12rem] break-all font-mono text-xs">{element || <span className="text-muted-foreground">{t("tracking.none")}</span>}</TD>
              <TD className="max-w-[20rem]">
                {fields.length ? (
                  <dl className="grid grid-cols-[auto_1fr] gap-x-2 text-xs" data-testid="event-data">
                    {fields.map(([label, value]) => (
                      <Fragment key={label}>
                        <dt className="text-muted-foreground">{label}</dt>
                        <dd className="line-clamp-2 break-all">{value}</dd>
                      </Fragment>
                    ))}
                  </dl>
                ) : (
                  <span className="text-muted-foreground">{t("tracking.none")}</span>
                )}
              </TD>
            </TR>
          );
        })}
      </TBody>
    </Table>
    {events.length > CLIENT_PAGE_SIZE ? <Pagination page={page} pageSize={CLIENT_PAGE_SIZE} total={events.length} onPageChange={setPage} /> : null}
    </div>
  );
}

function Stat({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs text-muted-foreground">{label}</dt>
      <dd className="mt-0.5 break-words text-sm font-medium">{children}</dd>
    </div>
  );
}

export function SessionSummaryCard({ session }: { session: SessionSummary }) {
  const { t, locale } = useI18n();
  return (
    <Card>
      <CardContent className="pt-5">
        <dl className="grid grid-cols-2 gap-4 sm:grid-cols-3 lg:grid-cols-6">
          <Stat label={t("tracking.live.channel")}>
            <ChannelBadge channel={session.channel} />
          </Stat>
          <Stat label={t("tracking.live.sourceMedium")}>{sourceMedium(session.source, session.medium) ?? t("tracking.none")}</Stat>
          <Stat label={t("tracking.live.started")}>{formatDateTime(session.started_at, locale)}</Stat>
          <Stat label={t("tracking.live.lastActivity")}>{formatDateTime(session.last_activity_at, locale)}</Stat>
          <Stat label={t("tracking.live.pages")}>{formatNumber(session.total_page_views, locale)}</Stat>
          <Stat label={t("tracking.live.events")}>{formatNumber(session.total_events, locale)}</Stat>
        </dl>
        <div className="mt-3 flex flex-wrap gap-1.5">
          {session.return_visits > 0 ? (
            <Badge variant="secondary">{t("tracking.live.returning")}</Badge>
          ) : (
            <Badge variant="outline">{t("tracking.live.new")}</Badge>
          )}
          {session.converted ? <Badge variant="success">{t("tracking.live.converted")}</Badge> : null}
          {session.is_bot ? <Badge variant="outline">{t("tracking.live.bot")}</Badge> : null}
        </div>
      </CardContent>
    </Card>
  );
}

export default function SessionSection() {
  const { t } = useI18n();
  const { sessionId = "" } = useParams();
  const query = useQuery({
    queryKey: ["tracking", "session", sessionId],
    queryFn: () => unwrap(api.GET("/api/sessions/{session_id}", { params: { path: { session_id: sessionId } } })),
    enabled: sessionId !== "",
  });

  return (
    <section className="grid grid-cols-1 gap-5" aria-labelledby="session-title">
      <div className="flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
        <div className="min-w-0">
          <Link to="/tracking" className="mb-1 inline-flex items-center gap-1 text-sm text-muted-foreground hover:text-foreground">
            <ArrowLeft className="h-4 w-4" aria-hidden />
            {t("tracking.tab.live")}
          </Link>
          <h2 id="session-title" className="text-lg font-semibold">
            {t("tracking.session.title")}{" "}
            <span className="break-all font-mono text-base font-normal" data-testid="session-id">
              {sessionId}
            </span>
          </h2>
          {query.data ? (
            <p className="break-all text-sm text-muted-foreground">
              {t("tracking.session.visitor")}: <span className="font-mono">{query.data.session.visitor_id}</span>
            </p>
          ) : null}
        </div>
        {query.data ? (
          <Button asChild variant="outline">
            <Link to={`/tracking/visitors/${encodeURIComponent(query.data.session.visitor_id)}`} data-testid="journey-link">
              <RouteIcon aria-hidden />
              {t("tracking.session.journey")}
            </Link>
          </Button>
        ) : null}
      </div>
      <QueryStates query={query}>
        {(data) => (
          <>
            <SessionSummaryCard session={data.session} />
            <div className="grid gap-3">
              <h3 className="font-semibold">{t("tracking.session.touches")}</h3>
              {data.touches.length === 0 ? (
                <p className="text-sm text-muted-foreground">{t("tracking.session.noTouches")}</p>
              ) : (
                <div className="grid gap-3 lg:grid-cols-2">
                  {data.touches.map((touch, i) => (
                    <TouchCard key={touch.tracking_id} touch={touch} index={i} />
                  ))}
                </div>
              )}
            </div>
            <div className="grid gap-3">
              <h3 className="font-semibold">{t("tracking.session.pageViews")}</h3>
              {data.page_views.length === 0 ? (
                <p className="text-sm text-muted-foreground">{t("tracking.session.noPageViews")}</p>
              ) : (
                <PageViewList views={data.page_views} />
              )}
            </div>
            <div className="grid gap-3">
              <h3 className="font-semibold">{t("tracking.session.events")}</h3>
              {data.events.length === 0 ? (
                <p className="text-sm text-muted-foreground">{t("tracking.session.noEvents")}</p>
              ) : (
                <EventsTable events={data.events} />
              )}
            </div>
          </>
        )}
      </QueryStates>
    </section>
  );
}
