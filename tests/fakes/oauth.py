"""A fake OAuth 2.0 token endpoint (RFC 6749 §6, as Google's and LinkedIn's answer it):
`POST /token`, form-encoded, `grant_type=refresh_token` with the client id, client secret
and refresh token it knows → `{access_token, expires_in, token_type}`. A wrong client
answers 401 `invalid_client`; an unknown or revoked refresh token 400 `invalid_grant`; any
other grant type 400 `unsupported_grant_type`. Tests script 5xx/hangs before the answer."""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.fakes.base import RecordedRequest
from tests.fakes.crm_common import ScriptableFake

PATH = "/token"


class FakeTokenEndpoint(ScriptableFake):
    def __init__(
        self,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        access_tokens: tuple[str, ...],
        *,
        expires_in: int = 3599,
    ) -> None:
        super().__init__(self._handle)
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.access_tokens = list(access_tokens)  # issued in turn, the last one repeated
        self.expires_in = expires_in
        self.revoked = False
        self.issued: list[str] = []

    @property
    def token_uri(self) -> str:
        return self.url + PATH

    @property
    def forms(self) -> list[dict[str, str]]:
        """Every request's form (the last value of each field)."""
        return [_form(r) for r in self.requests]

    async def _handle(self, request: Request, recorded: RecordedRequest) -> Response:
        if request.method != "POST" or recorded.path != PATH:
            return JSONResponse({"error": "not_found"}, status_code=404)
        if not request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        form = _form(recorded)
        if form.get("grant_type") != "refresh_token":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return JSONResponse(
                {"error": "invalid_client", "error_description": "Unauthorized"}, status_code=401
            )
        if self.revoked or form.get("refresh_token") != self.refresh_token:
            return JSONResponse(
                {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                },
                status_code=400,
            )
        token = self.access_tokens[min(len(self.issued), len(self.access_tokens) - 1)]
        self.issued.append(token)
        return JSONResponse(
            {
                "access_token": token,
                "expires_in": self.expires_in,
                "token_type": "Bearer",
                "scope": "https://www.googleapis.com/auth/datamanager",
            }
        )


def _form(recorded: RecordedRequest) -> dict[str, str]:
    parsed = parse_qs(recorded.body.decode("utf-8"), keep_blank_values=True)
    return {key: values[-1] for key, values in parsed.items()}
