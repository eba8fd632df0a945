"""Meta Marketing API Insights: `GET /{version}/act_{id}/insights` at `level=ad` with
`time_increment=1` (one row per ad and day of the account's timezone), paged through
`paging.next`. A range longer than `ASYNC_AFTER_DAYS` runs as an async report job, as
Meta advises for large reports: `POST /act_{id}/insights` → `report_run_id`, poll
`GET /{report_run_id}` until `async_status` is "Job Completed", then page through
`GET /{report_run_id}/insights`.

Conversions are the `actions` (and their values the `action_values`) whose
`action_type` is one of the account's conversion types (default `purchase`); 3-second
video views are the `video_view` action, ThruPlays `video_thruplay_watched_actions`.
Each row carries the ad set's `attribution_setting` (`use_unified_attribution_setting`).
Errors are Graph error objects: codes 4, 17, 32, 613 and 80000-80014 (rate limits) and
`is_transient` are retried; 190 (the token) is a rejected credential.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date
from typing import Any, ClassVar

import httpx

from rastro.analytics.spend import meta_urls
from rastro.analytics.spend.base import (
    AccountRef,
    AdUrl,
    Pages,
    ReportError,
    SpendConnector,
    SpendRow,
    decimal,
    integer,
    json_object,
    optional_integer,
)
from rastro.auth.service.credentials import ResolvedCredential
from rastro.core.http import HttpClient, retry_after_seconds

API_VERSION = "v26.0"
FIELDS = (
    "account_currency,campaign_id,campaign_name,adset_id,adset_name,ad_id,ad_name,"
    "spend,impressions,reach,clicks,inline_link_clicks,video_play_actions,"
    "video_thruplay_watched_actions,actions,action_values,attribution_setting,"
    "date_start,date_stop"
)
PAGE_LIMIT = 500
ASYNC_AFTER_DAYS = 7
POLL_SECONDS = 1.0
MAX_POLLS = 600
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
TRANSIENT_CODES = frozenset({1, 2, *RATE_LIMIT_CODES})
TOKEN_CODES = frozenset({102, 190})
THREE_SECOND_VIEW = "video_view"
_VIDEO_VIEW = frozenset({"video_view"})
_THREE_SECOND_VIEW = frozenset({THREE_SECOND_VIEW})


def _sum_actions(actions: Any, types: frozenset[str]) -> Any:
    total = decimal(0)
    for action in actions or []:
        if isinstance(action, dict) and action.get("action_type") in types:
            total += decimal(action.get("value"))
    return total


def _graph_failure(response: httpx.Response) -> ReportError:
    error = json_object(response).get("error")
    status = response.status_code
    if not isinstance(error, dict):
        return ReportError(
            f"Meta answered HTTP {status}.",
            transient=status == 429 or status >= 500,
            retry_after=retry_after_seconds(response),
        )
    code = error.get("code")
    message = (
        f"Meta error {code}"
        + (f"/{error['error_subcode']}" if error.get("error_subcode") is not None else "")
        + f": {error.get('message') or 'no message'}"
    )
    return ReportError(
        message,
        transient=code in TRANSIENT_CODES or error.get("is_transient") is True or status >= 500,
        retry_after=retry_after_seconds(response),
        credential_rejected=code in TOKEN_CODES,
    )


class MetaSpendConnector(SpendConnector):
    platform: ClassVar[str] = "meta"
    credential_services: ClassVar[frozenset[str]] = frozenset({"meta_ads", "meta"})
    window_days: ClassVar[int] = 31
    default_conversion_types: ClassVar[tuple[str, ...]] = ("purchase",)
    poll_seconds: float = POLL_SECONDS

    def _version(self, credential: ResolvedCredential) -> str:
        return str(credential.settings.get("api_version") or API_VERSION)

    def _params(self, account: AccountRef, start: date, end: date) -> dict[str, str]:
        return {
            "level": "ad",
            "time_increment": "1",
            "time_range": json.dumps({"since": start.isoformat(), "until": end.isoformat()}),
            "fields": FIELDS,
            "use_unified_attribution_setting": "true",
            "limit": str(PAGE_LIMIT),
        }

    async def report(
        self,
        account: AccountRef,
        credential: ResolvedCredential,
        http: HttpClient,
        start: date,
        end: date,
    ) -> Pages:
        version = self._version(credential)
        path = f"/{version}/act_{account.account_id.removeprefix('act_')}/insights"
        params = self._params(account, start, end)
        token = {"access_token": credential.api_key}
        if (end - start).days + 1 > ASYNC_AFTER_DAYS:
            run_id = await self._start_job(http, path, {**params, **token})
            await self._wait(http, f"/{version}/{run_id}", token)
            url: str | None = f"/{version}/{run_id}/insights"
            query: dict[str, str] | None = {"limit": str(PAGE_LIMIT), **token}
        else:
            url, query = path, {**params, **token}
        types = frozenset(account.conversion_types or self.default_conversion_types)
        while url is not None:
            response = await http.get(url, params=query)
            if response.status_code != 200:
                raise _graph_failure(response)
            body = json_object(response)
            if "error" in body:
                raise _graph_failure(response)
            yield [self._row(item, account, types) for item in body.get("data") or []]
            # `paging.next` is the whole next URL, the token and cursor included.
            url = (body.get("paging") or {}).get("next")
            query = None

    async def ad_urls(
        self, account: AccountRef, credential: ResolvedCredential, http: HttpClient
    ) -> list[AdUrl] | None:
        """Every ad's creative link and URL tags (`meta_urls`)."""
        return await meta_urls.ad_urls(
            _graph_failure, self._version(credential), account, credential, http
        )

    async def _start_job(self, http: HttpClient, path: str, params: dict[str, str]) -> str:
        response = await http.post(path, data=params)
        body = json_object(response)
        if response.status_code != 200 or "error" in body:
            raise _graph_failure(response)
        run_id = body.get("report_run_id")
        if not run_id:
            raise ReportError("Meta started no report job (no report_run_id).", transient=True)
        return str(run_id)

    async def _wait(self, http: HttpClient, path: str, token: dict[str, str]) -> None:
        for _ in range(MAX_POLLS):
            response = await http.get(path, params=token)
            body = json_object(response)
            if response.status_code != 200 or "error" in body:
                raise _graph_failure(response)
            status = body.get("async_status")
            if status == "Job Completed":
                return
            if status in ("Job Failed", "Job Skipped"):
                raise ReportError(
                    f"Meta's report job ended as {status!r}"
                    + (f": {body['error_message']}" if body.get("error_message") else "."),
                    transient=True,
                )
            await asyncio.sleep(self.poll_seconds)
        raise ReportError("Meta's report job did not complete in time.", transient=True)

    def _row(self, item: dict[str, Any], account: AccountRef, types: frozenset[str]) -> SpendRow:
        actions = item.get("actions")
        plays = item.get("video_play_actions")
        thruplays = item.get("video_thruplay_watched_actions")
        attribution = item.get("attribution_setting")
        return SpendRow(
            campaign_id=str(item.get("campaign_id") or ""),
            campaign_name=item.get("campaign_name"),
            ad_set_id=str(item["adset_id"]) if item.get("adset_id") else None,
            ad_set_name=item.get("adset_name"),
            ad_id=str(item.get("ad_id") or ""),
            ad_name=item.get("ad_name"),
            day=date.fromisoformat(str(item["date_start"])),
            spend=decimal(item.get("spend")),
            currency=str(item.get("account_currency") or account.currency),
            impressions=integer(item.get("impressions")),
            reach=optional_integer(item.get("reach")),
            clicks=integer(item.get("clicks")),
            link_clicks=optional_integer(item.get("inline_link_clicks")),
            video_plays=integer(_sum_actions(plays, _VIDEO_VIEW)) if plays is not None else None,
            video_3s_views=integer(_sum_actions(actions, _THREE_SECOND_VIEW))
            if actions is not None
            else None,
            thruplays=integer(_sum_actions(thruplays, _VIDEO_VIEW))
            if thruplays is not None
            else None,
            conversions=_sum_actions(actions, types),
            conversion_value=_sum_actions(item.get("action_values"), types),
            attribution_setting=f"meta:{attribution}" if attribution else None,
        )
