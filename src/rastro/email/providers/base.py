"""What every provider webhook becomes: delivery, bounce and complaint notices for one
recipient each, naming the message by our id (`X-Rastro-Mid`, metadata) or the
provider's message id, with the provider's own id for de-duplication."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

NoticeKind = Literal["delivered", "bounce", "complaint"]


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
