"""Errors of the privacy module."""

from rastro.core.errors import NotFound, RastroError


class SubjectRequestNotFound(NotFound):
    code = "subject_request_not_found"
    default_message = "No such data-subject request in this organization."


class SubjectRequestClosed(RastroError):
    status_code = 409
    code = "subject_request_closed"
    default_message = "This request is already done or rejected."


class ExportNotReady(RastroError):
    status_code = 409
    code = "export_not_ready"
    default_message = "This request has no export: it is not a finished export request."


class OrganizationNotFound(NotFound):
    code = "organization_not_found"
    default_message = "No organization with this address."
