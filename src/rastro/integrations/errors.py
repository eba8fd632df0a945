"""Errors of the integrations module (inbound CRM webhooks and their review list)."""

from rastro.core.errors import NotAuthenticated, NotFound, RastroError


class UnknownWebhookEndpoint(NotFound):
    code = "unknown_webhook_endpoint"
    default_message = "Unknown webhook endpoint."


class InvalidWebhookSignature(NotAuthenticated):
    code = "invalid_webhook_signature"
    default_message = "The webhook signature is missing, invalid or too old."


class WebhookNotConfigured(NotAuthenticated):
    code = "webhook_not_configured"
    default_message = "This organization has not configured how to verify this provider."


class MalformedWebhook(RastroError):
    status_code = 400
    code = "malformed_webhook"
    default_message = "The webhook body is not what this provider sends."


class DeliveryNotInReview(RastroError):
    status_code = 409
    code = "delivery_not_in_review"
    default_message = "Only deliveries in the review list can be resolved."
