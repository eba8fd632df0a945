"""Google Ads API: `GoogleAdsService.SearchStream` over REST
(`POST /{version}/customers/{customer_id}/googleAds:searchStream`, body `{"query": GAQL}`)
with a GAQL query over `ad_group_ad` segmented by `segments.date` (the account's days):
one row per ad and day with `metrics.cost_micros` (spend = micros / 1,000,000),
impressions, clicks, `video_trueview_views` (stored as ThruPlays: a TrueView view is a
30-second or complete view) and the conversions the account counts (its primary
conversion actions, by its own attribution model). The account's currency and timezone
come with each row (`customer.currency_code`, `customer.time_zone`).

The answer is a JSON array of `SearchGoogleAdsStreamResponse` messages; a stream broken
midway ends with an error element instead and is retried whole. Headers as the
conversions connector sends them: the bearer token (OAuth refresh reused), the
`developer-token` when the credential has one, `login-customer-id` for a manager.

Clicks: `click_view`, one query per day (Google's rule), for the days of the last 90 (as far
back as Google keeps them): each gclid with its campaign, ad group and ad, so a visit that
came with a gclid and no UTM reaches its campaign (`spend_join`, rule 1).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any, ClassVar

from rastro.analytics.spend import google_urls
from rastro.analytics.spend.base import (
    AccountRef,
    AdUrl,
    ClickRow,
    Pages,
    ReportError,
    SpendConnector,
    SpendRow,
    decimal,
    http_failure,
    integer,
    json_body,
    optional_integer,
)
from rastro.auth.service.credentials import ResolvedCredential
from rastro.core.http import HttpClient

API_VERSION = "v26"
TOKEN_URI = "https://oauth2.googleapis.com/token"
MICROS = decimal(1_000_000)
QUERY = (
    "SELECT customer.currency_code, customer.time_zone, campaign.id, campaign.name, "
    "ad_group.id, ad_group.name, ad_group_ad.ad.id, ad_group_ad.ad.name, segments.date, "
    "metrics.cost_micros, metrics.impressions, metrics.clicks, metrics.video_trueview_views, "
    "metrics.conversions, metrics.conversions_value "
    "FROM ad_group_ad WHERE segments.date BETWEEN '{start}' AND '{end}'"
)
# One day's clicks with their gclid (`click_view` must be filtered to a single day, at most
# 90 days back). `ad_group_ad` is the resource name customers/{c}/adGroupAds/{group}~{ad}.
CLICK_QUERY = (
    "SELECT click_view.gclid, click_view.ad_group_ad, campaign.id, ad_group.id, segments.date "
    "FROM click_view WHERE segments.date = '{day}'"
)
CLICK_DAYS = 90
# Rows handed to the importer at once (a stream message may hold up to 10,000).
CHUNK = 2000


def _digits(value: Any) -> str:
    return "".join(ch for ch in str(value or "") if ch.isdigit())


def _error_message(error: Any) -> str:
    if not isinstance(error, dict):
        return "no message"
    codes: list[str] = []
    for detail in error.get("details") or []:
        for item in (detail or {}).get("errors") or []:
            codes.extend(str(v) for v in (item.get("errorCode") or {}).values())
    return f"{error.get('status') or error.get('code')}: {error.get('message') or ''}" + (
        f" ({', '.join(codes)})" if codes else ""
    )


class GoogleSpendConnector(SpendConnector):
    platform: ClassVar[str] = "google"
    credential_services: ClassVar[frozenset[str]] = frozenset({"google_ads"})
    window_days: ClassVar[int] = 93
    oauth_token_uri: ClassVar[str | None] = TOKEN_URI
    click_days: ClassVar[int] = CLICK_DAYS

    def _headers(self, credential: ResolvedCredential, access_token: str) -> dict[str, str]:
        headers = {"authorization": f"Bearer {access_token}"}
        token = credential.settings.get("developer_token")
        if token:
            headers["developer-token"] = str(token)
        login = _digits(credential.settings.get("login_customer_id"))
        if login:
            headers["login-customer-id"] = login
        return headers

    async def _stream(
        self, account: AccountRef, credential: ResolvedCredential, http: HttpClient, query: str
    ) -> list[Any]:
        """The SearchStream answer's messages for `query` (raises `ReportError`)."""
        version = str(credential.settings.get("api_version") or API_VERSION)
        customer = _digits(account.account_id)
        path = f"/{version}/customers/{customer}/googleAds:searchStream"
        body = {"query": query}
        response = await self.authorized(
            credential,
            http,
            lambda token: http.post(path, json=body, headers=self._headers(credential, token)),
        )
        data = json_body(response)
        if response.status_code != 200:
            error = data[0].get("error") if isinstance(data, list) and data else None
            error = error or (data.get("error") if isinstance(data, dict) else None)
            raise http_failure("Google Ads", response, _error_message(error))
        if not isinstance(data, list):
            raise ReportError("Google Ads answered no stream (not a JSON array).", transient=True)
        return data

    def _results(self, data: list[Any]) -> Iterator[dict[str, Any]]:
        for message in data:
            if not isinstance(message, dict):
                continue
            if "error" in message:
                # Rows before the error were read; the window is retried whole (upserts).
                raise ReportError(
                    f"Google Ads stream broke: {_error_message(message['error'])}",
                    transient=True,
                )
            yield from message.get("results") or []

    async def report(
        self,
        account: AccountRef,
        credential: ResolvedCredential,
        http: HttpClient,
        start: date,
        end: date,
    ) -> Pages:
        query = QUERY.format(start=start.isoformat(), end=end.isoformat())
        data = await self._stream(account, credential, http, query)
        chunk: list[SpendRow] = []
        for result in self._results(data):
            chunk.append(self._row(result, account))
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    async def ad_urls(
        self, account: AccountRef, credential: ResolvedCredential, http: HttpClient
    ) -> list[AdUrl] | None:
        """Every ad's final URL and effective suffix and template, and the account's
        auto-tagging (`google_urls`)."""
        data = await self._stream(account, credential, http, google_urls.QUERY)
        found = []
        for result in self._results(data):
            ad = (result.get("adGroupAd") or {}).get("ad") or {}
            campaign = (result.get("campaign") or {}).get("id")
            finals = ad.get("finalUrls") or []
            tagging = (result.get("customer") or {}).get("autoTaggingEnabled")
            found.append(
                AdUrl(
                    ad_id=str(ad.get("id") or ""),
                    campaign_id=str(campaign) if campaign else None,
                    landing_url=str(finals[0]) if finals else None,
                    url_suffix=google_urls.effective(result, "finalUrlSuffix"),
                    tracking_template=google_urls.effective(result, "trackingUrlTemplate"),
                    # proto3 JSON leaves a false boolean out.
                    auto_tagging=bool(tagging),
                )
            )
        return found

    async def clicks(
        self, account: AccountRef, credential: ResolvedCredential, http: HttpClient, day: date
    ) -> list[ClickRow]:
        """One day's gclids with their campaign, ad group and ad (`click_view`)."""
        data = await self._stream(account, credential, http, CLICK_QUERY.format(day=day))
        found = []
        for result in self._results(data):
            click = result.get("clickView") or {}
            gclid = str(click.get("gclid") or "")
            campaign = str((result.get("campaign") or {}).get("id") or "")
            if not gclid or not campaign:
                continue
            group = (result.get("adGroup") or {}).get("id")
            ad_group_ad = str(click.get("adGroupAd") or "").rpartition("/")[2]
            ad = ad_group_ad.partition("~")[2]
            found.append(
                ClickRow(
                    click_id=gclid,
                    campaign_id=campaign,
                    ad_set_id=str(group) if group else None,
                    ad_id=ad or None,
                    day=day,
                )
            )
        return found

    def _row(self, result: dict[str, Any], account: AccountRef) -> SpendRow:
        customer = result.get("customer") or {}
        campaign = result.get("campaign") or {}
        group = result.get("adGroup") or {}
        ad = (result.get("adGroupAd") or {}).get("ad") or {}
        metrics = result.get("metrics") or {}
        return SpendRow(
            campaign_id=str(campaign.get("id") or ""),
            campaign_name=campaign.get("name"),
            ad_set_id=str(group["id"]) if group.get("id") else None,
            ad_set_name=group.get("name"),
            ad_id=str(ad.get("id") or ""),
            ad_name=ad.get("name"),
            day=date.fromisoformat(str((result.get("segments") or {}).get("date"))),
            spend=decimal(metrics.get("costMicros")) / MICROS,
            currency=str(customer.get("currencyCode") or account.currency),
            impressions=integer(metrics.get("impressions")),
            clicks=integer(metrics.get("clicks")),
            thruplays=optional_integer(metrics.get("videoTrueviewViews")),
            conversions=decimal(metrics.get("conversions")),
            conversion_value=decimal(metrics.get("conversionsValue")),
            attribution_setting="google:account_conversion_actions",
        )
