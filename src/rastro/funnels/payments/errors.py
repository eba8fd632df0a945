"""Errors of the payments API (each with its status and stable code)."""

from __future__ import annotations

from rastro.core.errors import RastroError, ServiceUnavailable


class GatewayRefused(RastroError):
    """The gateway refused the charge (e.g. a document it does not accept)."""

    status_code = 422
    code = "gateway_refused"
    default_message = "The payment gateway refused the charge."


class GatewayUnavailable(ServiceUnavailable):
    """The gateway could not be reached or failed: try again shortly."""

    code = "gateway_unavailable"
    default_message = "The payment gateway is unavailable; try again shortly."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, headers={"Retry-After": "5"})


class InvalidWebhookSignature(RastroError):
    """The webhook failed the gateway's authentication: nothing was changed."""

    status_code = 401
    code = "invalid_signature"
    default_message = "The webhook's signature or token is invalid."


class MalformedWebhookBody(RastroError):
    status_code = 400
    code = "malformed_webhook"
    default_message = "The webhook's body is not what the gateway sends."


class UnknownGateway(RastroError):
    status_code = 404
    code = "unknown_gateway"
    default_message = "No such payment gateway."


class UnknownWebhookEndpoint(RastroError):
    status_code = 404
    code = "unknown_endpoint"
    default_message = "No such webhook endpoint."
