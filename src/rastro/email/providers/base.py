"""What every provider webhook becomes: delivery, open, click, bounce, complaint and
unsubscribe notices for one recipient each, naming the message by our id (`X-Rastro-Mid`,
metadata, custom args) or the provider's message id, with the provider's own event id for
de-duplication."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

NoticeKind = Literal["delivered", "open", "click", "bounce", "complaint", "unsubscribe"]


@dataclass(frozen=True)
class ProviderEvent:
    kind: NoticeKind
    external_id: str
    recipient: str | None
    message_id: uuid.UUID | None  # ours, when the provider echoes it
    provider_message_id: str | None
    occurred_at: datetime | None
    bounce_type: Literal["hard", "soft"] | None = None
    diagnostic: str | None = None
    is_machine: bool = False  # an open the provider flags as automatic (Apple MPP…)
    url: str | None = None  # a click's destination as the provider saw it


class WebhookVerificationError(Exception):
    """The signature is missing or wrong, or its timestamp is outside the accepted window."""


def fresh(timestamp: object, now: float, tolerance: float) -> bool:
    """Whether a Unix-seconds timestamp (as text or number) is within `tolerance` of now."""
    try:
        value = float(str(timestamp).strip())
    except ValueError:
        return False
    return abs(now - value) <= tolerance


def address(value: object) -> str | None:
    return value.strip().lower() if isinstance(value, str) and "@" in value else None


def parse_uuid(value: object) -> uuid.UUID | None:
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        return None


def message_id_header(value: object) -> uuid.UUID | None:
    """Our message id inside a `Message-ID: <{hex}.…@domain>` we generated."""
    if not isinstance(value, str):
        return None
    local = value.strip().strip("<>").split("@", 1)[0]
    for part in local.split("."):
        if len(part) == 32:
            found = parse_uuid(part)
            if found is not None:
                return found
    return None


def unix_time(value: object) -> datetime | None:
    """A provider's Unix-seconds event time (int or float), as an aware datetime."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None
