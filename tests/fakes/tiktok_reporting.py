"""A fake TikTok Business API synchronous report (`GET /open_api/v1.3/report/integrated/
get/`) that validates like TikTok: the `Access-Token` header, `advertiser_id`,
`report_type=BASIC`, `data_level=AUCTION_AD`, `dimensions` a JSON list with `ad_id` and
`stat_time_day`, `metrics` a JSON list of known metrics, `start_date` ≤ `end_date` at most
30 days apart (with `stat_time_day`), `page` ≥ 1 and `page_size` 1..1000. Like TikTok it
answers HTTP 200 with a body `code` (0 OK, 40002 bad parameter, 40100 rate limit, 40105
expired token) and `data.list` + `data.page_info`.

Tests script: `rate_limit` (40100 on HTTP 200), `expire`, `short_pages` (some pages hold
fewer rows than `page_size` though more pages follow).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tests.fakes.ad_reporting import AdCatalog, ReportingFake, json_response
from tests.fakes.base import RecordedRequest, Scripted

PATH = "/open_api/v1.3/report/integrated/get/"
ADS_PATH = "/open_api/v1.3/ad/get/"
AD_FIELDS = {
    "ad_id",
    "ad_name",
    "adgroup_id",
    "campaign_id",
    "landing_page_url",
    "utm_params",
    "operation_status",
}
# TikTok's URL parameters with its macros (expanded when the ad is served).
DEFAULT_UTM = "utm_source=tiktok&utm_medium=paid&utm_campaign=__CAMPAIGN_ID__&utm_content=__CID__"
KNOWN_METRICS = {
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
    "video_watched_2s",
    "video_watched_6s",
    "video_views_p100",
    "conversion",
    "complete_payment",
    "total_complete_payment_rate",
    "cpc",
    "ctr",
}


def tiktok_body(code: int, message: str, data: Any = None) -> dict[str, Any]:
    return {"code": code, "message": message, "request_id": "20260101fake", "data": data or {}}


class FakeTikTokReporting(ReportingFake):
    def __init__(
        self,
        token: str,
        advertiser_id: str,
        catalog: AdCatalog | None = None,
        currency: str = "BRL",
    ) -> None:
        super().__init__(catalog)
        self.token = token
        self.advertiser_id = advertiser_id
        self.currency = currency
        self.short_page_every = 0

    def rate_limit(self, times: int = 1) -> None:
        for _ in range(times):
            self.script.append(Scripted(200, tiktok_body(40100, "Requests made too frequently.")))

    def expire(self) -> None:
        self.expired_tokens.add(self.token)

    def short_pages(self, every: int = 2) -> None:
        self.short_page_every = every

    def _bad(self, message: str) -> Response:
        return json_response(tiktok_body(40002, message))

    def _ads(self, request: Request) -> Response:
        """`GET /ad/get/`: the advertiser's ads with the asked `fields`, paged."""
        q = request.query_params
        try:
            fields = json.loads(q.get("fields") or '["ad_id"]')
            page = int(q.get("page") or 1)
            page_size = int(q.get("page_size") or 10)
        except ValueError:
            return self._bad("fields must be a JSON list; page numbers")
        if not isinstance(fields, list) or set(fields) - AD_FIELDS:
            return self._bad(f"Invalid fields: {fields}")
        if page < 1 or not 1 <= page_size <= 1000:
            return self._bad("page >= 1, page_size 1..1000")
        c = self.catalog
        rows = []
        for index in range(c.ads)[(page - 1) * page_size : page * page_size]:
            params = c.params(index, DEFAULT_UTM)
            utm = [
                {"key": key, "value": value}
                for key, _, value in (p.partition("=") for p in (params or "").split("&") if p)
            ]
            values = {
                "ad_id": c.ad_id(index),
                "ad_name": f"Ad {c.ad_id(index)[-3:]}",
                "adgroup_id": c.ad_set_id(index),
                "campaign_id": c.campaign_id(index),
                "landing_page_url": c.landing_url(index),
                "utm_params": utm,
                "operation_status": "ENABLE",
            }
            rows.append({f: values[f] for f in fields})
        info = {
            "page": page,
            "page_size": page_size,
            "total_number": c.ads,
            "total_page": -(-c.ads // page_size),
        }
        return json_response(tiktok_body(0, "OK", {"list": rows, "page_info": info}))

    async def _handle(self, request: Request, recorded: RecordedRequest) -> Response:
        if request.method != "GET" or recorded.path not in (PATH, ADS_PATH):
            return json_response(tiktok_body(40000, "Not found"), 404)
        token = request.headers.get("access-token")
        if token in self.expired_tokens:
            return json_response(tiktok_body(40105, "The access token has expired."))
        if token != self.token:
            return json_response(tiktok_body(40104, "Access token is null or invalid."))
        q = request.query_params
        if q.get("advertiser_id") != self.advertiser_id:
            return json_response(tiktok_body(40001, "No permission to operate advertiser."))
        if recorded.path == ADS_PATH:
            return self._ads(request)
        if q.get("report_type") != "BASIC" or q.get("data_level") != "AUCTION_AD":
            return self._bad("report_type must be BASIC and data_level AUCTION_AD")
        try:
            dimensions = json.loads(q.get("dimensions") or "")
            metrics = json.loads(q.get("metrics") or "")
            start = date.fromisoformat(q.get("start_date") or "")
            end = date.fromisoformat(q.get("end_date") or "")
            page = int(q.get("page") or 1)
            page_size = int(q.get("page_size") or 10)
        except ValueError:
            return self._bad(
                "dimensions/metrics must be JSON lists; dates YYYY-MM-DD; page numbers"
            )
        if not isinstance(dimensions, list) or set(dimensions) != {"ad_id", "stat_time_day"}:
            return self._bad("dimensions: this fake serves ad_id + stat_time_day")
        if not isinstance(metrics, list) or not metrics or set(metrics) - KNOWN_METRICS:
            return self._bad(
                f"Invalid metrics: {sorted(set(metrics) - KNOWN_METRICS) if isinstance(metrics, list) else metrics}"
            )
        if end < start or (end - start).days > 29:
            return self._bad("With stat_time_day the time span cannot exceed 30 days.")
        if page < 1 or not 1 <= page_size <= 1000:
            return self._bad("page >= 1, page_size 1..1000")
        c = self.catalog
        total = c.ads * ((end - start).days + 1)
        # Pages cut at `page_size`, but every n-th one carries fewer rows (partial).
        bounds = []
        offset = 0
        while offset < total:
            size = (
                page_size // 3 or 1
                if self.short_page_every and len(bounds) % self.short_page_every == 1
                else page_size
            )
            bounds.append((offset, min(total, offset + size)))
            offset += size
        rows: list[dict[str, Any]] = []
        if page <= len(bounds):
            for position in range(*bounds[page - 1]):
                day, index = start + timedelta(days=position // c.ads), position % c.ads
                f = c.figures(index, day)
                values = {
                    "campaign_id": c.campaign_id(index),
                    "campaign_name": c.campaign_name(index),
                    "adgroup_id": c.ad_set_id(index),
                    "adgroup_name": f"Ad group {c.ad_set_id(index)[-3:]}",
                    "ad_name": f"Ad {c.ad_id(index)[-3:]}",
                    "currency": self.currency,
                    "spend": f"{f['cents'] / 100:.2f}",
                    "impressions": str(f["impressions"]),
                    "reach": str(f["reach"]),
                    "clicks": str(f["clicks"]),
                    "video_play_actions": str(f["plays"]),
                    "video_watched_2s": str(f["views_3s"]),
                    "video_watched_6s": str(f["completed"] * 2),
                    "video_views_p100": str(f["completed"]),
                    "conversion": str(f["conversions"] + 1),
                    "complete_payment": str(f["conversions"]),
                    "total_complete_payment_rate": f"{f['value_cents'] / 100:.2f}",
                    "cpc": "0.5",
                    "ctr": "1.2",
                }
                rows.append(
                    {
                        "dimensions": {
                            "ad_id": c.ad_id(index),
                            "stat_time_day": f"{day.isoformat()} 00:00:00",
                        },
                        "metrics": {m: values[m] for m in metrics},
                    }
                )
        info = {
            "page": page,
            "page_size": page_size,
            "total_number": total,
            "total_page": len(bounds),
        }
        return json_response(tiktok_body(0, "OK", {"list": rows, "page_info": info}))
