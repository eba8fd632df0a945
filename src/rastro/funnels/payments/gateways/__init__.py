"""One class per payment gateway (`base.Gateway`); `GATEWAYS` by name."""

from __future__ import annotations

from rastro.funnels.payments.gateways.asaas import AsaasGateway
from rastro.funnels.payments.gateways.base import Gateway
from rastro.funnels.payments.gateways.mercadopago import MercadoPagoGateway
from rastro.funnels.payments.gateways.pagarme import PagarmeGateway
from rastro.funnels.payments.gateways.pix_api import PixApiGateway
from rastro.funnels.payments.gateways.static_pix import StaticPixGateway

# SkalePay (seed 002's `credentials.service`) is not here: no public documentation of its
# API or of its webhooks' authentication could be found.
GATEWAYS: dict[str, Gateway] = {
    gateway.name: gateway
    for gateway in (
        PixApiGateway(),
        MercadoPagoGateway(),
        PagarmeGateway(),
        AsaasGateway(),
        StaticPixGateway(),
    )
}
BY_SERVICE: dict[str, Gateway] = {g.credential_service: g for g in GATEWAYS.values()}
