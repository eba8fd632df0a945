"""A fake Meta Marketing API Insights endpoint that validates like the Graph API: a known
`access_token` and ad account (`act_<id>`), a version path, `level=ad`,
`time_increment=1`, a JSON `time_range` with `since` ≤ `until` (at most 37 months back),
the fields it knows, `limit` ≤ 5000. It answers pages of `data` with `paging.cursors` and
a `paging.next` URL, runs async report jobs (`POST …/insights` → `report_run_id`, `GET
/{id}` polled: "Job Running" then "Job Completed", `GET /{id}/insights` paged).

Tests script: `rate_limit` (HTTP 400, code 80000, is_transient — Meta's Ads Insights
limit), `expire` (code 190), `short_pages` (partial pages: fewer rows than `limit` with
a `next` anyway), `fail_job` (the next job ends "Job Failed").
"""

from __future__ import annotations

import itertools
import json
import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from tests.fakes.ad_reporting import AdCatalog, ReportingFake, json_response
from tests.fakes.base import RecordedRequest, Scripted

KNOWN_FIELDS = {
    "account_currency",
    "account_id",
    "campaign_id",
    "campaign_name",
    "adset_id",
    "adset_name",
    "ad_id",
    "ad_name",
    "spend",
    "impressions",
    "reach",
    "clicks",
    "inline_link_clicks",
    "video_play_actions",
    "video_thruplay_watched_actions",
    "actions",
    "action_values",
    "attribution_setting",
    "date_start",
    "date_stop",
    "cpc",
    "ctr",
}
INSIGHTS = re.compile(r"^/(v\d+\.\d+)/act_(\d+)/insights$")
ADS = re.compile(r"^/(v\d+\.\d+)/act_(\d+)/ads$")
AD_FIELDS = {"id", "name", "campaign_id", "adset_id", "status", "effective_status", "creative"}
CREATIVE_FIELDS = {
    "id",
    "name",
    "url_tags",
    "object_story_spec",
    "asset_feed_spec",
    "effective_object_story_id",
    "object_type",
}
# Meta's URL parameters with its dynamic macros (expanded when the ad is served).
DEFAULT_URL_TAGS = (
    "utm_source=facebook&utm_medium=paid_social&utm_campaign={{campaign.id}}&utm_content={{ad.id}}"
)
JOB = re.compile(r"^/(v\d+\.\d+)/(\d+)$")
JOB_INSIGHTS = re.compile(r"^/(v\d+\.\d+)/(\d+)/insights$")
_runs = itertools.count(6100000000000)


def graph_error(code: int, message: str, status: int = 400, **extra: Any) -> Scripted:
    error = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "FakeTrace",
        **extra,
    }
    return Scripted(status, {"error": error})


class FakeMetaInsights(ReportingFake):
    def __init__(
        self, token: str, account_id: str, catalog: AdCatalog | None = None, currency: str = "BRL"
    ) -> None:
        super().__init__(catalog)
        self.token = token
        self.account_id = account_id
        self.currency = currency
        self.jobs: dict[str, dict[str, Any]] = {}
        self.short_page_every = 0  # every n-th page holds fewer rows than `limit`
        self.failing_jobs = 0

    # --- scripting --------------------------------------------------------------------------

    def rate_limit(self, times: int = 1) -> None:
        for _ in range(times):
            self.script.append(
                graph_error(
                    80000, "There have been too many calls from this ad-account.", is_transient=True
                )
            )

    def expire(self) -> None:
        self.expired_tokens.add(self.token)

    def short_pages(self, every: int = 2) -> None:
        self.short_page_every = every

    def fail_job(self, times: int = 1) -> None:
        self.failing_jobs += times

    # --- the API ------------------------------------------------------------------------------

    def _params(self, request: Request, recorded: RecordedRequest) -> dict[str, str]:
        params = dict(request.query_params)
        if recorded.method == "POST" and recorded.body:
            from urllib.parse import parse_qsl

            params.update(dict(parse_qsl(recorded.body.decode())))
        return params

    def _rows(self, since: date, until: date, fields: set[str]) -> list[dict[str, Any]]:
        catalog = self.catalog
        rows = []
        day = since
        while day <= until:
            for index in range(catalog.ads):
                f = catalog.figures(index, day)
                row: dict[str, Any] = {
                    "account_currency": self.currency,
                    "campaign_id": catalog.campaign_id(index),
                    "campaign_name": catalog.campaign_name(index),
                    "adset_id": catalog.ad_set_id(index),
                    "adset_name": f"Ad set {catalog.ad_set_id(index)[-3:]}",
                    "ad_id": catalog.ad_id(index),
                    "ad_name": f"Ad {catalog.ad_id(index)[-3:]}",
                    "spend": f"{f['cents'] / 100:.2f}",
                    "impressions": str(f["impressions"]),
                    "reach": str(f["reach"]),
                    "clicks": str(f["clicks"]),
                    "inline_link_clicks": str(f["link_clicks"]),
                    "video_play_actions": [{"action_type": "video_view", "value": str(f["plays"])}],
                    "video_thruplay_watched_actions": [
                        {"action_type": "video_view", "value": str(f["completed"])}
                    ],
                    "actions": [
                        {"action_type": "video_view", "value": str(f["views_3s"])},
                        {"action_type": "link_click", "value": str(f["link_clicks"])},
                        {"action_type": "purchase", "value": str(f["conversions"])},
                        {"action_type": "lead", "value": "1"},
                    ],
                    "action_values": [
                        {"action_type": "purchase", "value": f"{f['value_cents'] / 100:.2f}"}
                    ],
                    "attribution_setting": "7d_click_1d_view",
                    "date_start": day.isoformat(),
                    "date_stop": day.isoformat(),
                }
                rows.append({k: v for k, v in row.items() if k in fields})
            day += timedelta(days=1)
        return rows

    def split_fields(self, text: str) -> list[str]:
        """Top-level comma-separated fields (`creative{a,b}` stays one)."""
        parts, depth, current = [], 0, ""
        for char in text:
            depth += {"{": 1, "}": -1}.get(char, 0)
            if char == "," and depth == 0:
                parts.append(current)
                current = ""
            else:
                current += char
        return [*parts, current] if current else parts

    def _ads(self, request: Request, path: str, params: dict[str, str]) -> Response:
        """`GET /act_{id}/ads` with field expansion of the creative, paged like insights."""
        fields = self.split_fields(params.get("fields") or "")
        wanted: dict[str, set[str]] = {}
        for name in fields:
            base, _, nested = name.partition("{")
            inner = set(nested.rstrip("}").split(",")) if nested else {"id"}
            if base not in AD_FIELDS or (base == "creative" and inner - CREATIVE_FIELDS):
                step = graph_error(100, f"(#100) Tried accessing nonexisting field ({name})")
                return json_response(step.body, step.status)
            wanted[base] = inner
        limit = int(params.get("limit") or 25)
        if not 1 <= limit <= 5000:
            step = graph_error(100, "(#100) limit must be 1..5000")
            return json_response(step.body, step.status)
        c = self.catalog
        rows = []
        for index in range(c.ads):
            landing = c.landing_url(index)
            creative = {
                "id": str(c.id_base + 5000 + index),
                "url_tags": c.params(index, DEFAULT_URL_TAGS),
                "object_story_spec": {
                    "page_id": "1000",
                    "link_data": {"link": landing, "message": "Oferta"} if landing else {},
                },
            }
            row: dict[str, Any] = {
                "id": c.ad_id(index),
                "name": f"Ad {c.ad_id(index)[-3:]}",
                "campaign_id": c.campaign_id(index),
                "adset_id": c.ad_set_id(index),
                "creative": {k: v for k, v in creative.items() if k in wanted.get("creative", {})},
            }
            # Graph leaves out what is empty or not asked for.
            rows.append({k: v for k, v in row.items() if k == "id" or k in wanted})
            if rows[-1].get("creative", {}).get("url_tags") is None:
                rows[-1].get("creative", {}).pop("url_tags", None)
        return self._page(request, path, rows, params, limit)

    def _check(self, params: dict[str, str]) -> tuple[Response | None, dict[str, Any]]:
        def bad(message: str) -> Response:
            step = graph_error(100, f"(#100) {message}")
            return json_response(step.body, step.status)

        if params.get("level") != "ad":
            return bad("level must be ad for this report"), {}
        if params.get("time_increment") != "1":
            return bad("time_increment must be 1 (daily)"), {}
        try:
            time_range = json.loads(params.get("time_range") or "")
            since = date.fromisoformat(time_range["since"])
            until = date.fromisoformat(time_range["until"])
        except (ValueError, KeyError, TypeError):
            return bad("time_range must be {'since':'YYYY-MM-DD','until':'YYYY-MM-DD'}"), {}
        if since > until or since < date.today() - timedelta(days=37 * 31):
            return bad("time_range is invalid or older than 37 months"), {}
        fields = set((params.get("fields") or "").split(","))
        unknown = fields - KNOWN_FIELDS
        if not params.get("fields") or unknown:
            return bad(f"Tried accessing nonexisting field(s) {sorted(unknown)}"), {}
        limit = int(params.get("limit") or 25)
        if not 1 <= limit <= 5000:
            return bad("limit must be 1..5000"), {}
        return None, {"since": since, "until": until, "fields": fields, "limit": limit}

    def _page(
        self,
        request: Request,
        path: str,
        rows: list[dict[str, Any]],
        params: dict[str, str],
        limit: int,
    ) -> Response:
        offset = int(params.get("after") or 0)
        page_number = offset // max(limit, 1)
        size = limit
        if self.short_page_every and page_number % self.short_page_every == 1:
            size = max(1, limit // 3)  # a partial page: fewer rows, and still a `next`
        data = rows[offset : offset + size]
        paging: dict[str, Any] = {
            "cursors": {"before": str(offset), "after": str(offset + len(data))}
        }
        if offset + len(data) < len(rows):
            query = {k: v for k, v in params.items() if k != "after"}
            query["after"] = str(offset + len(data))
            paging["next"] = f"{self.url}{path}?{urlencode(query)}"
        return json_response({"data": data, "paging": paging})

    async def _handle(self, request: Request, recorded: RecordedRequest) -> Response:
        params = self._params(request, recorded)
        token = params.get("access_token")
        if token != self.token or token in self.expired_tokens:
            code, sub = (190, 463) if token in self.expired_tokens else (190, None)
            step = graph_error(
                code,
                "Error validating access token: Session has expired."
                if sub
                else "Invalid OAuth access token.",
                401,
                **({"error_subcode": sub} if sub else {}),
            )
            return json_response(step.body, step.status)
        path = recorded.path
        if recorded.method == "GET" and (match := ADS.match(path)):
            if match.group(2) != self.account_id:
                step = graph_error(100, "Unsupported get request.")
                return json_response(step.body, step.status)
            return self._ads(request, path, params)
        if match := INSIGHTS.match(path):
            if match.group(2) != self.account_id:
                step = graph_error(
                    100, "Unsupported get request. Object with ID 'act_...' does not exist"
                )
                return json_response(step.body, step.status)
            refused, checked = self._check(params)
            if refused is not None:
                return refused
            rows = self._rows(checked["since"], checked["until"], checked["fields"])
            if recorded.method == "POST":
                run_id = str(next(_runs))
                failed = self.failing_jobs > 0
                self.failing_jobs -= 1 if failed else 0
                self.jobs[run_id] = {"rows": rows, "polls": 0, "failed": failed}
                return json_response({"report_run_id": run_id})
            return self._page(request, path, rows, params, checked["limit"])
        if recorded.method == "GET" and (match := JOB_INSIGHTS.match(path)):
            job = self.jobs.get(match.group(2))
            if job is None or job["polls"] < 1 or job["failed"]:
                step = graph_error(100, "The report is not ready or does not exist")
                return json_response(step.body, step.status)
            return self._page(request, path, job["rows"], params, int(params.get("limit") or 25))
        if recorded.method == "GET" and (match := JOB.match(path)):
            job = self.jobs.get(match.group(2))
            if job is None:
                step = graph_error(100, "Unsupported get request.")
                return json_response(step.body, step.status)
            job["polls"] += 1
            if job["failed"]:
                return json_response(
                    {
                        "id": match.group(2),
                        "async_status": "Job Failed",
                        "async_percent_completion": 0,
                        "error_message": "Internal error",
                    }
                )
            done = job["polls"] >= 2
            return json_response(
                {
                    "id": match.group(2),
                    "async_status": "Job Completed" if done else "Job Running",
                    "async_percent_completion": 100 if done else 50,
                }
            )
        step = graph_error(100, "Unknown path")
        return json_response(step.body, step.status)
