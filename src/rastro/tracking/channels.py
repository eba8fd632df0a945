"""Traffic source and GA4 default channel group of a touch.

The rules and their order are GA4's "default channel group" definitions; the lists of
search, social, shopping and video sites are Google's source categories
(`data/ga4_source_categories.csv`). When a visit carries no UTM parameters, source and
medium are inferred the way GA4 does: ad click ids mean a paid click on that network, an
external referrer is a referral (or organic search / social by its site), nothing is
direct.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

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

# Click id → (source, medium) as the ad network's auto-tagging reports it.
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


@lru_cache(maxsize=4096)
def source_category(source: str) -> str | None:
    """SEARCH, SOCIAL, SHOPPING or VIDEO for a known site (by name or host), else None.

    Cached: the same referrers and UTM sources come back with every visit."""
    categories = _categories()
    source = source.lower()
    if source in categories:
        return categories[source]
    host = source.removeprefix("www.").removeprefix("m.").removeprefix("l.").removeprefix("lm.")
    if host in categories:
        return categories[host]
    parts = host.split(".")
    for i in range(1, len(parts) - 1):  # br.search.yahoo.com → search.yahoo.com → yahoo.com
        if (candidate := ".".join(parts[i:])) in categories:
            return categories[candidate]
    # google.com.br, facebook.com.br: compare on the registrable name
    name = parts[0] if len(parts) > 1 else host
    return categories.get(name)


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
        return "Direct"
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


def resolve_touch(params: dict[str, str], referrer_host: str | None, own_host: str | None) -> Touch:
    """Source, medium and channel of a landing: UTMs first, then click ids, then referrer."""
    source = params.get("utm_source")
    medium = params.get("utm_medium")
    campaign = params.get("utm_campaign")
    if not source:
        for click_id, click_source, click_medium in CLICK_ID_SOURCES:
            if params.get(click_id):
                source, medium = click_source, medium or click_medium
                break
    if not source and params.get("fbclid"):
        # Meta adds fbclid to organic links too; without UTMs it is a Facebook referral.
        source, medium = "facebook.com", medium or "referral"
    external = (
        referrer_host
        and referrer_host != own_host
        and not (own_host and referrer_host.endswith("." + own_host))
    )
    if not source and external:
        assert referrer_host is not None
        source = referrer_host.removeprefix("www.")
        category = source_category(source)
        medium = medium or ("organic" if category == "SEARCH" else "referral")
    if not source:
        source, medium = "(direct)", medium or "(none)"
    medium = medium or "(not set)"
    return Touch(
        source=source, medium=medium, campaign=campaign, channel=classify(source, medium, campaign)
    )
