"""What the collector accepts from the tracker: the limits, the event types, and the
parsing and validation of one event and of the batch's free-form fields (a bad event is a
`RejectedEvent` with its reason)."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import orjson

from rastro.tracking.enrichment import CACHED_URL_LENGTH, URL_CACHE_SIZE, no_nul

MAX_PAST = timedelta(days=7)
MAX_FUTURE = timedelta(hours=1)
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
    """An http(s) URL whose host parses (`http://[::1/x` does not); cached for short URLs
    (a session sends the same URLs again)."""
    if not url.startswith(("http://", "https://")):
        return False
    return _web_url_parses(url) if len(url) <= CACHED_URL_LENGTH else _parses(url)


def _parses(url: str) -> bool:
    try:
        urlsplit(url).hostname  # noqa: B018  (raises for a malformed host)
    except ValueError:
        return False
    return True


_web_url_parses = lru_cache(maxsize=URL_CACHE_SIZE)(_parses)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _optional_text(value: Any, limit: int) -> str | None:
    try:
        return _text(value, limit, "field")
    except RejectedEvent:
        return None


def _str(value: object) -> str | None:
    return None if value is None else str(value)


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
