"""A fake of the four ad platforms' "connect" surfaces on one port, validating requests as
the real ones document them: the authorization pages (which consent at once and send the
browser back with a code and the state), the code exchanges, refreshes (a refresh may
rotate the refresh token) and the account lists.

- Google: `GET /o/oauth2/v2/auth` (client_id, redirect_uri, response_type=code, the adwords
  scope, access_type=offline), `POST /token` (authorization_code with the same
  redirect_uri, refresh_token), `GET /v21/customers:listAccessibleCustomers` and
  `POST /v21/customers/{id}/googleAds:search` (bearer, developer-token, login-customer-id).
- Meta: `GET /v21.0/dialog/oauth`, `GET /v21.0/oauth/access_token` (code, then
  fb_exchange_token), `GET /v21.0/me/adaccounts`, `GET /v21.0/act_{id}/adspixels`.
- LinkedIn: `GET /oauth/v2/authorization`, `POST /oauth/v2/accessToken`,
  `GET /rest/adAccounts?q=search` (LinkedIn-Version, X-Restli-Protocol-Version).
- TikTok: `GET /portal/auth` (app_id), `POST /open_api/v1.3/oauth2/access_token/` (JSON
  app_id, secret, auth_code), `GET /open_api/v1.3/oauth2/advertiser/get/` (Access-Token).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from tests.fakes.base import RecordedRequest
from tests.fakes.crm_common import ScriptableFake

CLIENT_ID = "app-client-1"
CLIENT_SECRET = "app-secret-1"
DEVELOPER_TOKEN = "dev-token-1"
CODE = "auth-code-1"
REFRESH = "refresh-1"
ROTATED = "refresh-2"
ACCESS = "access-1"
LONG_LIVED = "meta-long-lived-1"
MANAGER = "1112223333"
CLIENT = "4445556666"


def _bad(error: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error}, status_code=status)


class FakeAdConnect(ScriptableFake):
    def __init__(self, *, rotate: bool = False) -> None:
        super().__init__(self._handle)
        self.rotate = rotate  # refreshes answer a new refresh token
        self.redirect_uris: dict[str, str] = {}  # code → the redirect_uri it was issued for
        self.refresh_tokens = {REFRESH}
        self.revoked = False

    async def _handle(self, request: Request, recorded: RecordedRequest) -> Response:
        path, q = recorded.path, dict(request.query_params)
        if path == "/o/oauth2/v2/auth":
            return self._authorize(q, scope="https://www.googleapis.com/auth/adwords", google=True)
        if path == "/v21.0/dialog/oauth":
            return self._authorize(q, scope="ads_read")
        if path == "/oauth/v2/authorization":
            return self._authorize(q, scope="r_ads")
        if path == "/portal/auth":
            if q.get("app_id") != CLIENT_ID or not q.get("state") or not q.get("redirect_uri"):
                return _bad("invalid_request")
            self.redirect_uris[CODE] = q["redirect_uri"]
            back = q["redirect_uri"] + "?" + urlencode({"auth_code": CODE, "state": q["state"]})
            return RedirectResponse(back, status_code=302)
        if path in ("/token", "/oauth/v2/accessToken"):
            return self._token(recorded)
        if path == "/v21.0/oauth/access_token":
            return self._meta_token(q)
        if path == "/open_api/v1.3/oauth2/access_token/":
            body = recorded.json or {}
            if body.get("app_id") != CLIENT_ID or body.get("secret") != CLIENT_SECRET:
                return JSONResponse({"code": 40001, "message": "invalid app"})
            if body.get("auth_code") != CODE:
                return JSONResponse({"code": 40002, "message": "invalid auth_code"})
            return JSONResponse(
                {"code": 0, "data": {"access_token": ACCESS, "advertiser_ids": ["7001"]}}
            )
        if not self._bearer_ok(request):
            return _bad("invalid_token", 401)
        if path == "/v21/customers:listAccessibleCustomers":
            if request.headers.get("developer-token") != DEVELOPER_TOKEN:
                return _bad("DEVELOPER_TOKEN_INVALID", 401)
            return JSONResponse({"resourceNames": [f"customers/{MANAGER}"]})
        if path == f"/v21/customers/{MANAGER}/googleAds:search":
            if request.headers.get("login-customer-id") != MANAGER:
                return _bad("USER_PERMISSION_DENIED", 403)
            rows = [
                {
                    "customerClient": {
                        "id": MANAGER,
                        "descriptiveName": "Agência MCC",
                        "manager": True,
                        "level": "0",
                    }
                },
                {
                    "customerClient": {
                        "id": CLIENT,
                        "descriptiveName": "Loja Cliente",
                        "manager": False,
                        "level": "1",
                    }
                },
            ]
            return JSONResponse({"results": rows})
        if path == "/v21.0/me/adaccounts":
            return JSONResponse(
                {"data": [{"account_id": "777", "name": "Loja Meta", "id": "act_777"}]}
            )
        if path == "/v21.0/act_777/adspixels":
            return JSONResponse({"data": [{"id": "PX1", "name": "Pixel da loja"}]})
        if path == "/rest/adAccounts":
            if not request.headers.get("linkedin-version") or q.get("q") != "search":
                return _bad("invalid_request")
            return JSONResponse({"elements": [{"id": 5151, "name": "Loja LinkedIn"}]})
        if path == "/open_api/v1.3/oauth2/advertiser/get/":
            if q.get("app_id") != CLIENT_ID or q.get("secret") != CLIENT_SECRET:
                return JSONResponse({"code": 40001, "message": "invalid app"})
            return JSONResponse(
                {
                    "code": 0,
                    "data": {"list": [{"advertiser_id": "7001", "advertiser_name": "Loja TikTok"}]},
                }
            )
        return _bad("not_found", 404)

    def _authorize(self, q: dict[str, str], *, scope: str, google: bool = False) -> Response:
        if q.get("client_id") != CLIENT_ID or q.get("response_type") != "code":
            return _bad("invalid_request")
        if scope not in q.get("scope", "") or not q.get("state") or not q.get("redirect_uri"):
            return _bad("invalid_scope")
        if google and (q.get("access_type") != "offline" or q.get("prompt") != "consent"):
            return _bad("no_refresh_token_would_be_issued")
        self.redirect_uris[CODE] = q["redirect_uri"]
        back = q["redirect_uri"] + "?" + urlencode({"code": CODE, "state": q["state"]})
        return RedirectResponse(back, status_code=302)

    def _token(self, recorded: RecordedRequest) -> Response:
        form = {k: v[-1] for k, v in parse_qs(recorded.body.decode()).items()}
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return _bad("invalid_client", 401)
        if form.get("grant_type") == "authorization_code":
            if form.get("code") != CODE:
                return _bad("invalid_grant")
            if self.redirect_uris.get(CODE) != form.get("redirect_uri"):
                return _bad("redirect_uri_mismatch")
            return JSONResponse(
                {
                    "access_token": ACCESS,
                    "refresh_token": REFRESH,
                    "expires_in": 3599,
                    "token_type": "Bearer",
                }
            )
        if form.get("grant_type") == "refresh_token":
            if self.revoked or form.get("refresh_token") not in self.refresh_tokens:
                return _bad("invalid_grant")
            answer = {"access_token": ACCESS, "expires_in": 3599, "token_type": "Bearer"}
            if self.rotate:
                self.refresh_tokens = {ROTATED}
                answer["refresh_token"] = ROTATED
            return JSONResponse(answer)
        return _bad("unsupported_grant_type")

    def _meta_token(self, q: dict[str, str]) -> Response:
        if q.get("client_id") != CLIENT_ID or q.get("client_secret") != CLIENT_SECRET:
            return JSONResponse({"error": {"type": "OAuthException", "code": 101}}, 400)
        if q.get("grant_type") == "fb_exchange_token":
            if q.get("fb_exchange_token") != ACCESS:
                return JSONResponse({"error": {"type": "OAuthException", "code": 190}}, 400)
            return JSONResponse(
                {"access_token": LONG_LIVED, "token_type": "bearer", "expires_in": 5183944}
            )
        if q.get("code") != CODE or self.redirect_uris.get(CODE) != q.get("redirect_uri"):
            return JSONResponse({"error": {"type": "OAuthException", "code": 100}}, 400)
        return JSONResponse({"access_token": ACCESS, "token_type": "bearer", "expires_in": 3600})

    def _bearer_ok(self, request: Request) -> bool:
        if request.query_params.get("access_token") in (LONG_LIVED,):
            return True
        if request.headers.get("access-token") == ACCESS:
            return True
        return request.headers.get("authorization") == f"Bearer {ACCESS}"
