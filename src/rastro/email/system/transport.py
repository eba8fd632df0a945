"""Which sender carries Rastro's own e-mails: the instance's settings decide (`MAIL_SENDER`
= `none`, `simulated` or `smtp`, with `MAIL_SMTP_*` and `MAIL_FROM_*`; see the README).
The SMTP and simulated senders are the campaigns' own classes."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from rastro.email.senders.base import MailSender, OutgoingMail
from rastro.email.senders.simulated import SimulatedSender
from rastro.email.senders.smtp import SmtpSender, SmtpSettings

KEEP_SIMULATED = 100
BULK_HEADERS = ("List-Unsubscribe", "List-Unsubscribe-Post", "Precedence")


@dataclass(frozen=True)
class TransactionalMail(OutgoingMail):
    """One of Rastro's own mails, sent to one person because of something they or an admin
    did (an invitation, a password reset): not a campaign, so no unsubscribe link and none
    of the bulk headers (`List-Unsubscribe`, `List-Unsubscribe-Post`, `Precedence: bulk`)
    that `OutgoingMail.mime` adds for campaigns."""

    unsubscribe_url: str = ""

    def mime(self) -> EmailMessage:
        message = super().mime()
        for name in BULK_HEADERS:
            del message[name]
        return message


# The simulated sender keeps what it "sent" in memory; one per process, so that tests and
# demos can read the last `KEEP_SIMULATED` mails (`simulated_outbox`).
_simulated = SimulatedSender()


def system_sender(settings: Any) -> MailSender | None:
    """The sender configured for Rastro's own mails; None when `MAIL_SENDER=none`.
    `settings` is `rastro.config.Settings`."""
    kind = settings.mail_sender
    if kind == "simulated":
        del _simulated.sent[:-KEEP_SIMULATED]
        return _simulated
    if kind == "smtp":
        password = settings.mail_smtp_password
        return SmtpSender(
            SmtpSettings(
                host=settings.mail_smtp_host,
                port=settings.mail_smtp_port,
                username=settings.mail_smtp_username or None,
                password=password.get_secret_value() if password is not None else None,
                security=settings.mail_smtp_security,
            )
        )
    return None


def simulated_outbox() -> SimulatedSender:
    """The process's simulated sender (what `MAIL_SENDER=simulated` "sent")."""
    return _simulated
