"""SendGrid's v3 Mail Send (`POST /v3/mail/send`, twilio.com/docs/sendgrid/api-reference/
mail-send): Bearer API key, one personalization per mail with our id as the custom arg
`rastro_mid` (the Event Webhook flattens it into each event) and the one-click
unsubscribe headers; 202 with the provider's id in `X-Message-Id`. Errors answer
`{"errors": [{"message", "field", "help"}]}`: the first one's field is kept with the
status (the message may quote the address)."""

from __future__ import annotations

from typing import Any

from rastro.core.http import HttpClient
from rastro.email.senders.api import ApiSender, unsubscribe_headers
from rastro.email.senders.base import OutgoingMail, SendResult

DEFAULT_URL = "https://api.sendgrid.com"


def payload(mail: OutgoingMail) -> dict[str, Any]:
    body: dict[str, Any] = {
        "personalizations": [
            {"to": [{"email": mail.to}], "custom_args": {"rastro_mid": str(mail.message_id)}}
        ],
        "from": {"email": mail.from_address, "name": mail.from_name},
        "subject": mail.subject,
        "content": [
            {"type": "text/plain", "value": mail.text or " "},
            {"type": "text/html", "value": mail.html},
        ],
        "headers": unsubscribe_headers(mail),
    }
    if mail.reply_to:
        body["reply_to"] = {"email": mail.reply_to}
    return body


class SendGridSender(ApiSender):
    kind = "sendgrid"

    def __init__(self, api_key: str, *, base_url: str = DEFAULT_URL, **options: Any) -> None:
        super().__init__(base_url, headers={"authorization": f"Bearer {api_key}"}, **options)

    def __repr__(self) -> str:
        return f"SendGridSender(base_url={self.base_url!r})"

    async def _send_one(self, client: HttpClient, mail: OutgoingMail) -> SendResult:
        response = await client.post("/v3/mail/send", json=payload(mail))
        if response.status_code in (200, 202):
            return SendResult(
                mail.message_id, "sent", provider_message_id=response.headers.get("x-message-id")
            )
        field = None
        try:
            errors = response.json().get("errors") or []
            field = errors[0].get("field") if errors else None
        except (ValueError, AttributeError):
            pass
        code = f"{response.status_code}_{field}" if field else response.status_code
        return self.failure(mail, response.status_code, code)
