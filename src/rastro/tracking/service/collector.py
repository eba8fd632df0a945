"""The collector: validates a batch from the tracker, enriches it and writes sessions,
touches, page views, events and the visitor journey in one BI transaction.

Rules (seed 000 / seed 001 scenario 1):
* one batch belongs to one tracker session; the server starts a new session after 30
  minutes without activity or when the landing carries a different campaign (UTM set or
  click id) — the new session id is the tracker's id with a `.N` suffix;
* every event carries a client `event_id`; a repeated id is stored once (retries);
* Python validates and enriches; the writes happen in the database function
  `rastro_collect` (a subtransaction per batch), one round trip for many batches;
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
from urllib.parse import urlsplit

import orjson
import structlog
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from rastro.tracking.channels import resolve_touch
from rastro.tracking.enrichment import (
    campaign_key,
    host_of,
    no_nul,
    parse_agent,
    parse_landing,
    url_key,
    visitor_id_for,
)

log = structlog.get_logger(__name__)
MAX_PAST = timedelta(days=7)
MAX_FUTURE = timedelta(hours=1)
MAX_EVENTS = 500
MAX_TEXT = 2000  # URLs, titles, referrers
MAX_LABEL = 500
MAX_DATA = 8 * 1024  # an event's `data` object, as JSON
# Text fields of an event and the longest value their column holds.
EVENT_TEXT = (
    ("category", 255),
    ("action", 255),
    ("label", MAX_LABEL),
    ("element_id", 255),
    ("element_class", MAX_LABEL),
    ("view_id", 64),
)
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

    def page_of(self, url: str | None) -> uuid.UUID | None:
        """The landing page a URL is on (None when the site has none registered there)."""
        return self.pages.get(url_key(url)) if url and self.pages else None


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
    if not isinstance(event_type, str) or event_type not in EVENT_TYPES:
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
    for name, limit in EVENT_TEXT:
        raw[name] = _text(raw.get(name), limit, name)
    if event_type == "page_view" and not raw["url"]:
        raise RejectedEvent("missing_url")
    if raw.get("url") and not _is_web_url(raw["url"]):
        raise RejectedEvent("invalid_url")
    value = raw.get("value")
    if value is not None:
        try:
            decimal = Decimal(str(value))
        except (InvalidOperation, ValueError):
            raise RejectedEvent("invalid_value") from None
        # copy_abs() is exact: abs() would round to the context and overflow on 1e999999999
        if not decimal.is_finite() or decimal.copy_abs() >= Decimal("1e14"):
            raise RejectedEvent("invalid_value")
        raw["value"] = decimal
    data = raw.get("data")
    if data is not None:
        if not isinstance(data, dict):
            raise RejectedEvent("invalid_data")
        encoded = orjson.dumps(data)
        if len(encoded) > MAX_DATA:
            raise RejectedEvent("data_too_long")
        if b"\\u0000" in encoded:  # PostgreSQL's jsonb holds no NUL character
            raise RejectedEvent("invalid_data")
    if event_type == "page_leave":
        seconds = raw.get("time_on_page")
        if not isinstance(seconds, int) or isinstance(seconds, bool) or not 0 <= seconds < 86_400:
            raise RejectedEvent("invalid_time_on_page")
    return CleanEvent(event_id=event_id, type=event_type, at=at, raw=raw)


def _is_web_url(url: str) -> bool:
    """An http(s) URL whose host parses (`http://[::1/x` does not)."""
    if not url.startswith(("http://", "https://")):
        return False
    try:
        urlsplit(url).hostname  # noqa: B018  (raises for a malformed host)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Hit:
    """What the request itself tells: who sent it and from where."""

    ip: str | None
    user_agent: str


@dataclass
class Prepared:
    """A validated, enriched batch, ready for `rastro_collect` (None: nothing to store)."""

    site: SiteContext
    results: list[EventResult]
    batch: dict[str, Any] | None = None

    @property
    def size(self) -> int:
        return len(self.results)


def prepare(
    *,
    site: SiteContext,
    payload: dict[str, Any],
    hit: Hit,
    secret: str,
    now: datetime | None = None,
) -> Prepared:
    """Validate each event on its own and compute everything the database needs: the
    visitor id, the landing's touch and channel, device and bot flag."""
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
    prepared = Prepared(site, results)
    try:
        client_session_id = _text(payload.get("session_id"), 64, "session_id")
    except RejectedEvent:
        client_session_id = None
    if not clean:
        return prepared
    if not client_session_id:
        _reject_stored(results, "missing_session_id")
        return prepared
    clean.sort(key=lambda e: e.at)
    agent = parse_agent(hit.user_agent)
    client_visitor = payload.get("visitor_id")
    visitor_id = visitor_id_for(
        client_id=client_visitor if isinstance(client_visitor, str) else None,
        secret=secret,
        organization_id=site.organization_id,
        ip=hit.ip,
        user_agent=hit.user_agent,
        domain_id=site.domain_id,
    )
    activity = [e for e in clean if e.type != "page_leave"]
    views = [e for e in clean if e.type == "page_view"]
    first_view = views[0] if views else None
    first_url = (
        first_view.raw["url"] if first_view else (activity[0].raw.get("url") if activity else None)
    )
    landing = parse_landing(first_url) if first_url else None
    referrer = first_view.raw.get("referrer") if first_view else None
    touch = resolve_touch(landing.touch if landing else {}, host_of(referrer), site.host)
    context = _dict(payload.get("context"))
    stored_touch = _small(_dict(payload.get("touch")))
    last_touch = stored_touch.get("last", {})
    first_page_id = site.page_of(first_url)
    prepared.batch = {
        "org": site.organization_id,
        "domain": site.domain_id,
        "csid": client_session_id,
        "visitor": visitor_id,
        "activity_at": activity[0].at.isoformat() if activity else None,
        "last_at": clean[-1].at.isoformat(),
        "campaign_key": campaign_key(landing.touch) if landing else None,
        "session": {
            "first_page_id": first_page_id,
            "is_bot": agent.is_bot,
            "channel": touch.channel,
            "metadata": {
                "source": touch.source,
                "medium": touch.medium,
                "browser": agent.browser,
                "os": agent.os,
                "screen": _optional_text(context.get("screen"), 20),
                "language": _optional_text(context.get("language"), 35),
                "stored_touch": stored_touch,
            },
        },
        "touch": {
            **{name: (landing.touch.get(name) if landing else None) for name in _TOUCH_COLUMNS},
            "page_id": first_page_id,
            "fbc": _optional_text(last_touch.get("fbc"), 255),
            "fbp": _optional_text(last_touch.get("fbp"), 255),
            "channel": touch.channel,
            "device": agent.device,
            "match_type": landing.match_type if landing else None,
            "attribution_model": "last_click",
            "referrer": referrer,
            "page_url": first_url,
            "url_params": landing.other_params if landing else {},
            "user_agent": no_nul(hit.user_agent)[:1000] or None,
            "client_ip": hit.ip,
        },
        "views": [
            {
                "view_id": e.event_id,
                "created_at": e.at.isoformat(),
                "page_id": site.page_of(e.raw["url"]),
                "client_view_id": e.raw.get("view_id"),
                "page_url": e.raw["url"],
                "page_title": e.raw.get("title"),
                "referrer": e.raw.get("referrer"),
            }
            for e in views
        ],
        "events": [
            {
                "event_id": e.event_id,
                "created_at": e.at.isoformat(),
                "page_id": site.page_of(e.raw.get("url")),
                "event_type": e.type,
                "event_category": e.raw.get("category"),
                "event_action": e.raw.get("action"),
                "event_label": e.raw.get("label"),
                "event_value": str(e.raw["value"]) if e.raw.get("value") is not None else None,
                "element_id": e.raw.get("element_id"),
                "element_class": e.raw.get("element_class"),
                "event_data": {
                    **(e.raw.get("data") or {}),
                    **({"url": e.raw["url"]} if e.raw.get("url") else {}),
                },
            }
            for e in clean
            if e.type in INTERACTION_TYPES
        ],
        "leaves": [
            {
                "client_view_id": e.raw["view_id"],
                "time_on_page": e.raw["time_on_page"],
                "exit_page": bool(e.raw.get("exit")),
            }
            for e in clean
            if e.type == "page_leave" and e.raw.get("view_id")
        ],
    }
    return prepared


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _optional_text(value: Any, limit: int) -> str | None:
    try:
        return _text(value, limit, "field")
    except RejectedEvent:
        return None


def _reject_stored(results: list[EventResult], reason: str) -> None:
    for result in results:
        if result.status == "stored":
            result.status, result.reason = "rejected", reason


COLLECT_SQL = "SELECT rastro_collect(%s::jsonb)"  # a subtransaction per batch
# What `rastro_collect` (or PostgreSQL, for a batch stored alone) answers when the batch
# held a value it refused (SQLSTATE class 22, data exception).
DATA_ERROR = "internal: 22"


def encode(batches: list[Prepared]) -> str:
    """The `rastro_collect` argument for these batches."""
    return orjson.dumps([p.batch for p in batches if p.batch is not None]).decode()


def decode(stored: list[dict[str, Any]], batches: list[Prepared]) -> list[dict[str, Any]]:
    """One outcome per batch (an empty one for a batch with nothing to store)."""
    rows = iter(stored)
    return [next(rows) if prepared.batch is not None else {} for prepared in batches]


async def store(connection: AsyncConnection, batches: list[Prepared]) -> list[dict[str, Any]]:
    """Write prepared batches in the connection's transaction (one round trip)."""
    result = await connection.exec_driver_sql(COLLECT_SQL, (encode(batches),))
    return decode(result.scalar_one(), batches)


def finish(prepared: Prepared, outcome: dict[str, Any]) -> BatchResult:
    """Per-event results from what the database stored; live events for watchers."""
    results = prepared.results
    if prepared.batch is None:
        return BatchResult(None, results)
    if "error" in outcome:
        error = str(outcome["error"])
        if error == "unknown_session":  # only page_leave for an unseen session
            _reject_stored(results, "unknown_session")
        elif error.startswith(DATA_ERROR):  # a value the database refused: the input's fault
            log.warning("collector_batch_refused", error=error)
            _reject_stored(results, "invalid_batch")
        else:
            raise RuntimeError(f"rastro_collect failed: {error}")
        return BatchResult(None, results)
    # Views and interactions the database did not insert were already there (retries);
    # page_leave events update a view and count as stored with their batch.
    stored = {str(i) for i in outcome["views"]} | {str(i) for i in outcome["events"]}
    inserts = {str(v["view_id"]) for v in prepared.batch["views"]} | {
        str(e["event_id"]) for e in prepared.batch["events"]
    }
    for result in results:
        if result.status == "stored" and result.event_id in inserts - stored:
            result.status = "duplicate"
    batch = BatchResult(outcome["session_id"], results)
    if not outcome["is_bot"]:
        if outcome["new"]:
            batch.live_events.append(
                (
                    "visitor_online",
                    {
                        "session_id": outcome["session_id"],
                        "visitor_id": outcome["visitor_id"],
                        "domain_id": outcome["domain_id"],
                        "channel": outcome["channel"],
                        "source": outcome["source"],
                        "medium": outcome["medium"],
                        "started_at": outcome["started_at"],
                        "return_visits": outcome["return_visits"],
                    },
                )
            )
        elif outcome["views"]:
            last_view = prepared.batch["views"][-1]  # views are in time order
            batch.live_events.append(
                (
                    "visitor_step_change",
                    {
                        "session_id": outcome["session_id"],
                        "page_url": last_view["page_url"],
                        "page_id": _str(last_view["page_id"]),
                        "total_page_views": outcome["total_page_views"],
                    },
                )
            )
    return batch


async def ingest(
    session: AsyncSession,
    *,
    site: SiteContext,
    payload: dict[str, Any],
    hit: Hit,
    secret: str,
    now: datetime | None = None,
) -> BatchResult:
    """Prepare and store one batch in the session's transaction (demo data, the pixel)."""
    prepared = prepare(site=site, payload=payload, hit=hit, secret=secret, now=now)
    if prepared.batch is None:
        return finish(prepared, {})
    (outcome,) = await store(await session.connection(), [prepared])
    return finish(prepared, outcome)


def _str(value: object) -> str | None:
    return None if value is None else str(value)


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
                no_nul(str(k))[:40]: no_nul(v)[:255] if isinstance(v, str) else v
                for k, v in list(touch.items())[:30]
                if isinstance(v, (str, int, float)) and not isinstance(v, bool)
            }
    return out
