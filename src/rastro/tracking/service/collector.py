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

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
import structlog
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from rastro.tracking.channels import Touch, resolve_touch
from rastro.tracking.contracts import (
    RASTRO_COLLECT,
    CollectBatch,
    CollectOutcome,
)
from rastro.tracking.enrichment import (
    CACHED_URL_LENGTH,
    URL_CACHE_SIZE,
    host_of,
    no_nul,
    parse_agent,
    parse_landing,
    url_key,
    visitor_id_for,
)
from rastro.tracking.service.collect_input import (
    INTERACTION_TYPES,
    CleanEvent,
    RejectedEvent,
    _clean,
    _dict,
    _optional_text,
    _small,
    _str,
    _text,
)
from rastro.tracking.service.consent import parse_consent

log = structlog.get_logger(__name__)
MAX_EVENTS = 500


@dataclass(frozen=True)
class SiteContext:
    """The domain a site key resolved to (cached by the caller)."""

    organization_id: uuid.UUID
    domain_id: uuid.UUID
    host: str | None
    pages: dict[str, uuid.UUID]  # url_key → landing page id
    # The domain's consent mode is `required`: events without the visitor's consent to
    # analytics are refused (the tracker holds them back until then).
    consent_required: bool = False

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
    # The batch's last page view (a human's): what `hooks.on_page_viewed` listeners get.
    page_view: tuple[str, bool] | None = None  # (page URL, new session)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)


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
    batch: CollectBatch | None = None

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
    context = _dict(payload.get("context"))
    consent = parse_consent(context.get("consent"))
    if site.consent_required and not (consent and consent["analytics"]):
        _reject_stored(results, "no_consent")
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
    touch = touch_of(first_url, host_of(referrer), site.host)
    stored_touch = _small(_dict(payload.get("touch")))
    last_touch = stored_touch.get("last", {})
    first_page_id = site.page_of(first_url)
    landing_touch = landing.touch if landing else {}
    prepared.batch = {
        "org": site.organization_id,
        "domain": site.domain_id,
        "csid": client_session_id,
        "visitor": visitor_id,
        "activity_at": activity[0].at.isoformat() if activity else None,
        "last_at": clean[-1].at.isoformat(),
        "campaign_key": landing.campaign_key if landing else None,
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
            "utm_source": landing_touch.get("utm_source"),
            "utm_medium": landing_touch.get("utm_medium"),
            "utm_campaign": landing_touch.get("utm_campaign"),
            "utm_id": landing_touch.get("utm_id"),
            "utm_term": landing_touch.get("utm_term"),
            "utm_content": landing_touch.get("utm_content"),
            "gclid": landing_touch.get("gclid"),
            "gbraid": landing_touch.get("gbraid"),
            "wbraid": landing_touch.get("wbraid"),
            "fbclid": landing_touch.get("fbclid"),
            "ttclid": landing_touch.get("ttclid"),
            "li_fat_id": landing_touch.get("li_fat_id"),
            "msclkid": landing_touch.get("msclkid"),
            "src": landing_touch.get("src"),
            "sck": landing_touch.get("sck"),
            "xcod": landing_touch.get("xcod"),
            "email_message_id": _uuid(landing_touch.get("mid")),
            "email_contact_id": _uuid(landing_touch.get("rid")),
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
    if consent is not None:
        prepared.batch["session"]["metadata"]["consent"] = consent
    return prepared


def _uuid(value: str | None) -> uuid.UUID | None:
    """An e-mail click's `mid` / `rid` as the id it names; anything else is dropped."""
    if not value or len(value) > 36:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def touch_of(url: str | None, referrer_host: str | None, own_host: str | None) -> Touch:
    """The landing's source, medium and channel (cached for short URLs and hosts: the same
    landing and referrer come back with every page view of a visit)."""
    if (url is None or len(url) <= CACHED_URL_LENGTH) and len(referrer_host or "") <= 255:
        return _cached_touch(url, referrer_host, own_host)
    return _touch(url, referrer_host, own_host)


def _touch(url: str | None, referrer_host: str | None, own_host: str | None) -> Touch:
    landing = parse_landing(url) if url else None
    return resolve_touch(landing.touch if landing else {}, referrer_host, own_host)


_cached_touch = lru_cache(maxsize=URL_CACHE_SIZE)(_touch)


def _reject_stored(results: list[EventResult], reason: str) -> None:
    for result in results:
        if result.status == "stored":
            result.status, result.reason = "rejected", reason


COLLECT_SQL = RASTRO_COLLECT.statement  # a subtransaction per batch
# What `rastro_collect` (or PostgreSQL, for a batch stored alone) answers when the batch
# held a value it refused (SQLSTATE class 22, data exception).
DATA_ERROR = "internal: 22"


def stored_batches(batches: list[Prepared]) -> list[CollectBatch]:
    """The `rastro_collect` input for these batches (those with something to store)."""
    return [p.batch for p in batches if p.batch is not None]


def encode(batches: list[Prepared]) -> str:
    """The `rastro_collect` argument for these batches, as JSON text."""
    return orjson.dumps(stored_batches(batches)).decode()


def decode(stored: list[CollectOutcome], batches: list[Prepared]) -> list[CollectOutcome | None]:
    """One outcome per batch (None for a batch with nothing to store)."""
    rows = iter(stored)
    return [next(rows) if prepared.batch is not None else None for prepared in batches]


async def store(
    connection: AsyncConnection, batches: list[Prepared]
) -> list[CollectOutcome | None]:
    """Write prepared batches in the connection's transaction (one round trip)."""
    result = await connection.exec_driver_sql(
        COLLECT_SQL, tuple(RASTRO_COLLECT.encode(stored_batches(batches)))
    )
    return decode(RASTRO_COLLECT.decode(result.scalar_one()), batches)


def finish(prepared: Prepared, outcome: CollectOutcome | None) -> BatchResult:
    """Per-event results from what the database stored (None: the batch had nothing to
    store); live events for watchers."""
    results = prepared.results
    if prepared.batch is None or outcome is None:
        return BatchResult(None, results)
    if "error" in outcome:
        error = outcome["error"]
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
    if not outcome["is_bot"] and outcome["views"] and prepared.batch["views"]:
        batch.page_view = (prepared.batch["views"][-1]["page_url"], bool(outcome["new"]))
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
        return finish(prepared, None)
    (outcome,) = await store(await session.connection(), [prepared])
    return finish(prepared, outcome)
