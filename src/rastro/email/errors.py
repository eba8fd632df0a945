"""Errors of the e-mail module."""

from rastro.core.errors import Conflict, NotFound, UnprocessableEntity


class CampaignNotFound(NotFound):
    code = "campaign_not_found"
    default_message = "No such campaign in this organization."


class InvalidTransition(Conflict):
    code = "invalid_campaign_transition"
    default_message = "The campaign cannot move to this status from its current one."


class CampaignNotReady(UnprocessableEntity):
    code = "campaign_not_ready"
    default_message = "The campaign lacks what it needs for this step."


class AudienceInUse(Conflict):
    code = "audience_in_use"
    default_message = "Campaigns reach this audience: remove it from them first."


class TrackingTokenInvalid(NotFound):
    """A tampered, truncated or foreign tracking token: a plain 404, nothing to probe."""

    code = "not_found"
    default_message = "Not found."


class WebhookRejected(NotFound):
    """A provider webhook whose endpoint token or signature does not verify."""

    code = "webhook_rejected"
    default_message = "Unknown webhook endpoint or invalid signature."


class WebhookUnauthorized(UnprocessableEntity):
    status_code = 401
    code = "webhook_unauthorized"
    default_message = "The webhook's credentials are missing or wrong."


class BadWebhookPayload(UnprocessableEntity):
    code = "bad_webhook_payload"
    default_message = "The webhook's body is not what the provider sends."


class WebhookReplayed(UnprocessableEntity):
    """A Mailgun delivery whose one-time token was received before: refused. 406 is the
    answer after which Mailgun stops retrying (the first delivery was stored)."""

    status_code = 406
    code = "webhook_replayed"
    default_message = "This webhook delivery was received already."


class SequenceNotFound(NotFound):
    code = "sequence_not_found"
    default_message = "No such sequence in this organization."


class SequenceStepNotFound(NotFound):
    code = "sequence_step_not_found"
    default_message = "No such step in this sequence."


class EnrollmentNotFound(NotFound):
    code = "enrollment_not_found"
    default_message = "No such enrollment in this sequence."


class InvalidSequenceTransition(Conflict):
    code = "invalid_sequence_transition"
    default_message = "The sequence cannot move to this status from its current one."


class SequenceNotReady(UnprocessableEntity):
    code = "sequence_not_ready"
    default_message = "The sequence lacks what it needs to run."
