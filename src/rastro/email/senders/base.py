"""The sender interface: a batch of ready-to-send mails in, one result per mail out."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Literal, Protocol

import orjson

Outcome = Literal["sent", "retry", "failed"]


@dataclass(frozen=True)
class OutgoingMail:
    message_id: uuid.UUID
    to: str
    from_name: str
    from_address: str
    reply_to: str | None
    subject: str
    html: str
    text: str
    unsubscribe_url: str | None = None  # None: a transactional mail (a double opt-in)
    unsubscribe_mailto: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def mime(self) -> EmailMessage:
        """The RFC 5322 message with our message id (`X-Rastro-Mid`, in the `Message-ID`
        and in the providers' own headers); a campaign's also carries `List-Unsubscribe`
        (https and mailto) and `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058)."""
        mail = EmailMessage()
        mail["From"] = formataddr((self.from_name, self.from_address))
        mail["To"] = self.to
        mail["Subject"] = self.subject
        if self.reply_to:
            mail["Reply-To"] = self.reply_to
        domain = self.from_address.rsplit("@", 1)[-1]
        mail["Message-ID"] = make_msgid(idstring=self.message_id.hex, domain=domain)
        mail["Date"] = formatdate(localtime=False)
        mail["X-Rastro-Mid"] = str(self.message_id)
        # Our id as the providers echo it in their webhooks: SendGrid's custom args
        # (`X-SMTPAPI`) and Mailgun's user variables; each relay strips its own header.
        mid = orjson.dumps({"rastro_mid": str(self.message_id)}).decode()
        mail["X-SMTPAPI"] = f'{{"unique_args": {mid}}}'
        mail["X-Mailgun-Variables"] = mid
        if self.unsubscribe_url:
            targets = [f"<{self.unsubscribe_url}>"]
            if self.unsubscribe_mailto:
                targets.append(f"<{self.unsubscribe_mailto}>")
            mail["List-Unsubscribe"] = ", ".join(targets)
            mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
            mail["Precedence"] = "bulk"
        for name, value in self.headers.items():
            mail[name] = value
        mail.set_content(self.text or " ")
        mail.add_alternative(self.html, subtype="html")
        return mail


@dataclass(frozen=True)
class SendResult:
    message_id: uuid.UUID
    outcome: Outcome
    provider_message_id: str | None = None
    error: str | None = None  # an SMTP code and class, never the address


class MailSender(Protocol):
    kind: str

    async def send(self, mails: list[OutgoingMail]) -> list[SendResult]: ...
