"""Google Ads ads' destinations through the same `SearchStream` as the spend report: one
GAQL query over `ad_group_ad` (removed ads left out) with each level's URL options — the
ad's `final_urls`, and `final_url_suffix` and `tracking_url_template` of the ad, its ad
group, its campaign and the account (the lowest level that sets one wins, as Google serves
it) — and the account's `customer.auto_tagging_enabled` (the gclid: Google appends it only
with auto-tagging on; it cannot be tagged by hand)."""

from __future__ import annotations

from typing import Any

QUERY = (
    "SELECT ad_group_ad.ad.id, campaign.id, ad_group_ad.ad.final_urls, "
    "ad_group_ad.ad.final_url_suffix, ad_group_ad.ad.tracking_url_template, "
    "ad_group.final_url_suffix, ad_group.tracking_url_template, "
    "campaign.final_url_suffix, campaign.tracking_url_template, "
    "customer.final_url_suffix, customer.tracking_url_template, "
    "customer.auto_tagging_enabled "
    "FROM ad_group_ad WHERE ad_group_ad.status != 'REMOVED'"
)


def effective(result: dict[str, Any], field: str) -> str | None:
    """The value of a URL option at the lowest level that sets it (ad, ad group,
    campaign, account)."""
    ad = (result.get("adGroupAd") or {}).get("ad") or {}
    for level in (ad, result.get("adGroup"), result.get("campaign"), result.get("customer")):
        value = (level or {}).get(field)
        if value:
            return str(value)
    return None
