"""The SMTP sender: one connection per batch (STARTTLS or implicit TLS when configured,
AUTH when a username is given), at most `rate_per_second` mails a second, each mail
DKIM-signed with its From domain's key when the organization has one. A 4xx reply is
temporary (the message stays queued and is retried), a 5xx reply fails the message.

Runs the standard library's `smtplib` in a worker thread: the protocol is the real one and
the event loop is never blocked.
"""

from __future__ import annotations

import asyncio
import email.policy
import smtplib
import ssl
import time
from dataclasses import dataclass

from rastro.email.senders import dkim
from rastro.email.senders.base import Outcome, OutgoingMail, SendResult
from rastro.email.senders.dkim import DkimKey

TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str | None
    password: str | None
    security: str  # starttls | ssl | none

    def __repr__(self) -> str:  # keep the password out of logs
        return f"SmtpSettings(host={self.host!r}, port={self.port}, security={self.security!r})"


class SmtpSender:
    kind = "smtp"

    def __init__(
        self,
        settings: SmtpSettings,
        *,
        rate_per_second: int = 10,
        dkim_keys: dict[str, DkimKey] | None = None,
    ) -> None:
        self.settings = settings
        self.rate_per_second = max(1, rate_per_second)
        self.dkim_keys = dkim_keys or {}

    def _bytes(self, mail: OutgoingMail) -> tuple[bytes, str]:
        """The message as sent (CRLF lines, DKIM-signed when its From domain has a key)
        and its Message-ID."""
        message = mail.mime()
        data = message.as_bytes(policy=email.policy.SMTP)
        key = self.dkim_keys.get(mail.from_address.rsplit("@", 1)[-1].lower())
        if key is not None:
            data = dkim.sign(data, key)
        return data, str(message["Message-ID"])

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        client: smtplib.SMTP
        if settings.security == "ssl":
            client = smtplib.SMTP_SSL(
                settings.host,
                settings.port,
                timeout=TIMEOUT_SECONDS,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS)
            client.ehlo()
            if settings.security == "starttls":
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
        if settings.username:
            client.login(settings.username, settings.password or "")
        return client

    def _send_all(self, mails: list[OutgoingMail]) -> list[SendResult]:
        results: list[SendResult] = []
        try:
            client = self._connect()
        except (OSError, smtplib.SMTPException) as error:
            return [SendResult(m.message_id, "retry", error=type(error).__name__) for m in mails]
        interval = 1.0 / self.rate_per_second
        try:
            for mail in mails:
                started = time.monotonic()
                results.append(self._send_one(client, mail))
                wait = interval - (time.monotonic() - started)
                if wait > 0:
                    time.sleep(wait)
        finally:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()
        return results

    def _send_one(self, client: smtplib.SMTP, mail: OutgoingMail) -> SendResult:
        data, message_id = self._bytes(mail)
        try:
            refused = client.sendmail(mail.from_address, [mail.to], data)
        except smtplib.SMTPRecipientsRefused as error:
            code = next(iter(error.recipients.values()))[0]
            return _refused(mail, code)
        except smtplib.SMTPResponseException as error:
            return _refused(mail, error.smtp_code)
        except (OSError, smtplib.SMTPException) as error:
            return SendResult(mail.message_id, "retry", error=type(error).__name__)
        if refused:
            return _refused(mail, next(iter(refused.values()))[0])
        return SendResult(mail.message_id, "sent", provider_message_id=message_id)

    async def send(self, mails: list[OutgoingMail]) -> list[SendResult]:
        return await asyncio.to_thread(self._send_all, mails)


def _refused(mail: OutgoingMail, code: int) -> SendResult:
    outcome: Outcome = "retry" if 400 <= code < 500 else "failed"
    return SendResult(mail.message_id, outcome, error=f"smtp_{code}")
