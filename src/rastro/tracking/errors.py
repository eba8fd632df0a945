"""Errors of the tracking module."""

from rastro.core.errors import PermissionDenied, RastroError


class UnknownSite(RastroError):
    status_code = 401
    code = "unknown_site"
    default_message = "Unknown or disabled site key."


class OriginNotAllowed(PermissionDenied):
    code = "origin_not_allowed"
    default_message = "This origin may not send events for this site."


class BatchTooLarge(RastroError):
    status_code = 413
    code = "batch_too_large"
    default_message = "A batch holds at most 500 events."
