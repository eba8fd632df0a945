"""The e-mail module's database functions, their input and output typed once:
`rastro_email_click()` (CRM migration 0043, `migrations/crm/sql/rastro_email_click_v1.sql`)
and `rastro_email_event()` (BI migration 0036, `migrations/bi/sql/rastro_email_event_v1.sql`),
the click redirect's two round trips."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, TypedDict, cast

import orjson

from rastro.core.units import AutocommitCall


class EmailClick(TypedDict):
    organization_id: uuid.UUID
    message_id: uuid.UUID
    link_id: int
    clicked_at: datetime


class ClickedLink(TypedDict):
    """The clicked message's campaign and recipient, the link's URL, the campaign's UTMs."""

    campaign_id: str
    contact_id: str
    url: str
    utm_source: str
    utm_campaign: str | None
    name: str


class EmailEventRow(TypedDict):
    """Every column of `email_message_events` (the function inserts them as given)."""

    event_id: uuid.UUID
    organization_id: uuid.UUID
    campaign_id: uuid.UUID
    message_id: uuid.UUID
    contact_id: uuid.UUID
    link_id: int | None
    type: str
    subtype: str | None
    is_machine: bool
    source: str
    external_id: str | None
    detail: dict[str, Any]
    occurred_at: datetime
    recorded_at: datetime


def _click_parameters(click: EmailClick) -> tuple[uuid.UUID, uuid.UUID, int, datetime]:
    return (click["organization_id"], click["message_id"], click["link_id"], click["clicked_at"])


def _clicked(value: Any) -> ClickedLink | None:
    return cast(ClickedLink | None, value)


def _event_parameters(event: EmailEventRow) -> tuple[str]:
    return (orjson.dumps(event).decode(),)


def _nothing(value: Any) -> None:
    return None


RASTRO_EMAIL_CLICK: AutocommitCall[EmailClick, ClickedLink | None] = AutocommitCall(
    "SELECT rastro_email_click(%s, %s, %s, %s)", _click_parameters, _clicked
)
RASTRO_EMAIL_EVENT: AutocommitCall[EmailEventRow, None] = AutocommitCall(
    "SELECT rastro_email_event(%s::jsonb)", _event_parameters, _nothing
)
