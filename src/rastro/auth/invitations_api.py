"""Routes of invitations: an admin invites an e-mail; the person accepts or declines after
signing in, or registers with the invitation's one-time token (see `service.invitations`)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response, status

from rastro.auth import schemas
from rastro.auth.api import _client_ip, _pair, _token_settings
from rastro.auth.models import Invitation
from rastro.auth.permissions import ManageMembers, ReadMembers, SignedIn
from rastro.auth.service import accounts, invitations, sign_in
from rastro.core.db import SYSTEM, set_scope
from rastro.core.deps import CrmSession, Pagination
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.pagination import Page
from rastro.core.session import TransactionalRoute

auth_router = APIRouter(
    prefix="/api/auth/invitations",
    tags=["invitations"],
    route_class=TransactionalRoute,
    responses=ERROR_RESPONSES,
)
router = APIRouter(
    prefix="/api/members",
    tags=["members"],
    route_class=TransactionalRoute,
    responses=ERROR_RESPONSES,
)


def _invitation(invitation: Invitation) -> schemas.Invitation:
    return schemas.Invitation.model_validate(invitation)


# --- the inviting organization ------------------------------------------------------------------


@router.post("", response_model=schemas.InvitationCreated, status_code=status.HTTP_201_CREATED)
async def invite_member(
    body: schemas.MemberInvite, request: Request, principal: ManageMembers, session: CrmSession
) -> schemas.InvitationCreated:
    """Invite an e-mail with a role; the person becomes a member once they accept. The
    answer is the same whether or not the e-mail has an account. When the instance has a
    mail sender (`MAIL_SENDER`) the invitation is e-mailed (`delivery: "email"`, no token);
    otherwise the one-time token is returned once (`delivery: "link"`)."""
    by_mail = request.app.state.settings.mail_sender != "none"
    invitation, token = await invitations.invite_member(
        session,
        email=body.email,
        role=body.role,
        invited_by_id=principal.user_id,
        send_mail=by_mail,
    )
    return schemas.InvitationCreated(
        invitation=_invitation(invitation),
        delivery="email" if by_mail else "link",
        token=token,
    )


@router.get("/invitations", response_model=Page[schemas.Invitation])
async def list_invitations(
    _: ReadMembers, session: CrmSession, params: Pagination
) -> Page[schemas.Invitation]:
    """The organization's pending invitations, newest first."""
    rows, total = await invitations.list_invitations(session, params)
    return Page.of([_invitation(row) for row in rows], total, params)


@router.delete("/invitations/{invitation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_invitation(
    invitation_id: uuid.UUID, _: ManageMembers, session: CrmSession
) -> Response:
    """Withdraw a pending invitation; its token stops working."""
    await invitations.revoke_invitation(session, invitation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- the invited person -------------------------------------------------------------------------


@auth_router.get("", response_model=list[schemas.MyInvitation])
async def my_invitations(principal: SignedIn, session: CrmSession) -> list[schemas.MyInvitation]:
    """Pending invitations addressed to the signed-in user's e-mail."""
    assert principal.user_id is not None
    user = await accounts.get_user(session, principal.user_id)
    return [
        schemas.MyInvitation(
            id=invitation.id,
            organization=schemas.OrganizationRef.model_validate(organization),
            role=invitation.role,
            created_at=invitation.created_at,
            expires_at=invitation.expires_at,
        )
        for invitation, organization in await invitations.my_invitations(session, email=user.email)
    ]


@auth_router.post("/{invitation_id}/accept", response_model=schemas.OrganizationWithRole)
async def accept_invitation(
    invitation_id: uuid.UUID, principal: SignedIn, session: CrmSession
) -> schemas.OrganizationWithRole:
    """Join the inviting organization with the offered role (switch to it to work there)."""
    assert principal.user_id is not None
    user = await accounts.get_user(session, principal.user_id)
    organization = await invitations.accept_invitation(
        session, user=user, invitation_id=invitation_id
    )
    role = next(
        r
        for org, r in await accounts.organizations_of_user(session, user.id)
        if org.id == organization.id
    )
    return schemas.OrganizationWithRole(
        id=organization.id, name=organization.name, slug=organization.slug, role=role
    )


@auth_router.post("/{invitation_id}/decline", status_code=status.HTTP_204_NO_CONTENT)
async def decline_invitation(
    invitation_id: uuid.UUID, principal: SignedIn, session: CrmSession
) -> Response:
    """Decline an invitation addressed to the signed-in user."""
    assert principal.user_id is not None
    user = await accounts.get_user(session, principal.user_id)
    await invitations.decline_invitation(session, user=user, invitation_id=invitation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@auth_router.post(
    "/preview",
    response_model=schemas.InvitationPreview,
    responses={404: {"description": "No pending, unexpired invitation has this token."}},
)
async def preview_invitation(
    body: schemas.InvitationToken, session: CrmSession
) -> schemas.InvitationPreview:
    """What an invitation's one-time token offers (organization, role, invited e-mail), for
    the link's page; 404 `invitation_not_found` when unknown, answered, revoked or expired.
    The token travels in the body, never in a URL."""
    await set_scope(session, SYSTEM)
    invitation, organization = await invitations.preview_invitation(session, token=body.token)
    return schemas.InvitationPreview(
        organization=schemas.OrganizationRef.model_validate(organization),
        role=invitation.role,
        email=invitation.email,
        expires_at=invitation.expires_at,
    )


@auth_router.post("/register", response_model=schemas.TokenPair)
async def register_with_invitation(
    body: schemas.InvitationRegistration, request: Request, session: CrmSession
) -> schemas.TokenPair:
    """Create an account with an invitation's one-time token (for an e-mail without one),
    join the organization and sign in there."""
    await set_scope(session, SYSTEM)
    user, organization = await invitations.register_with_invitation(
        session, token=body.token, name=body.name, password=body.password
    )
    return _pair(
        await sign_in.open_session(
            session,
            user=user,
            organization_id=organization.id,
            ip=_client_ip(request),
            user_agent=request.headers.get("user-agent"),
            tokens=_token_settings(request),
        )
    )
