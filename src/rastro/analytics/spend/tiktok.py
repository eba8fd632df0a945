"""TikTok Business API (Marketing API v1.3): `GET /open_api/v1.3/report/integrated/get/`
with `report_type=BASIC`, `data_level=AUCTION_AD`, `dimensions=["ad_id","stat_time_day"]`
(one row per ad and day of the advertiser's timezone), the metrics below, at most 30 days
per request, paged with `page` / `page_size` (1,000) until `page_info.total_page`.

Authentication is the `Access-Token` header (a long-lived advertiser token: not
refreshed). TikTok answers HTTP 200 with a body `code`: 0 is success, 40100 and 40133
(rate limits) and 50000+ are retried, 40104/40105 (token invalid or expired) are a
rejected credential, the rest fail the window. TikTok reports 2- and 6-second views, not
3-second ones: `video_3s_views` stays empty; `video_views_p100` is the completed views.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, ClassVar

import httpx

from rastro.analytics.spend import tiktok_urls
from rastro.analytics.spend.base import (
    AccountRef,
    AdUrl,
    Pages,
    ReportError,
    SpendConnector,
    SpendRow,
    decimal,
    http_failure,
    integer,
    json_object,
    optional_integer,
)
from rastro.auth.service.credentials import ResolvedCredential
from rastro.core.http import HttpClient

PATH = "/open_api/v1.3/report/integrated/get/"
PAGE_SIZE = 1000
METRICS = (
    "campaign_id",
    "campaign_name",
    "adgroup_id",
    "adgroup_name",
    "ad_name",
    "currency",
    "spend",
    "impressions",
    "reach",
    "clicks",
    "video_play_actions",
    "video_views_p100",
    "conversion",
    "complete_payment",
    "total_complete_payment_rate",
)
# Conversion types and the metric of their value (None: TikTok reports no value).
VALUE_OF = {"complete_payment": "total_complete_payment_rate", "conversion": None}
RETRY_CODES = frozenset({40100, 40133, 40200, 40700})
TOKEN_CODES = frozenset({40104, 40105, 40102})


def _day(value: Any) -> date:
    """`stat_time_day` ("2026-01-02 00:00:00") as its date."""
    return date.fromisoformat(str(value)[:10])


def _checked(response: httpx.Response) -> dict[str, Any]:
    """The answer's `data`, or a `ReportError` for an HTTP failure or a body `code` ≠ 0."""
    body = json_object(response)
    if response.status_code != 200:
        raise http_failure("TikTok", response, str(body.get("message") or ""))
    code = body.get("code")
    if code != 0:
        raise ReportError(
            f"TikTok error {code}: {body.get('message') or 'no message'}",
            transient=code in RETRY_CODES or (isinstance(code, int) and code >= 50000),
            credential_rejected=code in TOKEN_CODES,
        )
    data = body.get("data")
    return data if isinstance(data, dict) else {}


class TikTokSpendConnector(SpendConnector):
    platform: ClassVar[str] = "tiktok"
    credential_services: ClassVar[frozenset[str]] = frozenset({"tiktok_ads"})
    window_days: ClassVar[int] = 30
    default_conversion_types: ClassVar[tuple[str, ...]] = ("complete_payment",)

    async def report(
        self,
        account: AccountRef,
        credential: ResolvedCredential,
        http: HttpClient,
        start: date,
        end: date,
    ) -> Pages:
        types = [t for t in account.conversion_types or self.default_conversion_types]
        page, total_pages = 1, 1
        while page <= total_pages:
            params = {
                "advertiser_id": account.account_id,
                "report_type": "BASIC",
                "data_level": "AUCTION_AD",
                "dimensions": json.dumps(["ad_id", "stat_time_day"]),
                "metrics": json.dumps(list(METRICS)),
                "start_date": start.isoformat(),
                "end_date": end.isoformat(),
                "page": str(page),
                "page_size": str(PAGE_SIZE),
            }
            response = await http.get(
                PATH, params=params, headers={"Access-Token": credential.api_key}
            )
            data = _checked(response)
            total_pages = integer((data.get("page_info") or {}).get("total_page"))
            yield [self._row(item, account, types) for item in data.get("list") or []]
            page += 1

    async def ad_urls(
        self, account: AccountRef, credential: ResolvedCredential, http: HttpClient
    ) -> list[AdUrl] | None:
        """Every ad's landing page and URL parameters (`tiktok_urls`)."""
        return await tiktok_urls.ad_urls(_checked, account, credential, http)

    def _row(self, item: dict[str, Any], account: AccountRef, types: list[str]) -> SpendRow:
        dimensions = item.get("dimensions") or {}
        metrics = item.get("metrics") or {}
        conversions = sum((decimal(metrics.get(t)) for t in types), decimal(0))
        value = sum(
            (decimal(metrics.get(VALUE_OF[t])) for t in types if VALUE_OF.get(t)), decimal(0)
        )
        return SpendRow(
            campaign_id=str(metrics.get("campaign_id") or ""),
            campaign_name=metrics.get("campaign_name"),
            ad_set_id=str(metrics["adgroup_id"]) if metrics.get("adgroup_id") else None,
            ad_set_name=metrics.get("adgroup_name"),
            ad_id=str(dimensions.get("ad_id") or ""),
            ad_name=metrics.get("ad_name"),
            day=_day(dimensions.get("stat_time_day")),
            spend=decimal(metrics.get("spend")),
            currency=str(metrics.get("currency") or account.currency),
            impressions=integer(metrics.get("impressions")),
            reach=optional_integer(metrics.get("reach")),
            clicks=integer(metrics.get("clicks")),
            video_plays=optional_integer(metrics.get("video_play_actions")),
            thruplays=optional_integer(metrics.get("video_views_p100")),
            conversions=conversions,
            conversion_value=value,
            attribution_setting="tiktok:advertiser_attribution_window",
        )
