"""Errors of the recovery (each with its status and stable code)."""

from __future__ import annotations

from rastro.core.errors import RastroError


class InvalidResumeLink(RastroError):
    """The resume link was altered or is not one of ours."""

    status_code = 400
    code = "invalid_resume_link"
    default_message = "This resume link is invalid."


class ResumeLinkExpired(RastroError):
    """The resume link's time is up."""

    status_code = 410
    code = "resume_link_expired"
    default_message = "This resume link has expired."


class InvalidReportPeriod(RastroError):
    status_code = 422
    code = "invalid_period"
    default_message = "The period is invalid."
