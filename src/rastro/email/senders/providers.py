"""The provider API sender of a sender kind, built from its decrypted vault credential
(key, secret, base URL — the service's default unless the credential's `api_url`
overrides it — and settings)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rastro.email.senders.api import ApiSender
from rastro.email.senders.mailgun import MailgunSender
from rastro.email.senders.postmark import PostmarkSender
from rastro.email.senders.sendgrid import DEFAULT_URL as SENDGRID_URL
from rastro.email.senders.sendgrid import SendGridSender
from rastro.email.senders.ses import SesSender
from rastro.email.senders.sigv4 import AwsCredentials

API_KINDS = ("ses", "sendgrid", "postmark", "mailgun")


def api_sender(
    kind: str,
    *,
    api_key: str,
    api_secret: str | None,
    base_url: str | None,
    settings: Mapping[str, Any],
    rate_per_second: int,
) -> ApiSender:
    """One of `API_KINDS`; a missing required setting is a `ValueError`."""
    options: dict[str, Any] = {"rate_per_second": rate_per_second}
    if kind == "ses":
        region = str(settings.get("region") or "").strip()
        if not region or not api_secret:
            raise ValueError("an SES credential needs its region and secret access key")
        return SesSender(
            AwsCredentials(api_key, api_secret, settings.get("session_token") or None),
            region=region,
            base_url=base_url,
            configuration_set=settings.get("configuration_set") or None,
            **options,
        )
    if kind == "sendgrid":
        return SendGridSender(api_key, base_url=base_url or SENDGRID_URL, **options)
    if kind == "postmark":
        if base_url:
            options["base_url"] = base_url
        stream = str(settings.get("message_stream") or "broadcast")
        return PostmarkSender(api_key, message_stream=stream, **options)
    if kind == "mailgun":
        domain = str(settings.get("domain") or "").strip()
        if not domain:
            raise ValueError("a Mailgun credential needs its sending domain")
        if base_url:
            options["base_url"] = base_url
        return MailgunSender(api_key, domain=domain, **options)
    raise ValueError(f"no API sender of kind {kind}")
