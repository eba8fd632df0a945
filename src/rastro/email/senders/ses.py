"""Amazon SES API v2 `SendEmail` (`POST /v2/email/outbound-emails`,
docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html), signed with AWS
Signature Version 4 (`sigv4`, service `ses`). The content is the raw MIME message
(`Content.Raw.Data`, base64) — the same one the SMTP sender sends, so `X-Rastro-Mid`, our
`Message-ID` and the one-click unsubscribe headers travel as they are (the SNS
notifications carry the original headers) — with our id also as the message tag
`rastro_mid`. 200 answers `{"MessageId"}`; errors carry their type in `x-amzn-ErrorType`
(or the body's `__type`/`code`), which is what is kept (`ses_MessageRejected`)."""

from __future__ import annotations

import base64
import email.policy
from typing import Any
from urllib.parse import urlsplit

import orjson

from rastro.core.http import HttpClient
from rastro.email.senders.api import ApiSender
from rastro.email.senders.base import OutgoingMail, SendResult
from rastro.email.senders.sigv4 import AwsCredentials, sign_headers

PATH = "/v2/email/outbound-emails"


def default_url(region: str) -> str:
    return f"https://email.{region}.amazonaws.com"


def payload(mail: OutgoingMail, configuration_set: str | None) -> dict[str, Any]:
    raw = mail.mime().as_bytes(policy=email.policy.SMTP)
    body: dict[str, Any] = {
        "FromEmailAddress": mail.from_address,
        "Destination": {"ToAddresses": [mail.to]},
        "Content": {"Raw": {"Data": base64.b64encode(raw).decode()}},
        "EmailTags": [{"Name": "rastro_mid", "Value": str(mail.message_id)}],
    }
    if configuration_set:
        body["ConfigurationSetName"] = configuration_set
    return body


def error_type(headers: Any, answer: Any) -> str | None:
    kind = headers.get("x-amzn-errortype")
    if not kind and isinstance(answer, dict):
        kind = answer.get("__type") or answer.get("code") or answer.get("Code")
    return str(kind).split(":", 1)[0].rsplit("#", 1)[-1] if kind else None


class SesSender(ApiSender):
    kind = "ses"

    def __init__(
        self,
        credentials: AwsCredentials,
        *,
        region: str,
        base_url: str | None = None,
        configuration_set: str | None = None,
        **options: Any,
    ) -> None:
        super().__init__(base_url or default_url(region), **options)
        self.credentials = credentials
        self.region = region
        self.configuration_set = configuration_set
        self._host = urlsplit(self.base_url).netloc

    def __repr__(self) -> str:
        return f"SesSender(region={self.region!r}, base_url={self.base_url!r})"

    async def _send_one(self, client: HttpClient, mail: OutgoingMail) -> SendResult:
        body = orjson.dumps(payload(mail, self.configuration_set))
        headers = sign_headers(
            self.credentials,
            method="POST",
            url_host=self._host,
            path=PATH,
            body=body,
            region=self.region,
            service="ses",
            content_type="application/json",
        )
        response = await client.post(PATH, content=body, headers=headers)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.status_code == 200 and isinstance(answer, dict):
            return SendResult(mail.message_id, "sent", provider_message_id=answer.get("MessageId"))
        return self.failure(mail, response.status_code, error_type(response.headers, answer))
