"""What the collector adds to a hit: device and bot flag from the user agent, the visitor id,
the landing's parameters.

Device classes come from ua-parser's regexes: a tablet is what ua-parser names one (iPad,
Kindle, `Generic Tablet`, an unnamed Android model without "Mobile", which its regexes call
`Generic_Android_Tablet`), and any Android device whose user agent lacks the "Mobile" token
(the same rule, for the models its brand regexes name without saying tablet: Lenovo TB-…,
Huawei AGS…, and Chrome's reduced `Android 10; K`); mobile is a mobile operating system;
the rest is desktop. iPads that ask for the desktop site send a Mac user agent and count as
desktop. Bots are `tracking/bots.py`'s families.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass
from functools import cache, lru_cache
from urllib.parse import parse_qsl, urlsplit

from ua_parser import BestAvailableResolver, Parser, load_lazy_builtins

from rastro.tracking.bots import bot_family

UTM_PARAMS = ("utm_source", "utm_medium", "utm_campaign", "utm_id", "utm_term", "utm_content")
CLICK_IDS = ("gclid", "gbraid", "wbraid", "fbclid", "ttclid", "li_fat_id", "msclkid")
CHECKOUT_PARAMS = ("src", "sck", "xcod")
# A Rastro e-mail click's message and recipient (`email` module's redirect adds them).
EMAIL_PARAMS = ("mid", "rid")
TOUCH_PARAMS = UTM_PARAMS + CLICK_IDS + CHECKOUT_PARAMS + EMAIL_PARAMS
# Google's ValueTrack {matchtype}: e (exact), p (phrase), b (broad).
MATCH_TYPES = {"e": "exact", "p": "phrase", "b": "broad"}
MATCH_TYPE_PARAMS = ("matchtype", "match_type", "utm_matchtype")

VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


TABLET_DEVICES = frozenset({"iPad", "Kindle", "Generic Tablet"})
TABLET_BRANDS = frozenset({"Generic_Android_Tablet"})
MOBILE_SYSTEMS = frozenset(
    {"iOS", "Android", "Windows Phone", "KaiOS", "BlackBerry OS", "Symbian OS", "Firefox OS"}
)
# The token that tells an Android phone from a tablet ("Mobile Safari", "Mobile;" in Firefox).
_MOBILE_TOKEN = re.compile(r"\bMobile\b")
# Distinct user agents kept parsed, each cut to the length stored with a touch: at most a
# few MB however many distinct or long user agents arrive.
AGENT_CACHE_SIZE = 4096
AGENT_MAX_LENGTH = 1000


@dataclass(frozen=True)
class Agent:
    device: str  # desktop, mobile, tablet, bot
    browser: str | None
    os: str | None
    is_bot: bool
    bot_family: str | None = None  # tracking/bots.py's family when is_bot


@cache
def _user_agent_parser() -> Parser:
    """ua-parser's regexes without its own cache: parse_agent's LRU is the one cache."""
    return Parser(BestAvailableResolver(load_lazy_builtins()))


def parse_agent(user_agent: str) -> Agent:
    """Device class and bot flag of a user agent, by ua-parser's regexes and bots.py."""
    return _parse_agent(user_agent[:AGENT_MAX_LENGTH])


@lru_cache(maxsize=AGENT_CACHE_SIZE)
def _parse_agent(user_agent: str) -> Agent:
    """Cached in a bounded LRU: the same browsers come back with every hit."""
    parsed = _user_agent_parser().parse(user_agent)
    browser = parsed.user_agent.family if parsed.user_agent else None
    os_name = parsed.os.family if parsed.os else None
    device_family = parsed.device.family if parsed.device else None
    family = bot_family(
        user_agent,
        agent_family=browser,
        os_family=os_name,
        is_spider=device_family == "Spider",
    )
    if family:
        return Agent("bot", browser, os_name, True, family)
    brand = parsed.device.brand if parsed.device else None
    if (
        device_family in TABLET_DEVICES
        or brand in TABLET_BRANDS
        or (os_name == "Android" and not _MOBILE_TOKEN.search(user_agent))
    ):
        device = "tablet"
    elif os_name in MOBILE_SYSTEMS:
        device = "mobile"
    else:
        device = "desktop"
    return Agent(device, browser, os_name, False)


def visitor_id_for(
    *,
    client_id: str | None,
    secret: str,
    organization_id: uuid.UUID,
    ip: str | None,
    user_agent: str,
    domain_id: uuid.UUID,
) -> str:
    """The tracker's first-party id, or a keyed hash of IP + user agent + domain (seed 000).

    The key is derived per organization, so the same person gets unrelated ids in two
    organizations and nobody without the server secret can recompute one from an IP.
    """
    if client_id and VISITOR_ID.match(client_id):
        return client_id
    key = hmac.new(secret.encode(), f"visitor:{organization_id}".encode(), hashlib.sha256).digest()
    digest = hmac.new(key, f"{ip}|{user_agent}|{domain_id}".encode(), hashlib.sha256)
    return "h_" + digest.hexdigest()[:40]


# What repeats within a session (the landing URL, the referrer) is parsed once per process
# and kept in bounded LRUs; URLs longer than CACHED_URL_LENGTH (rare, and the costly ones to
# keep) are parsed every time, so a cache holds at most a few MB.
URL_CACHE_SIZE = 8192
CACHED_URL_LENGTH = 512


@dataclass(frozen=True)
class Landing:
    """A landing URL's parameters (shared by the cache: never modified)."""

    host: str | None
    touch: dict[str, str]  # UTMs, click ids, checkout params present in the URL
    other_params: dict[str, str]  # every other query parameter (seed `url_params`)
    match_type: str | None
    campaign_key: str | None = None  # `campaign_key(touch)`


def parse_landing(url: str) -> Landing:
    """The landing's parameters (cached for URLs up to CACHED_URL_LENGTH)."""
    return _cached_landing(url) if len(url) <= CACHED_URL_LENGTH else _parse_landing(url)


def _parse_landing(url: str) -> Landing:
    parts = urlsplit(url)
    touch: dict[str, str] = {}
    other: dict[str, str] = {}
    for raw_key, raw_value in parse_qsl(parts.query, keep_blank_values=False):
        key, value = no_nul(raw_key), no_nul(raw_value)  # `%00` decodes to NUL
        name = key.lower()
        if name in TOUCH_PARAMS:
            touch.setdefault(name, value[:255])
        elif len(other) < 50:
            other.setdefault(key[:100], value[:500])
    raw_match = next((other[p] for p in MATCH_TYPE_PARAMS if p in other), None)
    match_type = MATCH_TYPES.get(raw_match.lower(), raw_match[:20]) if raw_match else None
    return Landing(parts.hostname, touch, other, match_type, campaign_key(touch))


_cached_landing = lru_cache(maxsize=URL_CACHE_SIZE)(_parse_landing)


def no_nul(text: str) -> str:
    """The text without NUL characters, which PostgreSQL's text and jsonb cannot hold."""
    return text.replace("\x00", "") if "\x00" in text else text


def host_of(url: str | None) -> str | None:
    """The URL's host (None when it has none or does not parse); cached for short URLs."""
    if not url:
        return None
    return _cached_host(url) if len(url) <= CACHED_URL_LENGTH else _host(url)


def _host(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


_cached_host = lru_cache(maxsize=URL_CACHE_SIZE)(_host)


@lru_cache(maxsize=8192)
def url_key(url: str) -> str:
    """The part of a URL a landing page is matched on: host + path, no query, no slash end
    (cached: visitors keep opening the same pages)."""
    parts = urlsplit(url if "//" in url else "//" + url)
    host = (parts.hostname or "").removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}".lower()


def campaign_key(touch: dict[str, str]) -> str | None:
    """What makes a touch a new campaign: its UTM set, click ids and e-mail message (None
    when it has none)."""
    values = [f"{k}={touch[k]}" for k in UTM_PARAMS + CLICK_IDS + ("mid",) if touch.get(k)]
    if not values:
        return None
    return hashlib.sha256("&".join(values).encode()).hexdigest()[:32]
