"""Mailgun's Messages API (`POST /v3/{domain}/messages`, documentation.mailgun.com
api-reference Messages): HTTP basic auth `api:{key}`, a multipart/form-data body with
`h:`-prefixed headers (the one-click unsubscribe ones, `X-Rastro-Mid`) and our id as the
user variable `v:rastro_mid` (echoed as `user-variables` in Mailgun's webhooks). The EU
region is another base URL (`https://api.eu.mailgun.net`, the credential's `api_url`).
200 answers `{"id": "<…>", "message": "Queued. Thank you."}`; errors only a message, so
the status is what is kept."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from rastro.core.http import HttpClient
from rastro.email.senders.api import ApiSender, unsubscribe_headers
from rastro.email.senders.base import OutgoingMail, SendResult

DEFAULT_URL = "https://api.mailgun.net"


def fields(mail: OutgoingMail) -> dict[str, tuple[None, str]]:
    """The form fields, each as a multipart part without a file name."""
    from_name = mail.from_name.replace('"', "")
    values: dict[str, str] = {
        "from": f'"{from_name}" <{mail.from_address}>' if from_name else mail.from_address,
        "to": mail.to,
        "subject": mail.subject,
        "html": mail.html,
        "text": mail.text or " ",
        "v:rastro_mid": str(mail.message_id),
        "o:tracking": "no",  # Rastro's own pixel and links count opens and clicks
    }
    if mail.reply_to:
        values["h:Reply-To"] = mail.reply_to
    for name, value in unsubscribe_headers(mail).items():
        values[f"h:{name}"] = value
    return {name: (None, value) for name, value in values.items()}


class MailgunSender(ApiSender):
    kind = "mailgun"

    def __init__(
        self, api_key: str, *, domain: str, base_url: str = DEFAULT_URL, **options: Any
    ) -> None:
        super().__init__(base_url, **options)
        self._auth = httpx.BasicAuth("api", api_key)
        self.domain = domain

    def __repr__(self) -> str:
        return f"MailgunSender(base_url={self.base_url!r}, domain={self.domain!r})"

    async def _send_one(self, client: HttpClient, mail: OutgoingMail) -> SendResult:
        response = await client.post(
            f"/v3/{quote(self.domain, safe='')}/messages", files=fields(mail), auth=self._auth
        )
        if response.status_code == 200:
            try:
                provider_id = response.json().get("id")
            except (ValueError, AttributeError):
                provider_id = None
            return SendResult(mail.message_id, "sent", provider_message_id=provider_id)
        return self.failure(mail, response.status_code)
