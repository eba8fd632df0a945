"""A fake Google Ads API `GoogleAdsService.SearchStream` (REST) that validates like
Google: the bearer token (expired ones answer 401 UNAUTHENTICATED, so the OAuth refresh
runs), `login-customer-id` digits only, the customer in the path, a body that loads into
the official `google.ads.googleads.v26` `SearchGoogleAdsStreamRequest` (unknown fields
refused), and a GAQL query over `ad_group_ad` whose selected fields exist on the official
`GoogleAdsRow` and whose `segments.date BETWEEN 'a' AND 'b'` is a valid range. The answer
is the JSON array of `SearchGoogleAdsStreamResponse` messages (10,000 rows each); the
first message of every answer is round-tripped through the official type, so the fake
cannot invent a field.

Tests script: `rate_limit` (429 RESOURCE_EXHAUSTED), `expire` (the current access token
stops working), `break_stream` (the next answer ends with an error element after some
rows, as a stream broken midway); `clicks` (gclids per day for `click_view`, which answers
only a query filtered on one day at most 90 days back).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from google.ads.googleads.v26.services.types.google_ads_service import (
    GoogleAdsRow,
    SearchGoogleAdsStreamRequest,
    SearchGoogleAdsStreamResponse,
)
from google.protobuf import json_format
from starlette.requests import Request
from starlette.responses import Response

from tests.fakes.ad_reporting import AdCatalog, ReportingFake, json_response
from tests.fakes.base import RecordedRequest, Scripted
from tests.fakes.google_ads import ads_error, ads_error_body

PATH = re.compile(r"^/(v\d+)/customers/(\d+)/googleAds:searchStream$")
QUERY = re.compile(
    r"^SELECT (?P<fields>.+?) FROM (?P<resource>\w+) WHERE segments\.date BETWEEN "
    r"'(?P<start>\d{4}-\d{2}-\d{2})' AND '(?P<end>\d{4}-\d{2}-\d{2})'$"
)
# The ads' URL options (`ad_urls`): every ad not removed, no date segment.
URL_QUERY = re.compile(
    r"^SELECT (?P<fields>.+?) FROM ad_group_ad WHERE ad_group_ad\.status != 'REMOVED'$"
)
# Single clicks (`click_view`): Google requires a filter on exactly one day.
CLICK_QUERY = re.compile(
    r"^SELECT (?P<fields>.+?) FROM click_view WHERE segments\.date = "
    r"'(?P<day>\d{4}-\d{2}-\d{2})'$"
)
# How far back `click_view` answers (Google: "dates back to 90 days before the request").
CLICK_DAYS = 90
# The account's final URL suffix, with Google's ValueTrack parameters.
DEFAULT_SUFFIX = "utm_source=google&utm_medium=cpc&utm_campaign={campaignid}&utm_content={creative}"
BATCH = 10_000
ROW_FIELDS = set(GoogleAdsRow.meta.fields)


class FakeGoogleAdsReporting(ReportingFake):
    def __init__(
        self,
        token: str,
        customer_id: str,
        catalog: AdCatalog | None = None,
        currency: str = "BRL",
        time_zone: str = "America/Sao_Paulo",
    ) -> None:
        super().__init__(catalog)
        self.token = token
        self.customer_id = customer_id
        self.currency = currency
        self.time_zone = time_zone
        self.broken = 0
        self.queries: list[str] = []
        # URL options: the account's auto-tagging, suffix and template; the campaigns'.
        self.auto_tagging = True
        self.customer_suffix: str | None = DEFAULT_SUFFIX
        self.customer_template: str | None = None
        self.campaign_templates: dict[str, str] = {}
        # Clicks per day for `click_view`: (gclid, the catalog's ad index).
        self.clicks: dict[date, list[tuple[str, int]]] = {}

    def rate_limit(self, times: int = 1, retry_after: str | None = None) -> None:
        body = ads_error_body(
            429,
            "RESOURCE_EXHAUSTED",
            "Resource has been exhausted (e.g. check quota).",
            [ads_error("quotaError", "RESOURCE_EXHAUSTED", "Too many requests.")],
        )
        for _ in range(times):
            self.script.append(
                Scripted(429, [body], {"retry-after": retry_after} if retry_after else {})
            )

    def expire(self, token: str | None = None) -> None:
        self.expired_tokens.add(token or self.token)

    def accept(self, token: str) -> None:
        self.token = token

    def break_stream(self, times: int = 1) -> None:
        self.broken += times

    def _error(self, status: int, google: str, message: str, field: str, code: str) -> Response:
        return json_response(
            [ads_error_body(status, google, message, [ads_error(field, code, message)])], status
        )

    def _row(self, index: int, day: date) -> dict[str, Any]:
        c = self.catalog
        f = c.figures(index, day)
        return {
            "customer": {
                "resourceName": f"customers/{self.customer_id}",
                "currencyCode": self.currency,
                "timeZone": self.time_zone,
            },
            "campaign": {
                "resourceName": f"customers/{self.customer_id}/campaigns/{c.campaign_id(index)}",
                "id": c.campaign_id(index),
                "name": c.campaign_name(index),
            },
            "adGroup": {
                "resourceName": f"customers/{self.customer_id}/adGroups/{c.ad_set_id(index)}",
                "id": c.ad_set_id(index),
                "name": f"Ad group {c.ad_set_id(index)[-3:]}",
            },
            "adGroupAd": {
                "resourceName": f"customers/{self.customer_id}/adGroupAds/{c.ad_set_id(index)}~{c.ad_id(index)}",
                "ad": {
                    "resourceName": f"customers/{self.customer_id}/ads/{c.ad_id(index)}",
                    "id": c.ad_id(index),
                    "name": f"Ad {c.ad_id(index)[-3:]}",
                },
            },
            "metrics": {
                "costMicros": str(f["cents"] * 10_000),
                "impressions": str(f["impressions"]),
                "clicks": str(f["clicks"]),
                "videoTrueviewViews": str(f["completed"]),
                "conversions": float(f["conversions"]),
                "conversionsValue": f["value_cents"] / 100,
            },
            "segments": {"date": day.isoformat()},
        }

    def _url_row(self, index: int) -> dict[str, Any]:
        c = self.catalog
        customer = f"customers/{self.customer_id}"
        ad: dict[str, Any] = {
            "resourceName": f"{customer}/ads/{c.ad_id(index)}",
            "id": c.ad_id(index),
            "finalUrls": [u for u in [c.landing_url(index)] if u],
        }
        if (suffix := c.params(index, None)) is not None:
            ad["finalUrlSuffix"] = suffix
        campaign: dict[str, Any] = {
            "resourceName": f"{customer}/campaigns/{c.campaign_id(index)}",
            "id": c.campaign_id(index),
        }
        if template := self.campaign_templates.get(c.campaign_id(index)):
            campaign["trackingUrlTemplate"] = template
        row = {
            "customer": {
                "resourceName": customer,
                "autoTaggingEnabled": self.auto_tagging,
                "finalUrlSuffix": self.customer_suffix,
                "trackingUrlTemplate": self.customer_template,
            },
            "campaign": campaign,
            "adGroup": {"resourceName": f"{customer}/adGroups/{c.ad_set_id(index)}"},
            "adGroupAd": {
                "resourceName": f"{customer}/adGroupAds/{c.ad_set_id(index)}~{c.ad_id(index)}",
                "ad": ad,
            },
        }
        row["customer"] = {k: v for k, v in row["customer"].items() if v is not None}
        # Through the official type: proto3 JSON leaves out defaults (auto-tagging off).
        message = json_format.ParseDict(row, GoogleAdsRow.pb()())
        return json_format.MessageToDict(message)

    def _click_row(self, gclid: str, index: int, day: date) -> dict[str, Any]:
        c, customer = self.catalog, self.customer_id
        return {
            "clickView": {
                "resourceName": f"customers/{customer}/clickViews/{day.isoformat()}~{gclid}",
                "gclid": gclid,
                "adGroupAd": f"customers/{customer}/adGroupAds/{c.ad_set_id(index)}~{c.ad_id(index)}",
            },
            "campaign": {
                "resourceName": f"customers/{customer}/campaigns/{c.campaign_id(index)}",
                "id": c.campaign_id(index),
            },
            "adGroup": {
                "resourceName": f"customers/{customer}/adGroups/{c.ad_set_id(index)}",
                "id": c.ad_set_id(index),
            },
            "segments": {"date": day.isoformat()},
        }

    def _clicks_answer(self, query: str) -> Response:
        """`click_view`: one day only, at most 90 days back, known fields only."""
        parsed = CLICK_QUERY.match(query)
        too_wide = self._error(
            400,
            "INVALID_ARGUMENT",
            "click_view must be filtered to a single day within the last 90 days.",
            "queryError",
            "DATE_RANGE_TOO_WIDE",
        )
        if parsed is None:
            return too_wide
        for selected in (f.strip() for f in parsed["fields"].split(",")):
            if self._unknown_path(selected):
                return self._error(
                    400,
                    "INVALID_ARGUMENT",
                    f"Unrecognized field {selected}.",
                    "queryError",
                    "UNRECOGNIZED_FIELD",
                )
        day = date.fromisoformat(parsed["day"])
        if day < date.today() - timedelta(days=CLICK_DAYS):
            return too_wide
        rows = [self._click_row(gclid, index, day) for gclid, index in self.clicks.get(day, [])]
        mask = re.sub(
            r"_([a-z0-9])", lambda m: m.group(1).upper(), parsed["fields"].replace(" ", "")
        )
        message = {"results": rows, "fieldMask": mask, "requestId": "fake-clicks"}
        json_format.ParseDict(message, SearchGoogleAdsStreamResponse.pb()())  # the official shape
        return json_response([message])

    def _unknown_path(self, selected: str) -> bool:
        """Whether a GAQL field path does not exist on the official `GoogleAdsRow`."""
        descriptor = GoogleAdsRow.pb().DESCRIPTOR
        for part in selected.split("."):
            found = descriptor.fields_by_name.get(part) if descriptor is not None else None
            if found is None:
                return True
            descriptor = found.message_type
        return False

    async def _handle(self, request: Request, recorded: RecordedRequest) -> Response:
        match = PATH.match(recorded.path)
        if request.method != "POST" or match is None:
            return json_response(
                [{"error": {"code": 404, "message": "Not found", "status": "NOT_FOUND"}}], 404
            )
        bearer = request.headers.get("authorization", "")
        if bearer != f"Bearer {self.token}" or self.token in self.expired_tokens:
            return self._error(
                401,
                "UNAUTHENTICATED",
                "Request had invalid authentication credentials.",
                "authenticationError",
                "OAUTH_TOKEN_EXPIRED"
                if self.token in self.expired_tokens
                else "OAUTH_TOKEN_INVALID",
            )
        login = request.headers.get("login-customer-id")
        if login is not None and not login.isdigit():
            return self._error(
                400,
                "INVALID_ARGUMENT",
                "Invalid login-customer-id header.",
                "headerError",
                "INVALID_LOGIN_CUSTOMER_ID",
            )
        if match.group(2) != self.customer_id:
            return self._error(
                403,
                "PERMISSION_DENIED",
                "The caller does not have permission.",
                "authorizationError",
                "USER_PERMISSION_DENIED",
            )
        body = recorded.json
        try:
            if not isinstance(body, dict):
                raise json_format.ParseError("not an object")
            json_format.ParseDict(body, SearchGoogleAdsStreamRequest.pb()())
        except json_format.ParseError as error:
            return json_response(
                [
                    {
                        "error": {
                            "code": 400,
                            "message": f"Invalid JSON payload received. {error}",
                            "status": "INVALID_ARGUMENT",
                        }
                    }
                ],
                400,
            )
        query = " ".join(str(body.get("query") or "").split())
        self.queries.append(query)
        urls = URL_QUERY.match(query)
        if urls is not None:
            for selected in (f.strip() for f in urls["fields"].split(",")):
                if self._unknown_path(selected):
                    return self._error(
                        400,
                        "INVALID_ARGUMENT",
                        f"Unrecognized field {selected}.",
                        "queryError",
                        "UNRECOGNIZED_FIELD",
                    )
            mask = re.sub(
                r"_([a-z0-9])", lambda m: m.group(1).upper(), urls["fields"].replace(" ", "")
            )
            results = [self._url_row(index) for index in range(self.catalog.ads)]
            return json_response([{"results": results, "fieldMask": mask, "requestId": "fake"}])
        if " FROM click_view " in query:
            return self._clicks_answer(query)
        parsed = QUERY.match(query)
        if parsed is None or parsed["resource"] != "ad_group_ad":
            return self._error(
                400, "INVALID_ARGUMENT", "Error in query.", "queryError", "UNEXPECTED_END_OF_QUERY"
            )
        for selected in (f.strip() for f in parsed["fields"].split(",")):
            resource = selected.split(".")[0]
            if resource not in ROW_FIELDS:
                return self._error(
                    400,
                    "INVALID_ARGUMENT",
                    f"Unrecognized field {selected}.",
                    "queryError",
                    "UNRECOGNIZED_FIELD",
                )
        start, end = date.fromisoformat(parsed["start"]), date.fromisoformat(parsed["end"])
        if end < start:
            return self._error(
                400,
                "INVALID_ARGUMENT",
                "Invalid date range.",
                "queryError",
                "INVALID_VALUE_WITH_BETWEEN_OPERATOR",
            )
        rows = []
        day = start
        while day <= end:
            rows.extend(self._row(index, day) for index in range(self.catalog.ads))
            day += timedelta(days=1)
        mask = re.sub(
            r"_([a-z0-9])", lambda m: m.group(1).upper(), parsed["fields"].replace(" ", "")
        )
        messages: list[dict[str, Any]] = [
            {"results": rows[i : i + BATCH], "fieldMask": mask, "requestId": "fake-stream"}
            for i in range(0, len(rows), BATCH)
        ] or [{"fieldMask": mask, "requestId": "fake-stream"}]
        first = dict(messages[0], results=messages[0].get("results", [])[:5])
        json_format.ParseDict(first, SearchGoogleAdsStreamResponse.pb()())  # the official shape
        if self.broken:
            self.broken -= 1
            half = messages[0].get("results", [])
            messages = [
                dict(messages[0], results=half[: len(half) // 2]),
                {
                    "error": {
                        "code": 503,
                        "message": "The service is currently unavailable.",
                        "status": "UNAVAILABLE",
                    }
                },
            ]
        return json_response(messages)
