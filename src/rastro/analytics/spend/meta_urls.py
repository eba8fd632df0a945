"""Meta ads' destinations: `GET /{version}/act_{id}/ads?fields=id,campaign_id,creative{…}`
paged through `paging.next`. The creative's `url_tags` are the query parameters Meta
appends to every link of the ad (macros such as `{{campaign.id}}` expanded when served);
the landing page is the link of `object_story_spec` (`link_data.link`, a video's call to
action `video_data.call_to_action.value.link`, `template_data.link`) or of a dynamic
creative (`asset_feed_spec.link_urls[].website_url`). Meta adds `fbclid` itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from rastro.analytics.spend.base import AccountRef, AdUrl, ReportError, json_object
from rastro.auth.service.credentials import ResolvedCredential
from rastro.core.http import HttpClient

AD_FIELDS = "id,campaign_id,creative{id,url_tags,object_story_spec,asset_feed_spec}"
PAGE_LIMIT = 200


def _link(creative: dict[str, Any]) -> str | None:
    spec = creative.get("object_story_spec") or {}
    link = (spec.get("link_data") or {}).get("link")
    if not link:
        action = (spec.get("video_data") or {}).get("call_to_action") or {}
        link = (action.get("value") or {}).get("link")
    if not link:
        link = (spec.get("template_data") or {}).get("link")
    if not link:
        urls = (creative.get("asset_feed_spec") or {}).get("link_urls") or []
        link = next((u.get("website_url") for u in urls if isinstance(u, dict)), None)
    return str(link) if link else None


async def ad_urls(
    failure: Callable[[httpx.Response], ReportError],
    version: str,
    account: AccountRef,
    credential: ResolvedCredential,
    http: HttpClient,
) -> list[AdUrl]:
    """Every ad of the account with its creative's link and URL tags."""
    url: str | None = f"/{version}/act_{account.account_id.removeprefix('act_')}/ads"
    query: dict[str, str] | None = {
        "fields": AD_FIELDS,
        "limit": str(PAGE_LIMIT),
        "access_token": credential.api_key,
    }
    found: list[AdUrl] = []
    while url is not None:
        response = await http.get(url, params=query)
        body = json_object(response)
        if response.status_code != 200 or "error" in body:
            raise failure(response)
        for item in body.get("data") or []:
            creative = item.get("creative") or {}
            found.append(
                AdUrl(
                    ad_id=str(item.get("id") or ""),
                    campaign_id=str(item["campaign_id"]) if item.get("campaign_id") else None,
                    landing_url=_link(creative),
                    url_suffix=creative.get("url_tags") or None,
                )
            )
        url, query = (body.get("paging") or {}).get("next"), None
    return found
