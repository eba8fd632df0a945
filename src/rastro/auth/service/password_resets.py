"""Password reset by e-mail.

1. `request_reset`: someone gives an e-mail address. The answer is the same whether or not
   it has an account; every request is recorded (the address's SHA-256, the IP) and
   counted against a limit per address and per IP. When the address belongs to an active
   user, a `password_reset` mail is asked for (`core.mail_requests`) in the same
   transaction — only the request's id travels.
2. `issue_reset_token`: the e-mail module, sending that mail, mints the one-time token
   here; only its SHA-256 is stored. Sending again (a retried job) mints a new token and
   the older one stops working.
3. `reset_password`: the token (unused, unexpired, its user active) sets the new password;
   the token and every other pending reset of the user stop working, and every sign-in
   session of the user (with its refresh and access tokens) is revoked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth import errors
from rastro.auth.models import AuthSession, PasswordReset, User
from rastro.auth.service.accounts import get_user_by_email, normalize_email
from rastro.core.mail_requests import request_mail
from rastro.core.security import hash_password, new_token, sha256_hex

MAIL_KIND = "password_reset"
RESET_LIFETIME = timedelta(hours=1)
RATE_WINDOW = timedelta(hours=1)
IP_FACTOR = 10  # an IP may ask this many times the per-address limit (a shared office)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ResetMail:
    """What the password reset mail needs: to whom, in which language, the token."""

    reset_id: uuid.UUID
    user_id: uuid.UUID
    email: str
    name: str
    locale: str
    token: str
    expires_at: datetime


async def _recent(session: AsyncSession, condition: object, since: datetime) -> int:
    return int(
        await session.scalar(
            select(func.count(PasswordReset.id)).where(
                condition,  # type: ignore[arg-type]
                PasswordReset.created_at > since,
            )
        )
        or 0
    )


async def request_reset(
    session: AsyncSession, *, email: str, ip: str | None, max_per_hour: int
) -> None:
    """Record a reset request and, when the address has an active account, ask for the
    mail. Raises `TooManyResetRequests` past the limit, for any address alike."""
    now = _now()
    email_hash = sha256_hex(normalize_email(email))
    since = now - RATE_WINDOW
    too_many = await _recent(session, PasswordReset.email_hash == email_hash, since) >= max_per_hour
    if ip is not None and not too_many:
        too_many = (
            await _recent(session, PasswordReset.ip_address == ip, since)
            >= max_per_hour * IP_FACTOR
        )
    if too_many:
        retry_after = int(RATE_WINDOW.total_seconds())
        raise errors.TooManyResetRequests(
            details={"retry_after": retry_after}, headers={"Retry-After": str(retry_after)}
        )
    user = await get_user_by_email(session, email)
    reset = PasswordReset(
        email_hash=email_hash,
        ip_address=ip,
        user_id=user.id if user is not None and user.is_active else None,
        created_at=now,
        expires_at=now + RESET_LIFETIME,
    )
    session.add(reset)
    await session.flush()
    if reset.user_id is not None:
        await request_mail(session, kind=MAIL_KIND, subject_id=reset.id)


async def issue_reset_token(session: AsyncSession, *, reset_id: uuid.UUID) -> ResetMail | None:
    """Mint the one-time token of a pending reset (replacing any earlier one); None when the
    reset was used, expired or its user is gone or disabled (nothing to send)."""
    row = (
        await session.execute(
            select(PasswordReset, User)
            .join(User, User.id == PasswordReset.user_id)
            .where(
                PasswordReset.id == reset_id,
                PasswordReset.used_at.is_(None),
                PasswordReset.expires_at > _now(),
                User.is_active.is_(True),
            )
            .with_for_update(of=PasswordReset)
        )
    ).one_or_none()
    if row is None:
        return None
    reset, user = row
    token = new_token(32)
    reset.token_hash = sha256_hex(token)
    await session.flush()
    return ResetMail(
        reset_id=reset.id,
        user_id=user.id,
        email=user.email,
        name=user.name,
        locale=user.locale,
        token=token,
        expires_at=reset.expires_at,
    )


async def issue_reset_for_email(session: AsyncSession, *, email: str) -> ResetMail | None:
    """A reset and its one-time token for an active user, made by an operator (`rastro
    users reset-link`, for instances without a mail sender): no mail, no rate limit. None
    when the address has no active account."""
    user = await get_user_by_email(session, email)
    if user is None or not user.is_active:
        return None
    now = _now()
    reset = PasswordReset(
        email_hash=sha256_hex(user.email),
        user_id=user.id,
        created_at=now,
        expires_at=now + RESET_LIFETIME,
    )
    session.add(reset)
    await session.flush()
    return await issue_reset_token(session, reset_id=reset.id)


async def reset_password(session: AsyncSession, *, token: str, new_password: str) -> uuid.UUID:
    """Set the password of the token's user; returns the user's id. Raises
    `ResetTokenInvalid` for an unknown, used or expired token."""
    now = _now()
    row = (
        await session.execute(
            select(PasswordReset, User)
            .join(User, User.id == PasswordReset.user_id)
            .where(
                PasswordReset.token_hash == sha256_hex(token),
                PasswordReset.used_at.is_(None),
                PasswordReset.expires_at > now,
                User.is_active.is_(True),
            )
            .with_for_update(of=PasswordReset)
        )
    ).one_or_none()
    if row is None:
        raise errors.ResetTokenInvalid()
    reset, user = row
    user.password_hash = hash_password(new_password)
    reset.used_at = now
    # Every other pending reset of the user stops working, and every sign-in ends.
    await session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    await session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.flush()
    return user.id
