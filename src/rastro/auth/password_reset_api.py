"""Routes of password reset by e-mail (see `service.password_resets`): ask for a link,
then set a new password with the link's one-time token."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status

from rastro.auth import schemas
from rastro.auth.api import _client_ip
from rastro.auth.service import password_resets
from rastro.core.db import SYSTEM, set_scope
from rastro.core.deps import CrmSession
from rastro.core.errors import ERROR_RESPONSES, error_body
from rastro.core.session import TransactionalRoute

router = APIRouter(
    prefix="/api/auth/password-reset",
    tags=["auth"],
    route_class=TransactionalRoute,
    responses=ERROR_RESPONSES,
)


def _error(description: str, code: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"example": error_body(code, description)}},
    }


@router.get("/options", response_model=schemas.PasswordResetOptions)
async def password_reset_options(request: Request) -> schemas.PasswordResetOptions:
    """Whether a reset link can be e-mailed (public: the forgot-password page asks)."""
    return schemas.PasswordResetOptions(by_email=request.app.state.settings.mail_sender != "none")


@router.post(
    "",
    response_model=schemas.PasswordResetRequested,
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        429: _error(
            "Too many requests for this address or from this IP (Retry-After).",
            "too_many_reset_requests",
        )
    },
)
async def request_password_reset(
    body: schemas.PasswordResetRequest, request: Request, session: CrmSession
) -> schemas.PasswordResetRequested:
    """Ask for a password reset link by e-mail. The answer is the same whether or not the
    address has an account; requests are limited per address and per IP (429 past it)."""
    await set_scope(session, SYSTEM)
    await password_resets.request_reset(
        session,
        email=body.email,
        ip=_client_ip(request),
        max_per_hour=request.app.state.settings.password_reset_max_per_hour,
    )
    return schemas.PasswordResetRequested()


@router.post(
    "/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        400: _error(
            "The reset link is invalid, has expired or was already used.", "reset_token_invalid"
        )
    },
)
async def confirm_password_reset(
    body: schemas.PasswordResetConfirm, session: CrmSession
) -> Response:
    """Set a new password with the e-mailed one-time token (400 `reset_token_invalid` when
    unknown, used or expired). Every sign-in session of the user ends: sign in again."""
    await set_scope(session, SYSTEM)
    await password_resets.reset_password(session, token=body.token, new_password=body.new_password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
