"""Traffic source and GA4 default channel group of a touch.

The rules and their order are GA4's "default channel group" definitions
(support.google.com/analytics/answer/9756891), compared case-insensitively as GA4 does; the
lists of search, social, shopping and video sites are Google's source categories
(`data/ga4_source_categories.csv`). Source and medium of a landing come from one origin,
never mixed:

1. `utm_source` present: the UTMs (`utm_medium` missing → `(not set)`).
2. An ad network's auto-tagging click id (gclid, gbraid, wbraid → google / cpc; msclkid →
   bing / cpc; ttclid → tiktok / cpc; li_fat_id → linkedin / cpc). UTMs without a
   `utm_source` do not change it: `?gclid=…&utm_medium=email` is google / cpc, as GA4
   reports an auto-tagged click over manual tags.
3. `utm_medium` without `utm_source`: `(not set)` / that medium (GA4), never the referrer.
4. An external referrer: its host (without `www.`) / `organic` for a search site, else
   `referral`. A referrer on the site's own host is internal, with or without `www.` on
   either side, and so is one on a subdomain of it.
5. fbclid (with no external referrer): facebook.com / referral.
6. Nothing: (direct) / (none).

A site's category is found by the source itself, then the host without `www.`/`m.`/`l.`/
`lm.`, then its parent domains, then the same host under `.com` (`sites.google.com.br` is
`sites.google.com`), then the name before the public suffix (`images.google.com.br` →
`google`), read with tldextract from its bundled suffix list, never fetched.

Deliberate differences from GA4, and why:
- UTMs with a `utm_source` win over a click id (GA4 by default prefers Google's
  auto-tagging). Rastro does not look a gclid up in Google Ads, so the advertiser's UTMs are
  the only campaign names it gets; the click id is still stored and sent back to the platform.
- fbclid, which GA4 ignores, stands in for the referrer when there is none (Meta's in-app
  browsers drop it), so a Meta link is Organic Social rather than Direct.
- Every subdomain of a listed site's registrable name counts as that site: the collector has
  only the referrer's host, and Google serves search from many subdomains and country
  domains. So `accounts.google.com` counts as Google (Organic Search) where GA4 may report
  a referral.
- The source names Brazilian ad managers use (`EXTRA_SOURCES`: meta, fb_ads, an, msg, kwai…)
  are added to Google's list.
- `utm_campaign`, `utm_term` or `utm_content` without `utm_source` and `utm_medium` keep the
  source and medium of the steps below them (referrer, fbclid or direct).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

import tldextract

# The GA4 default channel groups a touch can get (`channel_group`), and the one for no source.
DIRECT = "Direct"
CHANNELS = (
    "Direct",
    "Cross-network",
    "Paid Shopping",
    "Paid Search",
    "Paid Social",
    "Paid Video",
    "Display",
    "Paid Other",
    "Organic Shopping",
    "Organic Social",
    "Organic Video",
    "Organic Search",
    "Referral",
    "Email",
    "Affiliates",
    "Audio",
    "SMS",
    "Mobile Push Notifications",
    "Unassigned",
)

PAID_MEDIUM = re.compile(r"^(.*cp.*|ppc|retargeting|paid.*)$")
SHOPPING_CAMPAIGN = re.compile(r"^(.*(([^a-df-z]|^)shop|shopping).*)$")
EMAIL = re.compile(r"^(email|e-mail|e_mail|e mail)$")
SOCIAL_MEDIUMS = {
    "social",
    "social-network",
    "social-media",
    "sm",
    "social network",
    "social media",
}
DISPLAY_MEDIUMS = {"display", "banner", "expandable", "interstitial", "cpm"}

# Auto-tagging click id → (source, medium) as the ad network reports it. fbclid is not one:
# Meta adds it to organic links too (see resolve_touch).
CLICK_ID_SOURCES = (
    ("gclid", "google", "cpc"),
    ("gbraid", "google", "cpc"),
    ("wbraid", "google", "cpc"),
    ("msclkid", "bing", "cpc"),
    ("ttclid", "tiktok", "cpc"),
    ("li_fat_id", "linkedin", "cpc"),
)


# Rastro's additions to Google's list: source names ad managers in Brazil write by hand or
# get from Meta's and TikTok's dynamic parameters ({{site_source_name}}: fb, ig, an, msg).
EXTRA_SOURCES = {
    "meta": "SOCIAL",
    "meta_ads": "SOCIAL",
    "facebook_ads": "SOCIAL",
    "fb_ads": "SOCIAL",
    "instagram_ads": "SOCIAL",
    "an": "SOCIAL",
    "msg": "SOCIAL",
    "tiktok_ads": "SOCIAL",
    "kwai": "SOCIAL",
    "kwai_ads": "SOCIAL",
    "linkedin_ads": "SOCIAL",
    "pinterest_ads": "SOCIAL",
    "google_ads": "SEARCH",
    "googleads": "SEARCH",
    "adwords": "SEARCH",
    "bing_ads": "SEARCH",
    "microsoft_ads": "SEARCH",
    "youtube_ads": "VIDEO",
}


@cache
def _categories() -> dict[str, str]:
    path = resources.files("rastro.tracking").joinpath("data/ga4_source_categories.csv")
    with path.open(encoding="utf-8") as handle:
        categories = {
            row["source"].lower(): row["source_category"].removeprefix("SOURCE_CATEGORY_")
            for row in csv.DictReader(handle)
        }
    return {**EXTRA_SOURCES, **categories}


@cache
def suffix_extractor() -> tldextract.TLDExtract:
    """tldextract on its bundled public suffix list: no download, no cache directory."""
    return tldextract.TLDExtract(cache_dir=None, suffix_list_urls=())


def _with_parents(host: str) -> Iterator[str]:
    """The host and each parent domain: br.search.yahoo.com, search.yahoo.com, yahoo.com…"""
    parts = host.split(".")
    for i in range(len(parts) - 1):
        yield ".".join(parts[i:])


@lru_cache(maxsize=4096)
def source_category(source: str) -> str | None:
    """SEARCH, SOCIAL, SHOPPING or VIDEO for a known site (by name or host), else None.

    Cached: the same referrers and UTM sources come back with every visit."""
    categories = _categories()
    source = source.lower()
    if source in categories:
        return categories[source]
    host = source.removeprefix("www.").removeprefix("m.").removeprefix("l.").removeprefix("lm.")
    for candidate in _with_parents(host):
        if candidate in categories:
            return categories[candidate]
    if "." not in host or " " in host:
        return categories.get(host)
    parts = suffix_extractor()(host)
    if not parts.domain or not parts.suffix:
        return None
    # Country domains read as their .com twin (sites.google.com.br is sites.google.com), then
    # any host of a listed name is that site (images.google.com.br → google).
    twin = ".".join(label for label in (parts.subdomain, parts.domain, "com") if label)
    for candidate in _with_parents(twin):
        if candidate in categories:
            return categories[candidate]
    return categories.get(parts.domain)


@dataclass(frozen=True)
class Touch:
    source: str
    medium: str
    campaign: str | None
    channel: str


@lru_cache(maxsize=4096)
def classify(source: str, medium: str, campaign: str | None = None) -> str:
    """GA4's default channel group for a source / medium / campaign (cached: campaigns
    repeat)."""
    source_l, medium_l = source.lower(), medium.lower()
    campaign_l = (campaign or "").lower()
    category = source_category(source_l) if source_l not in ("(direct)", "") else None
    paid = bool(PAID_MEDIUM.match(medium_l))
    if source_l == "(direct)" and medium_l in ("(not set)", "(none)"):
        return DIRECT
    if "cross-network" in campaign_l:
        return "Cross-network"
    if (category == "SHOPPING" or SHOPPING_CAMPAIGN.match(campaign_l)) and paid:
        return "Paid Shopping"
    if category == "SEARCH" and paid:
        return "Paid Search"
    if category == "SOCIAL" and paid:
        return "Paid Social"
    if category == "VIDEO" and paid:
        return "Paid Video"
    if medium_l in DISPLAY_MEDIUMS:
        return "Display"
    if paid:
        return "Paid Other"
    if category == "SHOPPING" or SHOPPING_CAMPAIGN.match(campaign_l):
        return "Organic Shopping"
    if category == "SOCIAL" or medium_l in SOCIAL_MEDIUMS:
        return "Organic Social"
    if category == "VIDEO" or "video" in medium_l:
        return "Organic Video"
    if category == "SEARCH" or medium_l == "organic":
        return "Organic Search"
    if medium_l in ("referral", "app", "link"):
        return "Referral"
    if EMAIL.match(source_l) or EMAIL.match(medium_l):
        return "Email"
    if medium_l == "affiliate":
        return "Affiliates"
    if medium_l == "audio":
        return "Audio"
    if source_l == "sms" or medium_l == "sms":
        return "SMS"
    if (
        medium_l.endswith("push")
        or "mobile" in medium_l
        or "notification" in medium_l
        or (source_l == "firebase")
    ):
        return "Mobile Push Notifications"
    return "Unassigned"


def _bare(host: str) -> str:
    return host.lower().removeprefix("www.")


def is_internal(referrer_host: str, own_host: str | None) -> bool:
    """Whether a referrer is the site itself or a subdomain of it (`www.` ignored on both)."""
    if not own_host:
        return False
    referrer, own = _bare(referrer_host), _bare(own_host)
    return referrer == own or referrer.endswith("." + own)


def resolve_touch(params: dict[str, str], referrer_host: str | None, own_host: str | None) -> Touch:
    """Source, medium and channel of a landing, from one origin: UTMs with a source, an ad
    click id, a UTM medium alone, the referrer, fbclid, or direct (see the module's text)."""
    campaign = params.get("utm_campaign")
    source, medium = _source_and_medium(params, referrer_host, own_host)
    return Touch(
        source=source, medium=medium, campaign=campaign, channel=classify(source, medium, campaign)
    )


def _source_and_medium(
    params: dict[str, str], referrer_host: str | None, own_host: str | None
) -> tuple[str, str]:
    if source := params.get("utm_source"):
        return source, params.get("utm_medium") or "(not set)"
    for click_id, click_source, click_medium in CLICK_ID_SOURCES:
        if params.get(click_id):
            return click_source, click_medium
    if medium := params.get("utm_medium"):
        return "(not set)", medium
    if referrer_host and not is_internal(referrer_host, own_host):
        source = _bare(referrer_host)
        return source, "organic" if source_category(source) == "SEARCH" else "referral"
    if params.get("fbclid"):
        # Meta's in-app browsers send no referrer; fbclid says the click came from Meta.
        return "facebook.com", "referral"
    return "(direct)", "(none)"
