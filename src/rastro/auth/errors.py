"""Errors of the auth module."""

from rastro.core.errors import (
    Conflict,
    InvalidToken,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RastroError,
)


class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"
    default_message = "E-mail or password is incorrect."
    keeps_changes = True  # the failed attempt is recorded for rate limiting


class SessionRevoked(InvalidToken):
    default_message = "This sign-in session has ended; sign in again."
    keeps_changes = True  # the revocation itself must be committed


class AccountDisabled(PermissionDenied):
    code = "account_disabled"
    default_message = "This account is disabled. Ask an administrator of your organization."


class TooManyLoginAttempts(RastroError):
    status_code = 429
    code = "too_many_attempts"
    default_message = "Too many failed sign-in attempts. Try again later."


class WrongPassword(RastroError):
    code = "wrong_password"
    default_message = "The current password is incorrect."


class LastAdmin(Conflict):
    code = "last_admin"
    default_message = "An organization needs at least one active administrator."


class EmailTaken(Conflict):
    code = "email_taken"
    default_message = "A user with this e-mail already exists."


class AlreadyMember(Conflict):
    code = "already_member"
    default_message = "This user is already a member of the organization."


class UnknownScope(RastroError):
    status_code = 422
    code = "unknown_scope"
    default_message = "One or more scopes do not exist or cannot be given to an API key."


class InvitationNotFound(NotFound):
    code = "invitation_not_found"
    default_message = "This invitation does not exist, has expired or was already answered."


class SignInToAccept(Conflict):
    code = "sign_in_to_accept"
    default_message = "This e-mail already has an account: sign in to accept the invitation."


class TooManyResetRequests(RastroError):
    status_code = 429
    code = "too_many_reset_requests"
    default_message = "Too many password reset requests. Try again later."


class ResetTokenInvalid(RastroError):
    status_code = 400
    code = "reset_token_invalid"
    default_message = "This password reset link is invalid, has expired or was already used."
