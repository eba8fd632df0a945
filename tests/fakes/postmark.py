"""Postmark webhook bodies as Postmark posts them (postmarkapp.com/developer/webhooks):
Bounce, SpamComplaint and Delivery records, with the basic-auth header that Postmark
builds from credentials in the webhook URL."""

from __future__ import annotations

import base64
import itertools
import uuid
from typing import Any

_ids = itertools.count(4_323_372_036)


def basic_auth(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"authorization": f"Basic {token}"}


def bounce(*, email: str, mid: uuid.UUID, hard: bool = True) -> dict[str, Any]:
    return {
        "RecordType": "Bounce",
        "ID": next(_ids),
        "Type": "HardBounce" if hard else "SoftBounce",
        "TypeCode": 1 if hard else 4096,
        "Name": "Hard bounce" if hard else "Soft bounce",
        "Tag": "campaign",
        "MessageID": str(uuid.uuid4()),
        "Metadata": {"mid": str(mid)},
        "ServerID": 23,
        "MessageStream": "broadcast",
        "Description": "The server was unable to deliver your message",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": email,
        "From": "news@loja.com.br",
        "BouncedAt": "2026-12-06T18:01:02Z",
        "DumpAvailable": True,
        "Inactive": hard,
        "CanActivate": True,
        "Subject": "Oferta",
    }


def spam_complaint(*, email: str, mid: uuid.UUID) -> dict[str, Any]:
    record = bounce(email=email, mid=mid)
    record.update(RecordType="SpamComplaint", Type="SpamComplaint", TypeCode=512)
    return record
