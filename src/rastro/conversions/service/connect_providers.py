"""How each ad platform runs "Connect an account" (OAuth 2.0 authorization code, RFC 6749
§4.1, or the platform's variant of it), from the platforms' own documentation:

- Google Ads: `accounts.google.com/o/oauth2/v2/auth` (scope `adwords`, `access_type=offline`,
  `prompt=consent` so a refresh token is issued), `oauth2.googleapis.com/token`; accounts
  from `customers:listAccessibleCustomers`, then each one's `customer_client` (level ≤ 1) so
  a manager's clients come with the manager as `login-customer-id`.
- Meta: `facebook.com/{v}/dialog/oauth`, the code exchanged at `/{v}/oauth/access_token`,
  then for a long-lived token (`grant_type=fb_exchange_token`); ad accounts from
  `/me/adaccounts`, pixels from `/act_{id}/adspixels`.
- LinkedIn: `linkedin.com/oauth/v2/authorization` and `/accessToken` (refresh tokens for
  apps with programmatic refresh); ad accounts from `/rest/adAccounts?q=search`.
- TikTok for Business: `business-api.tiktok.com/portal/auth`, the `auth_code` exchanged at
  `/open_api/v1.3/oauth2/access_token/`; advertisers from `/oauth2/advertiser/get/`.

Every URL is overridable by the organization's app credential (its API URL and settings),
which is how the tests reach their fakes on 127.0.0.1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from rastro.auth.service.credentials import ResolvedCredential
from rastro.core.http import HttpClient

GOOGLE_ADS_VERSION = "v21"
META_VERSION = "v21.0"
LINKEDIN_VERSION = "202601"


class ConnectError(Exception):
    """The platform refused the exchange or the listing; `code` is the platform's error."""

    def __init__(self, message: str, code: str = "refused") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Tokens:
    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AdAccount:
    """An account the token reaches: what the user picks."""

    id: str
    name: str
    manager: bool = False
    login_customer_id: str | None = None  # Google: the manager to log in through
    pixels: tuple[tuple[str, str], ...] = ()  # Meta: (pixel id, name)


@dataclass(frozen=True)
class Provider:
    platform: str  # the connect name: google, meta, linkedin, tiktok
    app_service: str  # the vault service of the organization's OAuth app
    service: str  # the vault service of the credential it creates
    authorize_url: str
    token_url: str | None
    scope: str

    def authorization_url(self, app: ResolvedCredential, redirect_uri: str, state: str) -> str:
        base = str(app.settings.get("authorize_url") or self.authorize_url)
        if self.platform == "tiktok":
            query = {"app_id": app.api_key, "state": state, "redirect_uri": redirect_uri}
        else:
            query = {
                "client_id": app.api_key,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": self.scope,
                "state": state,
            }
            if self.platform == "google":
                query |= {"access_type": "offline", "prompt": "consent"}
        return f"{base}?{urlencode(query)}"

    def token_endpoint(self, app: ResolvedCredential) -> str | None:
        return str(app.settings.get("token_url") or self.token_url or "") or None


PROVIDERS: dict[str, Provider] = {
    "google": Provider(
        "google",
        "google_oauth_app",
        "google_ads",
        "https://accounts.google.com/o/oauth2/v2/auth",
        "https://oauth2.googleapis.com/token",
        "https://www.googleapis.com/auth/adwords",
    ),
    "meta": Provider(
        "meta",
        "meta_oauth_app",
        "meta",
        f"https://www.facebook.com/{META_VERSION}/dialog/oauth",
        None,
        "ads_read,ads_management,business_management",
    ),
    "linkedin": Provider(
        "linkedin",
        "linkedin_oauth_app",
        "linkedin",
        "https://www.linkedin.com/oauth/v2/authorization",
        "https://www.linkedin.com/oauth/v2/accessToken",
        "r_ads r_ads_reporting rw_conversions",
    ),
    "tiktok": Provider(
        "tiktok",
        "tiktok_oauth_app",
        "tiktok",
        "https://business-api.tiktok.com/portal/auth",
        None,
        "",
    ),
}


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _refused(response: httpx.Response, data: dict[str, Any]) -> ConnectError:
    error = data.get("error")
    if isinstance(error, dict):  # Graph API errors
        error = error.get("type") or error.get("code")
    code = str(error or data.get("code") or f"HTTP {response.status_code}")
    return ConnectError(f"The platform refused: {code}.", code=code[:60])


async def exchange(
    provider: Provider, app: ResolvedCredential, http: HttpClient, code: str, redirect_uri: str
) -> Tokens:
    """The authorization code exchanged for the account's tokens."""
    secret = app.api_secret or ""
    if provider.platform in ("google", "linkedin"):
        response = await http.post(
            provider.token_endpoint(app) or "",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": app.api_key,
                "client_secret": secret,
            },
            headers={"accept": "application/json"},
        )
        data = _json(response)
        if response.status_code != 200 or not data.get("access_token"):
            raise _refused(response, data)
        return Tokens(str(data["access_token"]), data.get("refresh_token"))
    if provider.platform == "meta":
        path = f"/{META_VERSION}/oauth/access_token"
        short = await http.get(
            path,
            params={
                "client_id": app.api_key,
                "client_secret": secret,
                "redirect_uri": redirect_uri,
                "code": code,
            },
        )
        data = _json(short)
        if short.status_code != 200 or not data.get("access_token"):
            raise _refused(short, data)
        long = await http.get(
            path,
            params={
                "grant_type": "fb_exchange_token",
                "client_id": app.api_key,
                "client_secret": secret,
                "fb_exchange_token": data["access_token"],
            },
        )
        lived = _json(long)
        if long.status_code != 200 or not lived.get("access_token"):
            raise _refused(long, lived)
        return Tokens(str(lived["access_token"]))
    response = await http.post(
        "/open_api/v1.3/oauth2/access_token/",
        json={"app_id": app.api_key, "secret": secret, "auth_code": code},
    )
    body = _json(response)
    token = (body.get("data") or {}).get("access_token")
    if response.status_code != 200 or body.get("code") != 0 or not token:
        raise _refused(response, {"code": body.get("code")})
    return Tokens(str(token), extra={"advertiser_ids": body["data"].get("advertiser_ids", [])})


async def list_accounts(
    provider: Provider, app: ResolvedCredential, http: HttpClient, access_token: str
) -> list[AdAccount]:
    """The accounts the token reaches, for the user to pick one."""
    bearer = {"authorization": f"Bearer {access_token}"}
    if provider.platform == "google":
        return await _google_accounts(app, http, bearer)
    if provider.platform == "meta":
        return await _meta_accounts(http, access_token)
    if provider.platform == "linkedin":
        response = await http.get(
            "/rest/adAccounts",
            params={"q": "search"},
            headers={
                **bearer,
                "LinkedIn-Version": LINKEDIN_VERSION,
                "X-Restli-Protocol-Version": "2.0.0",
            },
        )
        data = _json(response)
        if response.status_code != 200:
            raise _refused(response, data)
        return [
            AdAccount(str(e.get("id")), str(e.get("name") or e.get("id")))
            for e in data.get("elements", [])
        ]
    response = await http.get(
        "/open_api/v1.3/oauth2/advertiser/get/",
        params={"app_id": app.api_key, "secret": app.api_secret or ""},
        headers={"Access-Token": access_token},
    )
    body = _json(response)
    if response.status_code != 200 or body.get("code") != 0:
        raise _refused(response, {"code": body.get("code")})
    return [
        AdAccount(str(a.get("advertiser_id")), str(a.get("advertiser_name") or ""))
        for a in (body.get("data") or {}).get("list", [])
    ]


async def _google_accounts(
    app: ResolvedCredential, http: HttpClient, bearer: dict[str, str]
) -> list[AdAccount]:
    headers = {**bearer, "developer-token": str(app.settings.get("developer_token") or "")}
    listed = await http.get(
        f"/{GOOGLE_ADS_VERSION}/customers:listAccessibleCustomers", headers=headers
    )
    data = _json(listed)
    if listed.status_code != 200:
        raise _refused(listed, data)
    accounts: dict[str, AdAccount] = {}
    for name in data.get("resourceNames", []):
        root = str(name).removeprefix("customers/")
        response = await http.post(
            f"/{GOOGLE_ADS_VERSION}/customers/{root}/googleAds:search",
            json={
                "query": "SELECT customer_client.id, customer_client.descriptive_name, "
                "customer_client.manager, customer_client.level FROM customer_client "
                "WHERE customer_client.level <= 1"
            },
            headers={**headers, "login-customer-id": root},
        )
        rows = _json(response).get("results", []) if response.status_code == 200 else []
        for row in rows:
            client = row.get("customerClient", {})
            cid = str(client.get("id", ""))
            if not cid:
                continue
            login = root if cid != root else None
            known = accounts.get(cid)
            if known is None or (known.login_customer_id and not login):
                accounts[cid] = AdAccount(
                    cid,
                    str(client.get("descriptiveName") or cid),
                    manager=bool(client.get("manager")),
                    login_customer_id=login,
                )
        if not rows and root not in accounts:
            accounts[root] = AdAccount(root, root)
    return sorted(accounts.values(), key=lambda a: (a.manager, a.name))


async def _meta_accounts(http: HttpClient, token: str) -> list[AdAccount]:
    response = await http.get(
        f"/{META_VERSION}/me/adaccounts",
        params={"fields": "account_id,name", "access_token": token},
    )
    data = _json(response)
    if response.status_code != 200:
        raise _refused(response, data)
    accounts = []
    for entry in data.get("data", []):
        account_id = str(entry.get("account_id") or "")
        pixels = await http.get(
            f"/{META_VERSION}/act_{account_id}/adspixels",
            params={"fields": "id,name", "access_token": token},
        )
        found = _json(pixels).get("data", []) if pixels.status_code == 200 else []
        accounts.append(
            AdAccount(
                account_id,
                str(entry.get("name") or account_id),
                pixels=tuple((str(p.get("id")), str(p.get("name") or "")) for p in found),
            )
        )
    return accounts
