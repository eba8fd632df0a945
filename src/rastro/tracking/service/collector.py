"""The collector: validates a batch from the tracker, enriches it and writes sessions,
touches, page views, events and the visitor journey in one BI transaction.

Rules (seed 000 / seed 001 scenario 1):
* one batch belongs to one tracker session; the server starts a new session after 30
  minutes without activity or when the landing carries a different campaign (UTM set or
  click id) — the new session id is the tracker's id with a `.N` suffix;
* every event carries a client `event_id`; a repeated id is stored once (retries);
* each event is accepted or rejected on its own, with a reason, so one bad event never
  rejects its neighbours; the caller answers only after the transaction committed.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.tracking.channels import resolve_touch
from rastro.tracking.enrichment import (
    Agent,
    campaign_key,
    host_of,
    parse_agent,
    parse_landing,
    url_key,
    visitor_id_for,
)
from rastro.tracking.models import Event, PageView, TrackedSession, UtmTracking, VisitorJourney

SESSION_TIMEOUT = timedelta(minutes=30)
MAX_PAST = timedelta(days=7)
MAX_FUTURE = timedelta(hours=1)
MAX_EVENTS = 500
MAX_TEXT = 2000  # URLs, titles, referrers
MAX_LABEL = 500
INTERACTION_TYPES = frozenset(
    {
        "click",
        "scroll",
        "form_start",
        "form_abandon",
        "form_submit",
        "video_play",
        "download",
        "custom",
        "payment_init",
        "payment_complete",
    }
)
EVENT_TYPES = INTERACTION_TYPES | {"page_view", "page_leave"}


@dataclass(frozen=True)
class SiteContext:
    """The domain a site key resolved to (cached by the caller)."""

    organization_id: uuid.UUID
    domain_id: uuid.UUID
    host: str | None
    pages: dict[str, uuid.UUID]  # url_key → landing page id


@dataclass
class EventResult:
    event_id: str | None
    status: str  # stored, duplicate, rejected
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"event_id": self.event_id, "status": self.status}
        if self.reason:
            body["reason"] = self.reason
        return body


@dataclass
class BatchResult:
    session_id: str | None
    results: list[EventResult] = field(default_factory=list)
    # Seed 002's live events for watchers of the organization, sent after commit.
    live_events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)


class RejectedEvent(ValueError):
    pass


@dataclass
class CleanEvent:
    event_id: uuid.UUID
    type: str
    at: datetime
    raw: dict[str, Any]


def _text(value: Any, limit: int, name: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        else:
            raise RejectedEvent(f"invalid_{name}")
    if len(value) > limit:
        raise RejectedEvent(f"{name}_too_long")
    if "\x00" in value:
        raise RejectedEvent(f"invalid_{name}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise RejectedEvent(f"invalid_{name}") from None  # lone surrogates
    return str(value)


def _clean(raw: Any, now: datetime) -> CleanEvent:
    if not isinstance(raw, dict):
        raise RejectedEvent("not_an_object")
    try:
        event_id = uuid.UUID(str(raw.get("event_id")))
    except ValueError:
        raise RejectedEvent("invalid_event_id") from None
    event_type = raw.get("type")
    if event_type not in EVENT_TYPES:
        raise RejectedEvent("unknown_type")
    ts = raw.get("ts")
    if not isinstance(ts, (int, float)) or isinstance(ts, bool) or not math.isfinite(ts):
        raise RejectedEvent("invalid_timestamp")
    try:
        at = datetime.fromtimestamp(ts / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        raise RejectedEvent("invalid_timestamp") from None
    if at > now + MAX_FUTURE or at < now - MAX_PAST:
        raise RejectedEvent("timestamp_out_of_range")
    for name, limit in (("url", MAX_TEXT), ("referrer", MAX_TEXT), ("title", MAX_TEXT)):
        raw[name] = _text(raw.get(name), limit, name)
    for name in ("category", "action", "label", "element_id", "element_class", "view_id"):
        raw[name] = _text(raw.get(name), MAX_LABEL, name)
    if event_type == "page_view" and not raw["url"]:
        raise RejectedEvent("missing_url")
    if raw.get("url") and not raw["url"].startswith(("http://", "https://")):
        raise RejectedEvent("invalid_url")
    value = raw.get("value")
    if value is not None:
        try:
            decimal = Decimal(str(value))
        except InvalidOperation:
            raise RejectedEvent("invalid_value") from None
        if not decimal.is_finite() or abs(decimal) >= Decimal("1e14"):
            raise RejectedEvent("invalid_value")
        raw["value"] = decimal
    data = raw.get("data")
    if data is not None and not isinstance(data, dict):
        raise RejectedEvent("invalid_data")
    if event_type == "page_leave":
        seconds = raw.get("time_on_page")
        if not isinstance(seconds, int) or isinstance(seconds, bool) or not 0 <= seconds < 86_400:
            raise RejectedEvent("invalid_time_on_page")
    return CleanEvent(event_id=event_id, type=event_type, at=at, raw=raw)


@dataclass(frozen=True)
class Hit:
    """What the request itself tells: who sent it and from where."""

    ip: str | None
    user_agent: str


async def _current_session(session: AsyncSession, client_session_id: str) -> TrackedSession | None:
    row: TrackedSession | None = await session.scalar(
        select(TrackedSession)
        .where(TrackedSession.client_session_id == client_session_id)
        .order_by(TrackedSession.started_at.desc())
        .limit(1)
        .with_for_update()
    )
    return row


async def _server_session_id(session: AsyncSession, client_session_id: str) -> str:
    taken = await session.scalar(
        select(func.count()).where(TrackedSession.client_session_id == client_session_id)
    )
    return client_session_id if not taken else f"{client_session_id}.{int(taken) + 1}"


async def ingest(
    session: AsyncSession,
    *,
    site: SiteContext,
    payload: dict[str, Any],
    hit: Hit,
    secret: str,
    now: datetime | None = None,
) -> BatchResult:
    """Store one batch. `session` is a BI session scoped to the site's organization."""
    now = now or datetime.now(UTC)
    raw_events = payload.get("events")
    results: list[EventResult] = []
    clean: list[CleanEvent] = []
    seen: set[uuid.UUID] = set()
    for raw in raw_events if isinstance(raw_events, list) else []:
        event_id = raw.get("event_id") if isinstance(raw, dict) else None
        try:
            event = _clean(raw, now)
        except RejectedEvent as exc:
            results.append(EventResult(str(event_id) if event_id else None, "rejected", str(exc)))
            continue
        if event.event_id in seen:
            results.append(EventResult(str(event.event_id), "duplicate"))
            continue
        seen.add(event.event_id)
        clean.append(event)
        results.append(EventResult(str(event.event_id), "stored"))
    clean.sort(key=lambda e: e.at)
    client_session_id = _text(payload.get("session_id"), 64, "session_id")
    if not clean or not client_session_id:
        if clean and not client_session_id:
            for r in results:
                if r.status == "stored":
                    r.status, r.reason = "rejected", "missing_session_id"
        return BatchResult(None, results)

    agent = parse_agent(hit.user_agent)
    visitor_id = visitor_id_for(
        client_id=payload.get("visitor_id") if isinstance(payload.get("visitor_id"), str) else None,
        secret=secret,
        organization_id=site.organization_id,
        ip=hit.ip,
        user_agent=hit.user_agent,
        domain_id=site.domain_id,
    )
    activity = [e for e in clean if e.type != "page_leave"]
    first_view = next((e for e in activity if e.type == "page_view"), None)
    landing = parse_landing(first_view.raw["url"]) if first_view else None
    landing_campaign = campaign_key(landing.touch) if landing else None

    tracked = await _current_session(session, client_session_id)
    starts_new = activity and (
        tracked is None
        or activity[0].at - tracked.last_activity_at > SESSION_TIMEOUT
        or (landing_campaign is not None and landing_campaign != tracked.campaign_key)
    )
    new_session = False
    if starts_new:
        tracked, new_session = await _start_session(
            session,
            site=site,
            client_session_id=client_session_id,
            visitor_id=visitor_id,
            first=activity[0],
            first_view=first_view,
            landing_campaign=landing_campaign,
            agent=agent,
            hit=hit,
            payload=payload,
        )
    if tracked is None:  # only page_leave events for a session never seen: nothing to attach
        for r in results:
            if r.status == "stored":
                r.status, r.reason = "rejected", "unknown_session"
        return BatchResult(None, results)

    stored_views, stored_events, duplicates = await _write_events(session, site, tracked, clean)
    for r in results:
        if r.status == "stored" and r.event_id in duplicates:
            r.status = "duplicate"
    last_at = max(e.at for e in clean)
    tracked.total_page_views += stored_views
    tracked.total_events += stored_events
    if last_at > tracked.last_activity_at:
        tracked.last_activity_at = last_at
    await _update_journey(session, site, tracked, new_session=new_session, page_views=stored_views)
    await session.flush()
    batch = BatchResult(tracked.session_id, results)
    if not tracked.is_bot:
        if new_session:
            batch.live_events.append(("visitor_online", _live_session(tracked)))
        elif stored_views:
            last_view = max((e for e in clean if e.type == "page_view"), key=lambda e: e.at)
            batch.live_events.append(
                (
                    "visitor_step_change",
                    {
                        "session_id": tracked.session_id,
                        "page_url": last_view.raw["url"],
                        "page_id": _str(site.pages.get(url_key(last_view.raw["url"]))),
                        "total_page_views": tracked.total_page_views,
                    },
                )
            )
    return batch


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def _live_session(tracked: TrackedSession) -> dict[str, Any]:
    return {
        "session_id": tracked.session_id,
        "visitor_id": tracked.visitor_id,
        "domain_id": str(tracked.domain_id),
        "channel": tracked.channel,
        "source": tracked.metadata_.get("source"),
        "medium": tracked.metadata_.get("medium"),
        "started_at": tracked.started_at.isoformat(),
        "return_visits": tracked.return_visits,
    }


async def _start_session(
    session: AsyncSession,
    *,
    site: SiteContext,
    client_session_id: str,
    visitor_id: str,
    first: CleanEvent,
    first_view: CleanEvent | None,
    landing_campaign: str | None,
    agent: Agent,
    hit: Hit,
    payload: dict[str, Any],
) -> tuple[TrackedSession, bool]:
    """A new session with its touch (utm_tracking row); False when a concurrent request
    created the same session first."""
    previous_sessions = await session.scalar(
        select(VisitorJourney.total_sessions).where(
            VisitorJourney.domain_id == site.domain_id, VisitorJourney.visitor_id == visitor_id
        )
    )
    page_url = first_view.raw["url"] if first_view else first.raw.get("url")
    first_page_id = site.pages.get(url_key(page_url)) if page_url else None
    landing = parse_landing(page_url) if page_url else None
    referrer = first_view.raw.get("referrer") if first_view else None
    touch = resolve_touch(landing.touch if landing else {}, host_of(referrer), site.host)
    context: dict[str, Any] = payload.get("context") or {}
    stored_touch: dict[str, Any] = payload.get("touch") or {}
    if not isinstance(context, dict):
        context = {}
    if not isinstance(stored_touch, dict):
        stored_touch = {}
    values = dict(
        organization_id=site.organization_id,
        domain_id=site.domain_id,
        first_page_id=first_page_id,
        visitor_id=visitor_id,
        client_session_id=client_session_id,
        started_at=first.at,
        last_activity_at=first.at,
        total_page_views=0,
        total_events=0,
        converted=False,
        return_visits=int(previous_sessions or 0),
        is_bot=agent.is_bot,
        channel=touch.channel,
        campaign_key=landing_campaign,
        metadata_={
            "source": touch.source,
            "medium": touch.medium,
            "browser": agent.browser,
            "os": agent.os,
            "screen": _text(context.get("screen"), 20, "screen") if context else None,
            "language": _text(context.get("language"), 35, "language") if context else None,
            "stored_touch": _small(stored_touch),
        },
    )
    tracked = await _insert_session(
        session, values, await _server_session_id(session, client_session_id)
    )
    if tracked is None:
        # The id is taken: by a concurrent request for the same visit (use its row), or by
        # another organization's visit (a client may send any id): take a fresh one.
        existing = await _current_session(session, client_session_id)
        if existing is not None and first.at - existing.last_activity_at <= SESSION_TIMEOUT:
            return existing, False
        tracked = await _insert_session(
            session, values, f"{client_session_id}.{uuid.uuid4().hex[:10]}"
        )
        assert tracked is not None
    landing_touch = landing.touch if landing else {}
    fb = stored_touch.get("last") if isinstance(stored_touch.get("last"), dict) else {}
    await session.execute(
        insert(UtmTracking).values(
            tracking_id=uuid.uuid4(),
            created_at=first.at,
            organization_id=site.organization_id,
            session_id=tracked.session_id,
            visitor_id=visitor_id,
            domain_id=site.domain_id,
            page_id=first_page_id,
            **{name: landing_touch.get(name) for name in _TOUCH_COLUMNS},
            fbc=_text(fb.get("fbc"), 255, "fbc") if fb else None,
            fbp=_text(fb.get("fbp"), 255, "fbp") if fb else None,
            channel=touch.channel,
            device=agent.device,
            match_type=landing.match_type if landing else None,
            attribution_model="last_click",
            referrer=referrer,
            page_url=page_url,
            url_params=landing.other_params if landing else {},
            user_agent=hit.user_agent[:1000] or None,
            client_ip=hit.ip,
        )
    )
    return tracked, True


async def _insert_session(
    session: AsyncSession, values: dict[str, Any], session_id: str
) -> TrackedSession | None:
    """Insert unless the id exists (in any organization); the new row, or None."""
    result = await session.scalars(
        insert(TrackedSession)
        .values(session_id=session_id, **values)
        .on_conflict_do_nothing(index_elements=[TrackedSession.session_id])
        .returning(TrackedSession)
    )
    return result.one_or_none()


_TOUCH_COLUMNS = (
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_id",
    "utm_term",
    "utm_content",
    "gclid",
    "gbraid",
    "wbraid",
    "fbclid",
    "ttclid",
    "li_fat_id",
    "msclkid",
    "src",
    "sck",
    "xcod",
)


def _small(value: dict[str, Any]) -> dict[str, Any]:
    """Keep the tracker's stored touches only if they are small flat objects of strings."""
    out: dict[str, Any] = {}
    for key in ("first", "last"):
        touch = value.get(key)
        if isinstance(touch, dict):
            out[key] = {
                str(k)[:40]: v[:255] if isinstance(v, str) else v
                for k, v in list(touch.items())[:30]
                if isinstance(v, (str, int, float)) and not isinstance(v, bool)
            }
    return out


async def _write_events(
    session: AsyncSession, site: SiteContext, tracked: TrackedSession, events: list[CleanEvent]
) -> tuple[int, int, set[str]]:
    """Insert page views and interactions once each; apply page leaves. Returns counts and
    the ids that were already stored."""
    views = [e for e in events if e.type == "page_view"]
    interactions = [e for e in events if e.type in INTERACTION_TYPES]
    leaves = [e for e in events if e.type == "page_leave"]
    duplicates: set[str] = set()
    stored_views = 0
    if views:
        existing = set(
            await session.scalars(
                select(PageView.view_id).where(
                    PageView.session_id == tracked.session_id,
                    PageView.view_id.in_([e.event_id for e in views]),
                )
            )
        )
        fresh = [e for e in views if e.event_id not in existing]
        duplicates |= {str(e.event_id) for e in views if e.event_id in existing}
        if fresh:
            inserted = await session.scalars(
                insert(PageView)
                .values(
                    [
                        {
                            "view_id": e.event_id,
                            "created_at": e.at,
                            "organization_id": site.organization_id,
                            "session_id": tracked.session_id,
                            "page_id": site.pages.get(url_key(e.raw["url"])),
                            "client_view_id": e.raw.get("view_id"),
                            "page_url": e.raw["url"],
                            "page_title": e.raw.get("title"),
                            "referrer": e.raw.get("referrer"),
                            "view_order": tracked.total_page_views + i + 1,
                            "exit_page": False,
                        }
                        for i, e in enumerate(fresh)
                    ]
                )
                .on_conflict_do_nothing()
                .returning(PageView.view_id)
            )
            inserted_ids = set(inserted)
            duplicates |= {str(e.event_id) for e in fresh if e.event_id not in inserted_ids}
            stored_views = len(inserted_ids)
    stored_events = 0
    if interactions:
        inserted = await session.scalars(
            insert(Event)
            .values(
                [
                    {
                        "event_id": e.event_id,
                        "created_at": e.at,
                        "organization_id": site.organization_id,
                        "session_id": tracked.session_id,
                        "page_id": site.pages.get(url_key(e.raw["url"]))
                        if e.raw.get("url")
                        else None,
                        "event_type": e.type,
                        "event_category": e.raw.get("category"),
                        "event_action": e.raw.get("action"),
                        "event_label": e.raw.get("label"),
                        "event_value": e.raw.get("value"),
                        "element_id": e.raw.get("element_id"),
                        "element_class": e.raw.get("element_class"),
                        "event_data": {
                            **(e.raw.get("data") or {}),
                            **({"url": e.raw["url"]} if e.raw.get("url") else {}),
                        },
                    }
                    for e in interactions
                ]
            )
            .on_conflict_do_nothing()
            .returning(Event.event_id)
        )
        inserted_ids = set(inserted)
        duplicates |= {str(e.event_id) for e in interactions if e.event_id not in inserted_ids}
        stored_events = len(inserted_ids)
    for leave in leaves:
        if not leave.raw.get("view_id"):
            continue
        await session.execute(
            update(PageView)
            .where(
                PageView.session_id.in_(
                    select(TrackedSession.session_id).where(
                        TrackedSession.client_session_id == tracked.client_session_id
                    )
                ),
                PageView.client_view_id == leave.raw["view_id"],
            )
            # A page shown again sends another, larger page_leave; a late retry must not
            # shrink it: keep the largest time and any exit.
            .values(
                time_on_page=func.greatest(
                    func.coalesce(PageView.time_on_page, 0), leave.raw["time_on_page"]
                ),
                exit_page=PageView.exit_page | bool(leave.raw.get("exit")),
            )
        )
    return stored_views, stored_events, duplicates


async def _update_journey(
    session: AsyncSession,
    site: SiteContext,
    tracked: TrackedSession,
    *,
    new_session: bool,
    page_views: int,
) -> None:
    statement = insert(VisitorJourney).values(
        journey_id=uuid.uuid4(),
        organization_id=site.organization_id,
        visitor_id=tracked.visitor_id,
        domain_id=site.domain_id,
        first_visit_at=tracked.started_at,
        last_visit_at=tracked.last_activity_at,
        total_sessions=1,
        total_page_views=page_views,
        converted=False,
    )
    excluded = statement.excluded
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[VisitorJourney.domain_id, VisitorJourney.visitor_id],
            set_={
                "first_visit_at": func.least(
                    VisitorJourney.first_visit_at, excluded.first_visit_at
                ),
                "last_visit_at": func.greatest(
                    VisitorJourney.last_visit_at, excluded.last_visit_at
                ),
                "total_sessions": VisitorJourney.total_sessions + (1 if new_session else 0),
                "total_page_views": VisitorJourney.total_page_views + page_views,
            },
        )
    )
