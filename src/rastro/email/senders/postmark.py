"""Postmark's Email API (postmarkapp.com/developer/api/email-api): `POST /email` for one
mail and `POST /email/batch` for up to 500, authenticated by `X-Postmark-Server-Token`.
Each mail carries our id in `Metadata.mid` (echoed in Postmark's webhooks), the
one-click unsubscribe headers, and goes to the `message_stream` (Postmark's `broadcast`
stream for campaigns unless the credential names another).

Postmark answers each mail with an `ErrorCode` (0: accepted, with its `MessageID`); a
batch is 200 even when some of its mails were refused. Code 429 (rate limit) and the HTTP
5xx/429 statuses are temporary; any other code fails the message (`postmark_406`: an
inactive recipient)."""

from __future__ import annotations

from typing import Any

import httpx

from rastro.core.http import HttpClient
from rastro.email.senders.api import ApiSender, unsubscribe_headers
from rastro.email.senders.base import OutgoingMail, SendResult

DEFAULT_URL = "https://api.postmarkapp.com"
BATCH_LIMIT = 500
_TEMPORARY_CODES = {100, 429}  # maintenance, rate limit


def payload(mail: OutgoingMail, stream: str) -> dict[str, Any]:
    from_name = mail.from_name.replace('"', "")
    body: dict[str, Any] = {
        "From": f'"{from_name}" <{mail.from_address}>' if from_name else mail.from_address,
        "To": mail.to,
        "Subject": mail.subject,
        "HtmlBody": mail.html,
        "TextBody": mail.text or " ",
        "Headers": [{"Name": k, "Value": v} for k, v in unsubscribe_headers(mail).items()],
        "Metadata": {"mid": str(mail.message_id)},
        "MessageStream": stream,
        "TrackOpens": False,  # Rastro's own pixel and links count opens and clicks
        "TrackLinks": "None",
    }
    if mail.reply_to:
        body["ReplyTo"] = mail.reply_to
    return body


class PostmarkSender(ApiSender):
    kind = "postmark"

    def __init__(
        self,
        server_token: str,
        *,
        base_url: str = DEFAULT_URL,
        message_stream: str = "broadcast",
        **options: Any,
    ) -> None:
        headers = {"x-postmark-server-token": server_token, "accept": "application/json"}
        super().__init__(base_url, headers=headers, **options)
        self.message_stream = message_stream

    def __repr__(self) -> str:
        return f"PostmarkSender(base_url={self.base_url!r}, stream={self.message_stream!r})"

    def _result(self, mail: OutgoingMail, status: int, answer: Any) -> SendResult:
        code = answer.get("ErrorCode") if isinstance(answer, dict) else None
        if status == 200 and code == 0:
            return SendResult(mail.message_id, "sent", provider_message_id=answer.get("MessageID"))
        if code in _TEMPORARY_CODES:
            return SendResult(mail.message_id, "retry", error=f"postmark_{code}")
        return self.failure(mail, status if status != 200 else 422, code)

    async def _send_one(self, client: HttpClient, mail: OutgoingMail) -> SendResult:
        response = await client.post("/email", json=payload(mail, self.message_stream))
        return self._result(mail, response.status_code, _json(response))

    async def send(self, mails: list[OutgoingMail]) -> list[SendResult]:
        if len(mails) <= 1:
            return await super().send(mails)
        results: list[SendResult] = []
        async with self.client() as client:
            for start in range(0, len(mails), BATCH_LIMIT):
                chunk = mails[start : start + BATCH_LIMIT]
                await self.pacer.wait()
                results.extend(await self._send_batch(client, chunk))
        return results

    async def _send_batch(self, client: HttpClient, mails: list[OutgoingMail]) -> list[SendResult]:
        body = [payload(mail, self.message_stream) for mail in mails]
        try:
            response = await client.post("/email/batch", json=body)
        except (httpx.TimeoutException, httpx.NetworkError) as error:
            return [SendResult(m.message_id, "retry", error=type(error).__name__) for m in mails]
        answers = _json(response)
        if response.status_code != 200 or not isinstance(answers, list):
            return [self._result(m, response.status_code, answers) for m in mails]
        return [
            self._result(mail, 200, answers[i] if i < len(answers) else None)
            for i, mail in enumerate(mails)
        ]


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
