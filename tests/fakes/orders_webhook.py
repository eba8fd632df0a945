"""Deliveries of Rastro's own signed orders webhook, as a checkout integrating with it
would sign them: `X-Rastro-Timestamp` and `X-Rastro-Signature` = sha256=hex(HMAC-SHA256
(secret, timestamp + "." + body))."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import orjson

from tests.fakes.pix_common import Delivery


def signed(url: str, secret: str, payload: Any, *, at: float | None = None) -> Delivery:
    body = orjson.dumps(payload)
    timestamp = str(int(at if at is not None else time.time()))
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return Delivery(
        path=url,
        headers={
            "x-rastro-timestamp": timestamp,
            "x-rastro-signature": f"sha256={digest.hexdigest()}",
        },
        body=body,
    )
