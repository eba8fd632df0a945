"""The Banco Central's standard PIX API (github.com/bacen/pix-api), which the banks and
PSPs implement (Efí, Inter, Itaú, Sicredi, Sicoob…): an immediate charge is
`PUT /v2/cob/{txid}` with our txid (26 to 35 letters and digits), read back with
`GET /v2/cob/{txid}`; its status is ATIVA, CONCLUIDA (paid) or REMOVIDA_PELO_*.

Calls are authorized by an OAuth2 client-credentials token (`POST` to the PSP's token
endpoint, client id and secret in HTTP Basic) and, at real PSPs, a client certificate
(mTLS) that the deployment's HTTP layer holds; the token is cached until shortly before
it expires.

The PSP's webhook POSTs `{webhookUrl}/pix` with `{"pix": [{"endToEndId", "txid",
"valor", "horario", …}]}` over mTLS. The app cannot see that certificate behind a proxy,
so the body is never trusted: each txid's charge is read back with `GET /v2/cob/{txid}`.

Credential: `api_key` = client id, `api_secret` = client secret, `api_url` = the PSP's
API root (before `/v2`); settings: `pix_key` (the receiver's key, required) and
`token_url` (absolute, or a path under `api_url`; `/oauth/token` when empty).
"""

from __future__ import annotations

import asyncio
import base64
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from rastro.auth.service.credentials import ResolvedCredential
from rastro.core.http import HttpClient
from rastro.funnels.payments.gateways.base import (
    Charge,
    ChargeRequest,
    ChargeState,
    Gateway,
    GatewayError,
    MalformedWebhook,
    Notification,
    SignedRequest,
    answer,
    json_body,
)
from rastro.funnels.payments.statuses import PaymentStatus

DEFAULT_TOKEN_PATH = "/oauth/token"
SCOPES = "cob.write cob.read"
_MARGIN_SECONDS = 60.0
_KEPT = ("txid", "status", "revisao", "location")


class _TokenCache:
    """Client-credentials tokens per credential, in this process."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}
        self._lock = asyncio.Lock()

    async def token(self, credential: ResolvedCredential, http: HttpClient) -> str:
        key = (str(credential.id), credential.api_key)
        cached = self._tokens.get(key)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        async with self._lock:
            basic = base64.b64encode(
                f"{credential.api_key}:{credential.api_secret or ''}".encode()
            ).decode()
            url = str(credential.settings.get("token_url") or DEFAULT_TOKEN_PATH)
            response = await http.post(
                url,
                data={"grant_type": "client_credentials", "scope": SCOPES},
                headers={"authorization": f"Basic {basic}"},
            )
            data = answer(response, "The PSP's token endpoint")
            token = data.get("access_token")
            if not isinstance(token, str) or not token:
                raise GatewayError("The PSP's token endpoint answered without an access token.")
            lifetime = data.get("expires_in")
            seconds = float(lifetime) if isinstance(lifetime, int | float) else 3600.0
            self._tokens[key] = (token, time.monotonic() + max(seconds - _MARGIN_SECONDS, 1.0))
            return token

    def forget(self, credential: ResolvedCredential) -> None:
        self._tokens.pop((str(credential.id), credential.api_key), None)


TOKENS = _TokenCache()


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _money(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


def expires_at(cob: dict[str, Any]) -> datetime | None:
    calendar = cob.get("calendario") or {}
    created = _time(calendar.get("criacao"))
    seconds = calendar.get("expiracao")
    if created is None or not isinstance(seconds, int):
        return None
    return created + timedelta(seconds=seconds)


def status_of(cob: dict[str, Any], now: datetime | None = None) -> PaymentStatus:
    status = cob.get("status")
    if status == "CONCLUIDA":
        received = [p for p in cob.get("pix") or [] if isinstance(p, dict)]
        returned = sum(
            _money(d.get("valor"))
            for p in received
            for d in p.get("devolucoes") or []
            if isinstance(d, dict) and d.get("status") == "DEVOLVIDO"
        )
        original = _money((cob.get("valor") or {}).get("original"))
        if original > 0 and returned >= original:
            return "refunded"
        return "paid"
    ends = expires_at(cob)
    expired = ends is not None and ends <= (now or datetime.now(UTC))
    if status == "ATIVA":
        return "expired" if expired else "pending"
    if status in ("REMOVIDA_PELO_USUARIO_RECEBEDOR", "REMOVIDA_PELO_PSP"):
        return "expired" if expired else "cancelled"
    raise GatewayError("The PSP answered an unknown charge status.")


class PixApiGateway(Gateway):
    name: ClassVar[str] = "pix_api"
    label: ClassVar[str] = "PIX API (Banco Central standard)"
    credential_service: ClassVar[str] = "pix_api"
    verification: ClassVar[str] = (
        "mTLS at the PSP; the app reads each charge back with GET /v2/cob/{txid}"
    )
    create_attempts: ClassVar[int] = 3  # PUT on our txid: a retry is the same charge

    async def _call(
        self,
        http: HttpClient,
        credential: ResolvedCredential,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        for attempt in range(2):
            token = await TOKENS.token(credential, http)
            response = await http.request(
                method, path, json=body, headers={"authorization": f"Bearer {token}"}
            )
            if response.status_code == 401 and attempt == 0:
                TOKENS.forget(credential)  # revoked or expired early: one fresh token
                continue
            return answer(response, "The PSP")
        raise AssertionError("unreachable")

    async def create_charge(self, request: ChargeRequest, credential: ResolvedCredential) -> Charge:
        key = credential.settings.get("pix_key")
        if not key:
            raise GatewayError("The PIX API credential has no pix_key setting.")
        body: dict[str, Any] = {
            "calendario": {"expiracao": request.expires_in},
            "valor": {"original": f"{request.amount:.2f}"},
            "chave": str(key),
            "solicitacaoPagador": request.description[:140],
        }
        buyer = request.customer
        if buyer.name and buyer.document:
            kind = "cpf" if len(buyer.document) == 11 else "cnpj"
            body["devedor"] = {kind: buyer.document, "nome": buyer.name[:200]}
        async with self.client(credential, attempts=self.create_attempts) as http:
            cob = await self._call(http, credential, "PUT", f"/v2/cob/{request.txid}", body)
        if cob.get("txid") != request.txid or not cob.get("pixCopiaECola"):
            raise GatewayError("The PSP answered without the charge's txid or copia e cola.")
        return Charge(
            external_id=request.txid,
            status=status_of(cob),
            pix_copy_paste=str(cob["pixCopiaECola"]),
            pix_url=cob.get("location"),
            expires_at=expires_at(cob),
            response={key: cob.get(key) for key in _KEPT},
        )

    async def fetch_status(self, external_id: str, credential: ResolvedCredential) -> ChargeState:
        async with self.client(credential) as http:
            cob = await self._call(http, credential, "GET", f"/v2/cob/{external_id}")
        received = [p for p in cob.get("pix") or [] if isinstance(p, dict)]
        return ChargeState(
            status=status_of(cob),
            paid_at=_time(received[0].get("horario")) if received else None,
            response={key: cob.get(key) for key in _KEPT},
        )

    def notifications(self, request: SignedRequest) -> list[Notification]:
        body = json_body(request)
        received = body.get("pix")
        if not isinstance(received, list):
            raise MalformedWebhook("The body has no pix list.")
        found: dict[str, Notification] = {}
        for item in received:
            if not isinstance(item, dict):
                raise MalformedWebhook("A pix item is not an object.")
            txid = item.get("txid")
            if not isinstance(txid, str) or not txid:
                continue  # a PIX to the key without a charge: not ours
            end_to_end = item.get("endToEndId")
            found.setdefault(
                txid,
                Notification(
                    external_id=txid,
                    status=None,  # read back from the PSP
                    event_id=str(end_to_end) if end_to_end else None,
                ),
            )
        return list(found.values())

    def verify(self, request: SignedRequest, credential: ResolvedCredential) -> None:
        # mTLS is the PSP's authentication; the status is read back (see the docstring).
        return None
