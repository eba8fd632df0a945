"""The small interface every inbound CRM webhook provider implements, and what they share:
a provider turns a verified raw request into `InboundChange`s (read by
`rastro.integrations.service.inbound`). One module per provider beside this one."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from rastro.auth.service.credentials import ResolvedCredential

SIGNATURE_TOLERANCE_SECONDS = 300
MAX_VALUE = Decimal("1e12")


@dataclass(frozen=True)
class SignedRequest:
    """The parts of an HTTP request a provider's signature covers."""

    method: str
    url: str
    headers: Mapping[str, str]  # case-insensitive (Starlette's Headers)
    query: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class InboundChange:
    """One provider event, read into our terms (the stage still in the provider's words)."""

    event_id: str
    record_id: str | None = None
    lead_id: uuid.UUID | None = None
    email: str | None = None
    # Keys tried, in order, against the stage mapping (e.g. ["status:won"], ["12", "Proposta"]).
    stage_keys: tuple[str, ...] = ()
    value: Decimal | None = None
    currency: str | None = None
    close_date: date | None = None
    sales_rep: str | None = None
    reason: str | None = None
    deal_name: str | None = None
    # Set when the event is of no interest (another object type, a deletion): recorded as
    # `ignored` with this reason.
    ignore: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("raw")
        data["lead_id"] = str(self.lead_id) if self.lead_id else None
        data["stage_keys"] = list(self.stage_keys)
        data["value"] = str(self.value) if self.value is not None else None
        data["close_date"] = self.close_date.isoformat() if self.close_date else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InboundChange:
        return cls(
            event_id=data["event_id"],
            record_id=data.get("record_id"),
            lead_id=uuid.UUID(data["lead_id"]) if data.get("lead_id") else None,
            email=data.get("email"),
            stage_keys=tuple(data.get("stage_keys") or ()),
            value=Decimal(data["value"]) if data.get("value") is not None else None,
            currency=data.get("currency"),
            close_date=date.fromisoformat(data["close_date"]) if data.get("close_date") else None,
            sales_rep=data.get("sales_rep"),
            reason=data.get("reason"),
            deal_name=data.get("deal_name"),
            ignore=data.get("ignore"),
        )


# --- value readers (provider payloads are untrusted: a bad field is dropped, never a 500) ----


def clean_text(value: Any, limit: int = 255) -> str | None:
    """A scalar as trimmed text of at most `limit` characters; None when empty or not one."""
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text[:limit] or None


def money(value: Any) -> Decimal | None:
    """An amount in cents precision, non-negative and below `MAX_VALUE`; else None."""
    if value is None or value == "" or isinstance(value, (bool, dict, list)):
        return None
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount < 0 or amount >= MAX_VALUE:
        return None
    return amount


def currency_code(value: Any) -> str | None:
    """A three-letter currency code, upper-cased; else None."""
    text = clean_text(value, 10)
    return text.upper() if text and re.fullmatch(r"[A-Za-z]{3}", text) else None


def parse_date(value: Any) -> date | None:
    """A date from epoch milliseconds/seconds, ISO 8601 or `YYYY-MM-DD HH:MM:SS`."""
    if value is None or value == "" or isinstance(value, (bool, dict, list)):
        return None
    text = str(value).strip()
    try:
        if re.fullmatch(r"\d{10,13}", text):
            number = int(text)
            seconds = number / 1000 if len(text) == 13 else number
            return datetime.fromtimestamp(seconds, UTC).date()
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except (ValueError, OverflowError, OSError):
        return None


def first_email(value: Any) -> str | None:
    """An e-mail from a string, `{"email"|"value": ...}` or a list of those (first one)."""
    if isinstance(value, list):
        for item in value:
            found = first_email(item)
            if found:
                return found
        return None
    if isinstance(value, dict):
        return first_email(value.get("email") or value.get("value"))
    text = clean_text(value, 320)
    return text if text and "@" in text else None


def as_object(value: Any) -> dict[str, Any]:
    """The value if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


# --- the interface -----------------------------------------------------------------------------


class InboundProvider(Protocol):
    @property
    def name(self) -> str: ...

    # Whether a delivery is refused when no verifying credential is configured.
    @property
    def needs_credential(self) -> bool: ...

    @property
    def verification(self) -> str: ...

    def verify(
        self, request: SignedRequest, credential: ResolvedCredential | None, now: datetime
    ) -> None:
        """Raise `InvalidWebhookSignature` unless the raw request is authentic."""

    def parse(self, body: Any) -> list[InboundChange]:
        """The changes a verified, JSON-decoded body carries."""


def is_fresh(timestamp_seconds: float, now: datetime) -> bool:
    """A signed timestamp within `SIGNATURE_TOLERANCE_SECONDS` of now (replays refused)."""
    return abs(now.timestamp() - timestamp_seconds) <= SIGNATURE_TOLERANCE_SECONDS
