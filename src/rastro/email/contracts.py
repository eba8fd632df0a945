"""The e-mail module's database functions, their input and output typed once:
`rastro_email_clicks()` (CRM migrations 0043, 0045 and 0047,
`migrations/crm/sql/rastro_email_clicks_v3.sql`: the click redirect's one durable write,
for a group of clicks: `service.click_writer`), `rastro_email_clicks_drained()` (CRM
migration 0047) and `rastro_email_events()` (BI migrations 0036 and 0045,
`migrations/bi/sql/rastro_email_events_v2.sql`): the queued clicks' events stored and
the queue emptied (`service.click_drain`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, TypedDict, cast

import orjson

from rastro.core.units import AutocommitCall


class EmailClick(TypedDict):
    """A click for `rastro_email_clicks()`; `event_id` is its BI event's, chosen once."""

    event_id: uuid.UUID
    organization_id: uuid.UUID
    message_id: uuid.UUID
    link_id: int
    clicked_at: datetime
    user_agent: str


class QueuedClickRow(EmailClick):
    """A row of `email_click_queue`: an acknowledged click and its message's campaign and
    recipient (what its BI event needs)."""

    campaign_id: uuid.UUID
    contact_id: uuid.UUID


class DrainedClick(TypedDict):
    """What `rastro_email_clicks_drained()` needs of a queued click."""

    event_id: uuid.UUID
    organization_id: uuid.UUID
    message_id: uuid.UUID
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


def _clicks_parameters(clicks: list[EmailClick]) -> tuple[str]:
    return (orjson.dumps(clicks).decode(),)


def _clicked(value: Any) -> list[ClickedLink | None]:
    return cast(list[ClickedLink | None], value)


def _events_parameters(events: list[EmailEventRow]) -> tuple[str]:
    return (orjson.dumps(events).decode(),)


def _drained_parameters(rows: list[DrainedClick]) -> tuple[str]:
    return (orjson.dumps(rows).decode(),)


def _stored(value: Any) -> int:
    return int(value or 0)


RASTRO_EMAIL_CLICKS: AutocommitCall[list[EmailClick], list[ClickedLink | None]] = AutocommitCall(
    "SELECT rastro_email_clicks(%s::jsonb)", _clicks_parameters, _clicked
)
RASTRO_EMAIL_EVENTS: AutocommitCall[list[EmailEventRow], int] = AutocommitCall(
    "SELECT rastro_email_events(%s::jsonb)", _events_parameters, _stored
)
# How many queued clicks were removed.
RASTRO_EMAIL_CLICKS_DRAINED: AutocommitCall[list[DrainedClick], int] = AutocommitCall(
    "SELECT rastro_email_clicks_drained(%s::jsonb)", _drained_parameters, _stored
)
