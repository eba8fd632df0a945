"""What the collector adds to a hit: device and bot flag from the user agent, the visitor id,
the landing's parameters."""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, urlsplit

from ua_parser import parse as parse_user_agent

UTM_PARAMS = ("utm_source", "utm_medium", "utm_campaign", "utm_id", "utm_term", "utm_content")
CLICK_IDS = ("gclid", "gbraid", "wbraid", "fbclid", "ttclid", "li_fat_id", "msclkid")
CHECKOUT_PARAMS = ("src", "sck", "xcod")
TOUCH_PARAMS = UTM_PARAMS + CLICK_IDS + CHECKOUT_PARAMS
# Google's ValueTrack {matchtype}: e (exact), p (phrase), b (broad).
MATCH_TYPES = {"e": "exact", "p": "phrase", "b": "broad"}
MATCH_TYPE_PARAMS = ("matchtype", "match_type", "utm_matchtype")

_BOT = re.compile(
    r"bot|crawl|spider|slurp|bingpreview|facebookexternalhit|whatsapp|telegrambot|"
    r"headlesschrome|phantomjs|puppeteer|playwright|selenium|webdriver|python-requests|"
    r"curl/|wget/|httpclient|go-http-client|okhttp|axios/|node-fetch|lighthouse|pingdom|"
    r"uptimerobot|datadog|semrush|ahrefs|mj12|dotbot|petalbot|bytespider|gptbot|ccbot",
    re.IGNORECASE,
)
VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class Agent:
    device: str  # desktop, mobile, tablet, bot
    browser: str | None
    os: str | None
    is_bot: bool


@lru_cache(maxsize=4096)
def parse_agent(user_agent: str) -> Agent:
    """Device class and bot flag (known crawlers and headless browsers)."""
    if not user_agent:
        return Agent("bot", None, None, True)  # real browsers always send one
    parsed = parse_user_agent(user_agent)
    device_family = (parsed.device.family if parsed.device else "") or ""
    browser = parsed.user_agent.family if parsed.user_agent else None
    os_name = parsed.os.family if parsed.os else None
    is_bot = device_family == "Spider" or bool(_BOT.search(user_agent))
    if is_bot:
        device = "bot"
    elif re.search(r"ipad|tablet|kindle|silk|sm-t\d|tab\b", user_agent, re.IGNORECASE):
        device = "tablet"
    elif os_name in ("iOS", "Android") or "Mobile" in user_agent:
        device = "mobile"
    else:
        device = "desktop"
    return Agent(device, browser, os_name, is_bot)


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


@dataclass(frozen=True)
class Landing:
    host: str | None
    touch: dict[str, str]  # UTMs, click ids, checkout params present in the URL
    other_params: dict[str, str]  # every other query parameter (seed `url_params`)
    match_type: str | None


def parse_landing(url: str) -> Landing:
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
    return Landing(parts.hostname, touch, other, match_type)


def no_nul(text: str) -> str:
    """The text without NUL characters, which PostgreSQL's text and jsonb cannot hold."""
    return text.replace("\x00", "") if "\x00" in text else text


def host_of(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


@lru_cache(maxsize=8192)
def url_key(url: str) -> str:
    """The part of a URL a landing page is matched on: host + path, no query, no slash end
    (cached: visitors keep opening the same pages)."""
    parts = urlsplit(url if "//" in url else "//" + url)
    host = (parts.hostname or "").removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}".lower()


def campaign_key(touch: dict[str, str]) -> str | None:
    """What makes a touch a new campaign: its UTM set and click ids (None when it has none)."""
    values = [f"{k}={touch[k]}" for k in UTM_PARAMS + CLICK_IDS if touch.get(k)]
    if not values:
        return None
    return hashlib.sha256("&".join(values).encode()).hexdigest()[:32]
