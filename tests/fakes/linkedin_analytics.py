"""A fake LinkedIn Marketing API reporting: `GET /rest/adAnalytics` (the `analytics`
finder) and the lookups of creatives (`/rest/adAccounts/{id}/creatives?q=criteria`) and
campaigns (`/rest/adAccounts/{id}/adCampaigns?q=search`), validating like LinkedIn: the
bearer token (an expired one answers 401 EXPIRED_ACCESS_TOKEN, so the OAuth refresh runs),
`LinkedIn-Version` YYYYMM and `X-Restli-Protocol-Version: 2.0.0`, `q=analytics`,
`pivot=CREATIVE`, `timeGranularity=DAILY`, a Rest.li `dateRange=(start:(year:…,month:…,
day:…),end:(…))`, `accounts=List(urn%3Ali%3AsponsoredAccount%3A…)` of the known account
and known `fields`. Like LinkedIn, adAnalytics does not page and stops at `max_elements`
(15,000); the lookups page with `pageToken` / `metadata.nextPageToken`.

Tests script: `rate_limit` (429), `expire`, a smaller `max_elements` (truncated answers).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response

from tests.fakes.ad_reporting import AdCatalog, ReportingFake, json_response
from tests.fakes.base import RecordedRequest, Scripted

DATE_RANGE = re.compile(
    r"^\(start:\(year:(\d{4}),month:(\d{1,2}),day:(\d{1,2})\),"
    r"end:\(year:(\d{4}),month:(\d{1,2}),day:(\d{1,2})\)\)$"
)
KNOWN_FIELDS = {
    "pivotValues",
    "dateRange",
    "costInLocalCurrency",
    "costInUsd",
    "impressions",
    "clicks",
    "landingPageClicks",
    "videoStarts",
    "videoViews",
    "videoCompletions",
    "externalWebsiteConversions",
    "conversionValueInLocalCurrency",
    "approximateMemberReach",
}


# LinkedIn has no per-creative URL parameters: advertisers write them into the link.
DEFAULT_PARAMS = "utm_source=linkedin&utm_medium=paid_social&utm_campaign=brand&utm_content=ad"


def li_error(status: int, code: str, message: str) -> dict[str, Any]:
    return {"status": status, "serviceErrorCode": 65600, "code": code, "message": message}


class FakeLinkedInAnalytics(ReportingFake):
    def __init__(self, token: str, account_id: str, catalog: AdCatalog | None = None) -> None:
        super().__init__(catalog)
        self.token = token
        self.account_id = account_id
        self.max_elements = 15_000
        self.page_size_cap = 100

    def rate_limit(self, times: int = 1, retry_after: str | None = None) -> None:
        for _ in range(times):
            self.script.append(
                Scripted(
                    429,
                    li_error(429, "TOO_MANY_REQUESTS", "Resource level throttle limit reached"),
                    {"retry-after": retry_after} if retry_after else {},
                )
            )

    def expire(self, token: str | None = None) -> None:
        self.expired_tokens.add(token or self.token)

    def accept(self, token: str) -> None:
        self.token = token

    def _paged(self, request: Request, elements: list[dict[str, Any]]) -> Response:
        size = min(int(request.query_params.get("pageSize") or 10), self.page_size_cap)
        start = int(request.query_params.get("pageToken") or 0)
        chunk = elements[start : start + size]
        metadata = {"nextPageToken": str(start + size)} if start + size < len(elements) else {}
        return json_response(
            {
                "elements": chunk,
                "metadata": metadata,
                "paging": {"start": 0, "count": size, "links": []},
            }
        )

    def _content(self, index: int) -> dict[str, Any]:
        """Even ads are text ads (their landing page on the creative); odd ones sponsor a
        post (`reference`), whose article link is the landing page."""
        if index % 2 == 0:
            return {"textAd": {"headline": "Oferta", "landingPage": self._landing(index)}}
        return {"reference": f"urn:li:share:{self.catalog.ad_id(index)}"}

    def _landing(self, index: int) -> str | None:
        c = self.catalog
        url, params = c.landing_url(index), c.params(index, DEFAULT_PARAMS)
        if url and params:
            url += ("&" if "?" in url else "?") + params
        return url

    def _post(self, urn: str) -> Response:
        for index in range(self.catalog.ads):
            if urn == f"urn:li:share:{self.catalog.ad_id(index)}":
                landing = self._landing(index)
                content = {"article": {"source": landing, "title": "Oferta"}} if landing else {}
                return json_response({"id": urn, "content": content, "lifecycleState": "PUBLISHED"})
        return json_response(li_error(404, "NOT_FOUND", "Post not found"), 404)

    async def _handle(self, request: Request, recorded: RecordedRequest) -> Response:
        headers = request.headers
        if (
            headers.get("authorization") != f"Bearer {self.token}"
            or self.token in self.expired_tokens
        ):
            code = (
                "EXPIRED_ACCESS_TOKEN"
                if self.token in self.expired_tokens
                else "INVALID_ACCESS_TOKEN"
            )
            return json_response(
                li_error(401, code, "The token used in the request has expired"), 401
            )
        if not re.fullmatch(r"\d{6}", headers.get("linkedin-version") or ""):
            return json_response(li_error(426, "VERSION_MISSING", "A version must be present"), 426)
        if headers.get("x-restli-protocol-version") != "2.0.0":
            return json_response(
                li_error(400, "ILLEGAL_ARGUMENT", "X-Restli-Protocol-Version 2.0.0 required"), 400
            )
        c = self.catalog
        path = recorded.path
        q = request.query_params
        if path == f"/rest/adAccounts/{self.account_id}/creatives" and q.get("q") == "criteria":
            return self._paged(
                request,
                [
                    {
                        "id": f"urn:li:sponsoredCreative:{c.ad_id(i)}",
                        "campaign": f"urn:li:sponsoredCampaign:{c.ad_set_id(i)}",
                        "name": f"Creative {c.ad_id(i)[-3:]}",
                        "content": self._content(i),
                    }
                    for i in range(c.ads)
                ],
            )
        if path.startswith("/rest/posts/"):
            return self._post(unquote(path.removeprefix("/rest/posts/")))
        if path == f"/rest/adAccounts/{self.account_id}/adCampaigns" and q.get("q") == "search":
            seen: dict[str, dict[str, Any]] = {}
            for i in range(c.ads):
                seen[c.ad_set_id(i)] = {
                    "id": int(c.ad_set_id(i)),
                    "name": f"Campaign {c.ad_set_id(i)[-3:]}",
                    "campaignGroup": f"urn:li:sponsoredCampaignGroup:{c.campaign_id(i)}",
                }
            return self._paged(request, list(seen.values()))
        if path != "/rest/adAnalytics":
            return json_response(li_error(404, "NOT_FOUND", "Not found"), 404)
        raw = recorded_query(request)
        if (
            q.get("q") != "analytics"
            or q.get("pivot") != "CREATIVE"
            or q.get("timeGranularity") != "DAILY"
        ):
            return json_response(
                li_error(
                    400,
                    "ILLEGAL_ARGUMENT",
                    "q=analytics, pivot=CREATIVE, timeGranularity=DAILY expected",
                ),
                400,
            )
        found = DATE_RANGE.match(raw.get("dateRange", ""))
        if found is None:
            return json_response(
                li_error(400, "ILLEGAL_ARGUMENT", "Invalid Rest.li dateRange"), 400
            )
        values = [int(v) for v in found.groups()]
        start, end = date(*values[:3]), date(*values[3:])
        if raw.get("accounts") != f"List(urn%3Ali%3AsponsoredAccount%3A{self.account_id})":
            return json_response(
                li_error(
                    400, "ILLEGAL_ARGUMENT", "accounts must be List(<encoded sponsoredAccount urn>)"
                ),
                400,
            )
        fields = set((q.get("fields") or "").split(","))
        if not q.get("fields") or fields - KNOWN_FIELDS:
            return json_response(
                li_error(
                    400, "ILLEGAL_ARGUMENT", f"Unknown fields {sorted(fields - KNOWN_FIELDS)}"
                ),
                400,
            )
        elements = []
        day = start
        while day <= end and len(elements) < self.max_elements:
            for index in range(c.ads):
                f = c.figures(index, day)
                span = {"year": day.year, "month": day.month, "day": day.day}
                element = {
                    "pivotValues": [f"urn:li:sponsoredCreative:{c.ad_id(index)}"],
                    "dateRange": {"start": span, "end": span},
                    "costInLocalCurrency": f"{f['cents'] / 100:.2f}",
                    "impressions": f["impressions"],
                    "clicks": f["clicks"],
                    "landingPageClicks": f["link_clicks"],
                    "videoStarts": f["plays"],
                    "videoViews": f["views_3s"],
                    "videoCompletions": f["completed"],
                    "externalWebsiteConversions": f["conversions"],
                    "conversionValueInLocalCurrency": f"{f['value_cents'] / 100:.2f}",
                }
                elements.append({k: v for k, v in element.items() if k in fields})
                if len(elements) >= self.max_elements:
                    break
            day += timedelta(days=1)
        return json_response(
            {"elements": elements, "paging": {"start": 0, "count": 10, "links": []}}
        )


def recorded_query(request: Request) -> dict[str, str]:
    """The raw (still encoded) query parameters: Rest.li values keep their syntax."""
    raw: dict[str, str] = {}
    for pair in request.url.query.split("&"):
        key, _, value = pair.partition("=")
        raw[unquote(key)] = value
    return raw
