"""TikTok ads' destinations: `GET /open_api/v1.3/ad/get/` for the advertiser, the fields
`ad_id`, `campaign_id`, `landing_page_url` and `utm_params` (the URL parameters TikTok
appends, a list of `{key, value}`; macros such as `__CAMPAIGN_ID__` expanded when served),
paged with `page` / `page_size` (1,000) until `page_info.total_page`. TikTok appends its
click id (`ttclid`) itself."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from rastro.analytics.spend.base import AccountRef, AdUrl, integer
from rastro.auth.service.credentials import ResolvedCredential
from rastro.core.http import HttpClient

PATH = "/open_api/v1.3/ad/get/"
FIELDS = ("ad_id", "campaign_id", "landing_page_url", "utm_params")
PAGE_SIZE = 1000


def _suffix(params: Any) -> str | None:
    pairs = [
        (str(p.get("key")), str(p.get("value") or ""))
        for p in params or []
        if isinstance(p, dict) and p.get("key")
    ]
    return urlencode(pairs, safe="_") if pairs else None


async def ad_urls(
    checked: Callable[[Any], dict[str, Any]],
    account: AccountRef,
    credential: ResolvedCredential,
    http: HttpClient,
) -> list[AdUrl]:
    """Every ad of the advertiser with its landing page and URL parameters; `checked`
    turns an answer into its `data` or raises the connector's `ReportError`."""
    found: list[AdUrl] = []
    page, total_pages = 1, 1
    while page <= total_pages:
        response = await http.get(
            PATH,
            params={
                "advertiser_id": account.account_id,
                "fields": json.dumps(list(FIELDS)),
                "page": str(page),
                "page_size": str(PAGE_SIZE),
            },
            headers={"Access-Token": credential.api_key},
        )
        data = checked(response)
        total_pages = integer((data.get("page_info") or {}).get("total_page"))
        for item in data.get("list") or []:
            found.append(
                AdUrl(
                    ad_id=str(item.get("ad_id") or ""),
                    campaign_id=str(item["campaign_id"]) if item.get("campaign_id") else None,
                    landing_url=item.get("landing_page_url") or None,
                    url_suffix=_suffix(item.get("utm_params")),
                )
            )
        page += 1
    return found
