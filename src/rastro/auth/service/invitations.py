"""Invitations: a person joins an organization only by accepting (issue 16, item 7).

An admin invites an e-mail with a role; the answer is the same whether or not the e-mail
has an account (no name, no user id, no password), so inviting reveals nothing about other
organizations' users. The invitation carries a one-time token (only its SHA-256 is stored):
- a person with an account sees the invitation after signing in and accepts or declines;
- a person without one registers with the token (name and password of their choosing),
  which accepts it.
When the instance has a mail sender (`MAIL_SENDER`), inviting asks for an `invitation`
mail (`core.mail_requests`) and nobody but the invited address gets the token: the e-mail
module mints it when it sends the mail (`issue_invitation_token`). Without a sender the
token is returned once to the admin, who passes it on; whoever holds it can register the
invited e-mail.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth import errors
from rastro.auth.models import Invitation, Membership, Organization, User
from rastro.auth.service.accounts import create_user, get_user_by_email, normalize_email
from rastro.core.db import SYSTEM, Scope, scoped
from rastro.core.mail_requests import request_mail
from rastro.core.pagination import PageParams
from rastro.core.security import new_token, sha256_hex

INVITATION_LIFETIME = timedelta(days=7)
MAIL_KIND = "invitation"


def _now() -> datetime:
    return datetime.now(UTC)


async def invite_member(
    session: AsyncSession,
    *,
    email: str,
    role: str,
    invited_by_id: uuid.UUID | None,
    send_mail: bool = False,
) -> tuple[Invitation, str | None]:
    """Invite an e-mail to the session's organization. With `send_mail` an invitation mail
    is asked for and the token is not returned (the mail carries one); otherwise returns
    the one-time token. Inviting again renews the pending invitation (new token and role)
    and, with `send_mail`, sends it again."""
    address = normalize_email(email)
    member = await session.scalar(
        select(Membership.id).join(User, User.id == Membership.user_id).where(User.email == address)
    )
    if member is not None:  # the organization's own member: nothing new is revealed
        raise errors.AlreadyMember()
    token = new_token(24)
    invitation = await session.scalar(
        select(Invitation)
        .where(Invitation.email == address, Invitation.status == "pending")
        .with_for_update()
    )
    if invitation is None:
        invitation = Invitation(email=address, status="pending")
        session.add(invitation)
    invitation.role = role
    invitation.token_hash = sha256_hex(token)
    invitation.invited_by_id = invited_by_id
    invitation.created_at = _now()
    invitation.expires_at = invitation.created_at + INVITATION_LIFETIME
    await session.flush()
    if send_mail:
        await request_mail(session, kind=MAIL_KIND, subject_id=invitation.id)
        return invitation, None
    return invitation, token


@dataclass(frozen=True)
class InvitationMail:
    """What the invitation mail needs: to whom, from which organization and person, in
    which language (the inviter's, else the organization's), and the token."""

    invitation_id: uuid.UUID
    organization_id: uuid.UUID
    email: str
    organization_name: str
    role: str
    inviter_name: str | None
    locale: str
    has_account: bool
    token: str
    expires_at: datetime


async def issue_invitation_token(
    session: AsyncSession, *, invitation_id: uuid.UUID
) -> InvitationMail | None:
    """Mint a new one-time token for a pending, unexpired invitation (the earlier one stops
    working) and return what its mail needs; None when there is nothing to send (answered,
    revoked, expired, or its organization disabled)."""
    async with scoped(session, SYSTEM):
        row = (
            await session.execute(
                select(Invitation, Organization)
                .join(Organization, Organization.id == Invitation.organization_id)
                .where(
                    Invitation.id == invitation_id,
                    Invitation.status == "pending",
                    Invitation.expires_at > _now(),
                    Organization.is_active.is_(True),
                )
                .with_for_update(of=Invitation)
            )
        ).one_or_none()
        if row is None:
            return None
        invitation, organization = row
        inviter = (
            await session.get(User, invitation.invited_by_id) if invitation.invited_by_id else None
        )
        token = new_token(24)
        invitation.token_hash = sha256_hex(token)
        await session.flush()
        has_account = await get_user_by_email(session, invitation.email) is not None
    return InvitationMail(
        invitation_id=invitation.id,
        organization_id=organization.id,
        email=invitation.email,
        organization_name=organization.name,
        role=invitation.role,
        inviter_name=inviter.name if inviter is not None else None,
        locale=inviter.locale if inviter is not None else organization.locale,
        has_account=has_account,
        token=token,
        expires_at=invitation.expires_at,
    )


async def list_invitations(
    session: AsyncSession, params: PageParams
) -> tuple[list[Invitation], int]:
    """The organization's pending invitations (expired ones included), newest first."""
    pending = Invitation.status == "pending"
    total = await session.scalar(select(func.count(Invitation.id)).where(pending))
    rows = await session.scalars(
        select(Invitation)
        .where(pending)
        .order_by(Invitation.created_at.desc(), Invitation.id)
        .limit(params.page_size)
        .offset(params.offset)
    )
    return list(rows), int(total or 0)


async def revoke_invitation(session: AsyncSession, invitation_id: uuid.UUID) -> None:
    """Withdraw a pending invitation of the organization: its token stops working."""
    invitation = await session.scalar(
        select(Invitation)
        .where(Invitation.id == invitation_id, Invitation.status == "pending")
        .with_for_update()
    )
    if invitation is None:
        raise errors.InvitationNotFound()
    invitation.status, invitation.decided_at = "revoked", _now()
    await session.flush()


async def my_invitations(
    session: AsyncSession, *, email: str
) -> list[tuple[Invitation, Organization]]:
    """The pending, unexpired invitations addressed to this e-mail, in every organization."""
    async with scoped(session, SYSTEM):
        rows = await session.execute(
            select(Invitation, Organization)
            .join(Organization, Organization.id == Invitation.organization_id)
            .where(
                Invitation.email == normalize_email(email),
                Invitation.status == "pending",
                Invitation.expires_at > _now(),
                Organization.is_active.is_(True),
            )
            .order_by(Invitation.created_at)
        )
        return [(invitation, organization) for invitation, organization in rows]


async def _open_invitation(
    session: AsyncSession, *, invitation_id: uuid.UUID, email: str
) -> Invitation:
    async with scoped(session, SYSTEM):
        invitation = await session.scalar(
            select(Invitation)
            .where(
                Invitation.id == invitation_id,
                Invitation.email == normalize_email(email),
                Invitation.status == "pending",
                Invitation.expires_at > _now(),
            )
            .with_for_update()
        )
    if invitation is None:
        raise errors.InvitationNotFound()
    return invitation


async def _join(session: AsyncSession, invitation: Invitation, user: User) -> Organization:
    """The membership the invitation offered; the invitation is accepted."""
    async with scoped(session, Scope.organization(invitation.organization_id)):
        if await session.scalar(select(Membership.id).where(Membership.user_id == user.id)):
            raise errors.AlreadyMember()
        session.add(Membership(user_id=user.id, role=invitation.role))
        organization = await session.get(Organization, invitation.organization_id)
        invitation.status, invitation.decided_at = "accepted", _now()
        await session.flush()
    assert organization is not None
    return organization


async def accept_invitation(
    session: AsyncSession, *, user: User, invitation_id: uuid.UUID
) -> Organization:
    """The signed-in user accepts an invitation addressed to their e-mail."""
    invitation = await _open_invitation(session, invitation_id=invitation_id, email=user.email)
    return await _join(session, invitation, user)


async def decline_invitation(
    session: AsyncSession, *, user: User, invitation_id: uuid.UUID
) -> None:
    """The signed-in user declines an invitation addressed to their e-mail."""
    invitation = await _open_invitation(session, invitation_id=invitation_id, email=user.email)
    async with scoped(session, SYSTEM):
        invitation.status, invitation.decided_at = "declined", _now()
        await session.flush()


async def _pending_by_token(session: AsyncSession, token: str) -> Invitation | None:
    """The pending, unexpired invitation with this token, locked (SYSTEM scope)."""
    invitation: Invitation | None = await session.scalar(
        select(Invitation)
        .where(
            Invitation.token_hash == sha256_hex(token),
            Invitation.status == "pending",
            Invitation.expires_at > _now(),
        )
        .with_for_update()
    )
    return invitation


async def preview_invitation(
    session: AsyncSession, *, token: str
) -> tuple[Invitation, Organization]:
    """The invitation a token opens and its organization (for the link's page)."""
    async with scoped(session, SYSTEM):
        invitation = await _pending_by_token(session, token)
        organization = (
            await session.get(Organization, invitation.organization_id) if invitation else None
        )
    if invitation is None or organization is None or not organization.is_active:
        raise errors.InvitationNotFound()
    return invitation, organization


async def register_with_invitation(
    session: AsyncSession, *, token: str, name: str, password: str
) -> tuple[User, Organization]:
    """A person without an account creates one with the invitation's token and joins."""
    async with scoped(session, SYSTEM):
        invitation = await _pending_by_token(session, token)
        if invitation is None:
            raise errors.InvitationNotFound()
        if await get_user_by_email(session, invitation.email) is not None:
            raise errors.SignInToAccept()
        organization = await session.get(Organization, invitation.organization_id)
        assert organization is not None
        user = await create_user(
            session,
            email=invitation.email,
            name=name,
            password=password,
            locale=organization.locale,
        )
    return user, await _join(session, invitation, user)
