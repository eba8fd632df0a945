"""The handlers of Rastro's own mail requests (`core.mail_requests`): one per kind.

Each runs in one CRM transaction: it mints the one-time token through auth's service,
sends the mail, and commits only after the sender accepted it. A temporary refusal (SMTP
4xx, connection lost) raises, so the transaction — with the new token — rolls back and the
job is retried; a permanent refusal (5xx) is logged and not retried. With no sender
configured (`MAIL_SENDER=none`) nothing is minted and a log line says so. Log lines name
the kind, the ids, the sender and the outcome, never the address or the token.
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog

from rastro.auth.service import invitations, password_resets
from rastro.core.db import SYSTEM
from rastro.core.jobs import JobContext
from rastro.core.mail_requests import mail_handler
from rastro.email.senders.base import MailSender, OutgoingMail
from rastro.email.service import system_mail
from rastro.email.system import templates
from rastro.email.system.transport import system_sender

log = structlog.get_logger(__name__)


class MailDeferred(Exception):
    """The sender refused for now (retried by the job)."""


def _link(settings: Any, path: str, token: str) -> str:
    """A dashboard link with the token in the fragment: browsers never send it to a server,
    so it stays out of access logs."""
    return f"{settings.public_url.rstrip('/')}{path}#{token}"


async def _send(
    sender: MailSender, mail: OutgoingMail, *, kind: str, subject_id: uuid.UUID
) -> None:
    result = await system_mail.send_with(sender, mail, kind=kind, subject_id=subject_id)
    if result.outcome == "retry":
        raise MailDeferred(result.error or "retry")


@mail_handler(invitations.MAIL_KIND)
async def send_invitation(context: JobContext, invitation_id: uuid.UUID) -> None:
    """The invitation mail: accept by registering (no account) or signing in."""
    settings = context.settings
    sender = system_sender(settings)
    if sender is None:
        system_mail.log_no_sender(invitations.MAIL_KIND, invitation_id)
        return
    async with context.databases.crm.transaction(SYSTEM) as session:
        found = await invitations.issue_invitation_token(session, invitation_id=invitation_id)
        if found is None:
            log.info("mail.skipped", kind=invitations.MAIL_KIND, subject_id=str(invitation_id))
            return
        rendered = templates.invitation(
            locale=found.locale,
            organization=found.organization_name,
            inviter=found.inviter_name,
            role=found.role,
            has_account=found.has_account,
            link=_link(settings, "/invitation", found.token),
            expires_at=found.expires_at,
        )
        mail = system_mail.transactional(settings, to=found.email, rendered=rendered)
        await _send(sender, mail, kind=invitations.MAIL_KIND, subject_id=invitation_id)


@mail_handler(password_resets.MAIL_KIND)
async def send_password_reset(context: JobContext, reset_id: uuid.UUID) -> None:
    """The password reset mail, in the user's language."""
    settings = context.settings
    sender = system_sender(settings)
    if sender is None:
        system_mail.log_no_sender(password_resets.MAIL_KIND, reset_id)
        return
    async with context.databases.crm.transaction(SYSTEM) as session:
        found = await password_resets.issue_reset_token(session, reset_id=reset_id)
        if found is None:
            log.info("mail.skipped", kind=password_resets.MAIL_KIND, subject_id=str(reset_id))
            return
        rendered = templates.password_reset(
            locale=found.locale,
            name=found.name,
            link=_link(settings, "/reset-password", found.token),
            expires_at=found.expires_at,
        )
        mail = system_mail.transactional(settings, to=found.email, rendered=rendered)
        await _send(sender, mail, kind=password_resets.MAIL_KIND, subject_id=reset_id)
