"""Rastro's own e-mails, for the modules above this one (an alert to the members who asked
for it): the instance's system sender (`MAIL_SENDER`) and the house layout, without the
campaigns' bulk headers.

A module composes its texts (escaped here), then calls `send_system_mail`; the outcome says
whether the sender took the mail, refused it for now (retry later), refused it for good,
or whether no sender is configured. Log lines name the kind, the ids and the outcome, never
the address.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

import structlog

from rastro.core.ids import uuid7
from rastro.email.senders.base import MailSender, OutgoingMail
from rastro.email.system import templates
from rastro.email.system.transport import TransactionalMail, system_sender

log = structlog.get_logger(__name__)

Outcome = Literal["sent", "retry", "failed", "no_sender"]


@dataclass(frozen=True)
class Notice:
    """One mail's content: plain-text paragraphs, a button to `link`, a footer."""

    locale: str | None
    subject: str
    paragraphs: list[str]
    button: str
    link: str
    footer: str


@dataclass(frozen=True)
class SystemMailResult:
    outcome: Outcome
    error: str | None = None


def language(locale: str | None) -> str:
    """The language a mail to this locale is written in (pt-BR or en)."""
    return templates.language(locale)


def is_configured(settings: Any) -> bool:
    """Whether the instance has a sender for its own mails (`MAIL_SENDER` is not `none`)."""
    return bool(settings.mail_sender != "none")


def render(notice: Notice) -> templates.Rendered:
    """The HTML (escaped, the house layout) and text parts of a notice."""
    lang = templates.language(notice.locale)
    plain = "\n\n".join([*notice.paragraphs, notice.link, notice.footer]) + "\n"
    return templates.Rendered(
        subject=notice.subject,
        html=templates.page(
            lang, notice.subject, notice.paragraphs, notice.button, notice.link, notice.footer
        ),
        text=plain,
    )


def transactional(settings: Any, *, to: str, rendered: templates.Rendered) -> OutgoingMail:
    """One of Rastro's own mails to one address, from the instance's `MAIL_FROM_*`."""
    return TransactionalMail(
        message_id=uuid7(),
        to=to,
        from_name=settings.mail_from_name,
        from_address=settings.mail_from_address,
        reply_to=None,
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
    )


def log_no_sender(kind: str, subject_id: uuid.UUID) -> None:
    log.warning(
        "mail.not_sent",
        kind=kind,
        subject_id=str(subject_id),
        reason="no_sender",
        hint="set MAIL_SENDER (smtp or simulated) to send Rastro's own e-mails",
    )


async def send_with(
    sender: MailSender, mail: OutgoingMail, *, kind: str, subject_id: uuid.UUID
) -> SystemMailResult:
    """Hand one mail to `sender` and log the outcome (ids only)."""
    (result,) = await sender.send([mail])
    fields = {
        "kind": kind,
        "subject_id": str(subject_id),
        "message_id": str(mail.message_id),
        "sender": sender.kind,
    }
    if result.outcome == "sent":
        log.info("mail.sent", **fields)
        return SystemMailResult("sent")
    if result.outcome == "retry":
        log.warning("mail.deferred", error=result.error, **fields)
        return SystemMailResult("retry", result.error or "retry")
    log.warning("mail.failed", error=result.error, **fields)
    return SystemMailResult("failed", result.error)


async def send_system_mail(
    settings: Any, notice: Notice, *, to: str, kind: str, subject_id: uuid.UUID
) -> SystemMailResult:
    """Render `notice` and send it to `to` through the instance's system sender."""
    sender = system_sender(settings)
    if sender is None:
        log_no_sender(kind, subject_id)
        return SystemMailResult("no_sender", "No sender for Rastro's own e-mails.")
    mail = transactional(settings, to=to, rendered=render(notice))
    return await send_with(sender, mail, kind=kind, subject_id=subject_id)
