import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { Bot, Repeat, Search } from "lucide-react";
import { type FormEvent, useCallback, useEffect, useRef, useState } from "react";
import { Link, useNavigate } from "react-router";
import { api, unwrap } from "@/api/client";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Pagination } from "@/components/ui/pagination";
import { QueryStates } from "@/components/ui/query-states";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { useI18n } from "@/i18n";
import { useLiveEvent } from "@/live/LiveProvider";
import { formatDateTime, formatNumber, formatRelative } from "@/lib/format";
import { PAGE_SIZE, usePageParam } from "@/lib/usePage";
import { shortId, sourceMedium } from "./format";
import { ChannelBadge, PageTitle, useNow } from "./shared";
import type { SessionSummary } from "./types";

export const LIVE_REFRESH_MS = 15_000;

/** The live sessions as a table. Every collected value is rendered as text. */
export function LiveTable({ sessions, now }: { sessions: SessionSummary[]; now: Date }) {
  const { t, locale } = useI18n();
  return (
    <Table data-testid="live-table">
      <THead>
        <TR>
          <TH>{t("tracking.live.session")}</TH>
          <TH>{t("tracking.live.channel")}</TH>
          <TH>{t("tracking.live.sourceMedium")}</TH>
          <TH className="text-right">{t("tracking.live.pages")}</TH>
          <TH className="text-right">{t("tracking.live.events")}</TH>
          <TH>{t("tracking.live.started")}</TH>
          <TH>{t("tracking.live.lastActivity")}</TH>
        </TR>
      </THead>
      <TBody>
        {sessions.map((s) => {
          const sm = sourceMedium(s.source, s.medium);
          return (
            <TR key={s.session_id} data-testid="live-session-row" data-session-id={s.session_id}>
              <TD>
                <div className="flex flex-wrap items-center gap-1.5">
                  <Link
                    to={`/tracking/sessions/${encodeURIComponent(s.session_id)}`}
                    className="font-mono text-xs font-medium text-primary underline-offset-4 hover:underline"
                    aria-label={t("tracking.live.open", { id: s.session_id })}
                    data-testid="live-session-link"
                  >
                    {shortId(s.session_id)}
                  </Link>
                  {s.return_visits > 0 ? (
                    <Badge variant="secondary" title={t("tracking.live.returningTitle", { count: formatNumber(s.return_visits, locale) })}>
                      <Repeat className="mr-1 h-3 w-3" aria-hidden />
                      {t("tracking.live.returning")}
                    </Badge>
                  ) : null}
                  {s.converted ? <Badge variant="success">{t("tracking.live.converted")}</Badge> : null}
                  {s.is_bot ? (
                    <Badge variant="outline">
                      <Bot className="mr-1 h-3 w-3" aria-hidden />
                      {t("tracking.live.bot")}
                    </Badge>
                  ) : null}
                </div>
              </TD>
              <TD>
                <ChannelBadge channel={s.channel} />
              </TD>
              <TD className="max-w-[16rem] break-words">{sm ?? <span className="text-muted-foreground">{t("tracking.none")}</span>}</TD>
              <TD className="text-right tabular-nums">{formatNumber(s.total_page_views, locale)}</TD>
              <TD className="text-right tabular-nums">{formatNumber(s.total_events, locale)}</TD>
              <TD className="whitespace-nowrap">
                <time dateTime={s.started_at} title={formatDateTime(s.started_at, locale)}>
                  {formatRelative(s.started_at, locale, now)}
                </time>
              </TD>
              <TD className="whitespace-nowrap">
                <time dateTime={s.last_activity_at} title={formatDateTime(s.last_activity_at, locale)}>
                  {formatRelative(s.last_activity_at, locale, now)}
                </time>
              </TD>
            </TR>
          );
        })}
      </TBody>
    </Table>
  );
}

const REF_CODE = /^[A-Za-z0-9]{6}$/;

/**
 * Finds the sessions behind a WhatsApp message's `[ref:XXXXXX]` code (the tracker adds it to
 * links marked `data-rastro-whatsapp`): one session opens its timeline, several are listed.
 */
export function RefLookup({ now }: { now: Date }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [code, setCode] = useState("");
  const [asked, setAsked] = useState<string | null>(null);
  const query = useQuery({
    queryKey: ["tracking", "by-ref", asked],
    queryFn: () => unwrap(api.GET("/api/sessions/by-ref/{code}", { params: { path: { code: asked ?? "" }, query: { page: 1, page_size: PAGE_SIZE } } })),
    enabled: asked !== null,
  });
  useEffect(() => {
    const only = query.data?.items.length === 1 ? query.data.items[0] : undefined;
    if (only) navigate(`/tracking/sessions/${encodeURIComponent(only.session_id)}`);
  }, [query.data, navigate]);
  const cleaned = code.trim().replace(/^\[?ref:/i, "").replace(/\]$/, "");
  const valid = REF_CODE.test(cleaned);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (valid) setAsked(cleaned.toUpperCase());
  };
  return (
    <div className="grid gap-2">
      <form className="flex flex-wrap items-end gap-2" onSubmit={submit} role="search" aria-label={t("tracking.ref.label")}>
        <div className="grid gap-1">
          <Label htmlFor="ref-code">{t("tracking.ref.label")}</Label>
          <Input id="ref-code" value={code} onChange={(e) => setCode(e.target.value)} placeholder="[ref:K7Q2ZX]" className="w-40 font-mono" maxLength={12} data-testid="ref-code" />
        </div>
        <Button type="submit" variant="outline" disabled={!valid} data-testid="ref-find">
          <Search aria-hidden />
          {t("tracking.ref.find")}
        </Button>
      </form>
      {asked === null ? null : (
        <QueryStates
          query={query}
          isEmpty={(d) => d.items.length === 0}
          empty={
            <p className="text-sm text-muted-foreground" data-testid="ref-none">
              {t("tracking.ref.none", { code: asked })}
            </p>
          }
        >
          {/* One session opens at once (above); several are listed to choose from. */}
          {(found) => (found.items.length > 1 ? <LiveTable sessions={found.items} now={now} /> : null)}
        </QueryStates>
      )}
    </div>
  );
}

/** Invalidate at most once a second however many live events arrive. */
function useThrottledInvalidate(queryKey: readonly unknown[]) {
  const qc = useQueryClient();
  const key = useRef(queryKey);
  key.current = queryKey;
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  return useCallback(() => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      void qc.invalidateQueries({ queryKey: key.current });
    }, 1000);
  }, [qc]);
}

export default function LiveSection() {
  const { t } = useI18n();
  const [page, setPage] = usePageParam();
  const [includeBots, setIncludeBots] = useState(false);
  const now = useNow(LIVE_REFRESH_MS);
  const query = useQuery({
    queryKey: ["tracking", "live", { page, includeBots }],
    queryFn: () =>
      unwrap(api.GET("/api/sessions/live", { params: { query: { page, page_size: PAGE_SIZE, include_bots: includeBots } } })),
    placeholderData: keepPreviousData,
    refetchInterval: LIVE_REFRESH_MS,
  });
  const refresh = useThrottledInvalidate(["tracking", "live"]);
  useLiveEvent("visitor_online", refresh);
  useLiveEvent("visitor_offline", refresh);

  const domainsLink = (
    <Button asChild variant="outline" size="sm">
      <Link to="/tracking/domains">{t("tracking.live.goToDomains")}</Link>
    </Button>
  );

  return (
    <section className="grid grid-cols-1 gap-4" aria-labelledby="live-title">
      <div className="flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
        <div id="live-title">
          <PageTitle title={t("tracking.live.title")} subtitle={t("tracking.live.description")} />
        </div>
        <div className="flex items-center gap-2">
          <Checkbox
            id="live-include-bots"
            checked={includeBots}
            onCheckedChange={(c) => {
              setIncludeBots(c === true);
              setPage(1);
            }}
          />
          <Label htmlFor="live-include-bots">{t("tracking.live.includeBots")}</Label>
        </div>
      </div>
      <RefLookup now={now} />
      <QueryStates query={query} isEmpty={(d) => d.items.length === 0} empty={t("tracking.live.empty")} emptyAction={domainsLink}>
        {(data) => (
          <div>
            <LiveTable sessions={data.items} now={now} />
            <Pagination page={page} pageSize={PAGE_SIZE} total={data.total} onPageChange={setPage} />
          </div>
        )}
      </QueryStates>
    </section>
  );
}
