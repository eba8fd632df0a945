"""The built-in static PIX, for organizations without a gateway: a BR Code "copia e
cola" made here (`brcode.build_static_brcode`) with the organization's PIX key, the
charge's amount and its txid, and no call anywhere. Nobody tells Rastro that it was
paid: the payment is confirmed by hand (`POST /api/payments/{id}/confirm`).

Credential: `api_key` = the PIX key; settings `merchant_name` (≤ 25) and
`merchant_city` (≤ 15), plain ASCII without accents as the Banco Central's manual says.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import ClassVar

from rastro.auth.service.credentials import ResolvedCredential
from rastro.funnels.payments import brcode
from rastro.funnels.payments.gateways.base import (
    Charge,
    ChargeRequest,
    ChargeState,
    Gateway,
    GatewayError,
    Notification,
    SignedRequest,
    WebhookRejected,
)


class StaticPixGateway(Gateway):
    name: ClassVar[str] = "static_pix"
    label: ClassVar[str] = "Static PIX (BR Code)"
    credential_service: ClassVar[str] = "pix_static"
    verification: ClassVar[str] = "no webhook: confirmed by hand"

    async def create_charge(self, request: ChargeRequest, credential: ResolvedCredential) -> Charge:
        txid = request.txid[:25]
        payload = brcode.build_static_brcode(
            brcode.StaticPix(
                key=credential.api_key,
                merchant_name=str(credential.settings.get("merchant_name") or ""),
                merchant_city=str(credential.settings.get("merchant_city") or ""),
                amount=request.amount,
                txid=txid,
            )
        )
        return Charge(
            external_id=txid,
            status="pending",
            pix_copy_paste=payload,
            expires_at=datetime.now(UTC) + timedelta(seconds=request.expires_in),
            response={"txid": txid},
        )

    async def fetch_status(self, external_id: str, credential: ResolvedCredential) -> ChargeState:
        raise GatewayError("A static PIX has no status to read: confirm it by hand.")

    def notifications(self, request: SignedRequest) -> list[Notification]:
        return []

    def verify(self, request: SignedRequest, credential: ResolvedCredential) -> None:
        raise WebhookRejected("a static PIX takes no webhook")
