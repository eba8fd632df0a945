"""LinkedIn Marketing API reporting: `GET /rest/adAnalytics?q=analytics&pivot=CREATIVE&
timeGranularity=DAILY&dateRange=(start:(…),end:(…))&accounts=List(urn…)&fields=…` with the
`LinkedIn-Version` and `X-Restli-Protocol-Version: 2.0.0` headers, one element per
creative and day. The endpoint does not page and returns at most 15,000 elements: a
window whose answer reaches that limit is split in two and asked again.

The hierarchy maps as campaign group → campaign → creative = campaign → ad set → ad; the
creatives' campaigns and names come from `GET /rest/adAccounts/{id}/creatives?q=criteria`
and the campaigns' groups and names from `GET /rest/adAccounts/{id}/adCampaigns?q=search`
(both paged with `pageToken`). Spend is `costInLocalCurrency` (the account's currency);
conversions are `externalWebsiteConversions` and their value
`conversionValueInLocalCurrency` by the account's conversion rules. LinkedIn reports no
3-second views (`videoViews` counts 2-second views): `video_3s_views` stays empty. OAuth
credentials are refreshed as the conversions connector does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, ClassVar
from urllib.parse import quote

from rastro.analytics.spend.base import (
    AccountRef,
    AdUrl,
    Pages,
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

API_VERSION = "202601"
PROTOCOL_VERSION = "2.0.0"
TOKEN_URI = "https://www.linkedin.com/oauth/v2/accessToken"
MAX_ELEMENTS = 15_000
FIELDS = (
    "pivotValues,dateRange,costInLocalCurrency,impressions,clicks,landingPageClicks,"
    "videoStarts,videoCompletions,externalWebsiteConversions,conversionValueInLocalCurrency"
)


def _urn_id(urn: Any) -> str:
    return str(urn or "").rsplit(":", 1)[-1]


def _restli_date(day: date) -> str:
    return f"(year:{day.year},month:{day.month},day:{day.day})"


@dataclass
class _Hierarchy:
    campaign_of_creative: dict[str, str]
    creative_names: dict[str, str | None]
    group_of_campaign: dict[str, str]
    campaign_names: dict[str, str | None]


class LinkedInSpendConnector(SpendConnector):
    platform: ClassVar[str] = "linkedin"
    credential_services: ClassVar[frozenset[str]] = frozenset({"linkedin"})
    window_days: ClassVar[int] = 14
    oauth_token_uri: ClassVar[str | None] = TOKEN_URI
    max_elements: int = MAX_ELEMENTS

    def _headers(self, credential: ResolvedCredential, token: str) -> dict[str, str]:
        return {
            "authorization": f"Bearer {token}",
            "linkedin-version": str(credential.settings.get("api_version") or API_VERSION),
            "x-restli-protocol-version": PROTOCOL_VERSION,
        }

    async def _get(
        self, credential: ResolvedCredential, http: HttpClient, url: str
    ) -> dict[str, Any]:
        response = await self.authorized(
            credential, http, lambda token: http.get(url, headers=self._headers(credential, token))
        )
        body = json_object(response)
        if response.status_code != 200:
            raise http_failure(
                "LinkedIn", response, str(body.get("code") or body.get("message") or "")
            )
        return body

    async def _paged(
        self, credential: ResolvedCredential, http: HttpClient, url: str
    ) -> list[dict[str, Any]]:
        elements: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            body = await self._get(
                credential, http, url + (f"&pageToken={quote(token, safe='')}" if token else "")
            )
            elements.extend(e for e in body.get("elements") or [] if isinstance(e, dict))
            token = (body.get("metadata") or {}).get("nextPageToken")
            if not token:
                return elements

    async def _hierarchy(
        self, account: str, credential: ResolvedCredential, http: HttpClient
    ) -> _Hierarchy:
        creatives = await self._paged(
            credential, http, f"/rest/adAccounts/{account}/creatives?q=criteria&pageSize=100"
        )
        campaigns = await self._paged(
            credential, http, f"/rest/adAccounts/{account}/adCampaigns?q=search&pageSize=1000"
        )
        return _Hierarchy(
            campaign_of_creative={
                _urn_id(c.get("id")): _urn_id(c.get("campaign")) for c in creatives
            },
            creative_names={_urn_id(c.get("id")): c.get("name") for c in creatives},
            group_of_campaign={
                _urn_id(c.get("id")): _urn_id(c.get("campaignGroup")) for c in campaigns
            },
            campaign_names={_urn_id(c.get("id")): c.get("name") for c in campaigns},
        )

    async def ad_urls(
        self, account: AccountRef, credential: ResolvedCredential, http: HttpClient
    ) -> list[AdUrl] | None:
        """Every creative's landing page: a text or spotlight ad's `landingPage`; for
        sponsored content the referenced post's article link (`GET /rest/posts/{urn}`,
        `content.article.source`). LinkedIn has no per-creative URL parameters; its click id
        (`li_fat_id`) is an account setting the API does not expose."""
        account_id = _urn_id(account.account_id)
        tree = await self._hierarchy(account_id, credential, http)
        creatives = await self._paged(
            credential, http, f"/rest/adAccounts/{account_id}/creatives?q=criteria&pageSize=100"
        )
        found = []
        for creative in creatives:
            content = creative.get("content") or {}
            landing = (content.get("textAd") or {}).get("landingPage") or (
                content.get("spotlight") or {}
            ).get("landingPage")
            reference = content.get("reference")
            if not landing and isinstance(reference, str) and reference:
                post = await self._get(credential, http, f"/rest/posts/{quote(reference, safe='')}")
                landing = ((post.get("content") or {}).get("article") or {}).get("source")
            creative_id = _urn_id(creative.get("id"))
            campaign = tree.campaign_of_creative.get(creative_id) or ""
            found.append(
                AdUrl(
                    ad_id=creative_id,
                    campaign_id=tree.group_of_campaign.get(campaign) or None,
                    landing_url=str(landing) if landing else None,
                )
            )
        return found

    def _analytics_url(self, account: str, start: date, end: date) -> str:
        urn = quote(f"urn:li:sponsoredAccount:{account}", safe="")
        return (
            "/rest/adAnalytics?q=analytics&pivot=CREATIVE&timeGranularity=DAILY"
            f"&dateRange=(start:{_restli_date(start)},end:{_restli_date(end)})"
            f"&accounts=List({urn})&fields={FIELDS}"
        )

    async def report(
        self,
        account: AccountRef,
        credential: ResolvedCredential,
        http: HttpClient,
        start: date,
        end: date,
    ) -> Pages:
        account_id = _urn_id(account.account_id)
        hierarchy = await self._hierarchy(account_id, credential, http)
        pending = [(start, end)]
        while pending:
            first, last = pending.pop(0)
            body = await self._get(credential, http, self._analytics_url(account_id, first, last))
            elements = [e for e in body.get("elements") or [] if isinstance(e, dict)]
            if len(elements) >= self.max_elements and first < last:
                middle = first + timedelta(days=(last - first).days // 2)
                pending[:0] = [(first, middle), (middle + timedelta(days=1), last)]
                continue
            yield [self._row(e, account, hierarchy) for e in elements]

    def _row(self, element: dict[str, Any], account: AccountRef, tree: _Hierarchy) -> SpendRow:
        creative = _urn_id((element.get("pivotValues") or [""])[0])
        campaign = tree.campaign_of_creative.get(creative)
        started = (element.get("dateRange") or {}).get("start") or {}
        return SpendRow(
            campaign_id=tree.group_of_campaign.get(campaign or "", "") or "",
            campaign_name=None,
            ad_set_id=campaign,
            ad_set_name=tree.campaign_names.get(campaign or ""),
            ad_id=creative,
            ad_name=tree.creative_names.get(creative),
            day=date(int(started["year"]), int(started["month"]), int(started["day"])),
            spend=decimal(element.get("costInLocalCurrency")),
            currency=account.currency,
            impressions=integer(element.get("impressions")),
            clicks=integer(element.get("clicks")),
            link_clicks=optional_integer(element.get("landingPageClicks")),
            video_plays=optional_integer(element.get("videoStarts")),
            thruplays=optional_integer(element.get("videoCompletions")),
            conversions=decimal(element.get("externalWebsiteConversions")),
            conversion_value=decimal(element.get("conversionValueInLocalCurrency")),
            attribution_setting="linkedin:conversion_rules",
        )
