"""What stands behind one figure of a campaign's (or a sequence step's) report: the
events it counts, or the attributed leads, one row each (`service/drilldown.py`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

# The report's figures a person can open. Unique opens and clicks list each message's
# first one, as the report counts them; `leads` and `won_leads` list leads, not events.
DrillFigure = Literal[
    "sent",
    "delivered",
    "opens",
    "human_opens",
    "unique_opens",
    "clicks",
    "unique_clicks",
    "hard_bounces",
    "soft_bounces",
    "complaints",
    "unsubscribes",
    "refused",
    "leads",
    "won_leads",
]


class DrillFilters(BaseModel):
    """Narrow a figure to one UTC day (the report's days) or, for clicks, one link."""

    figure: DrillFigure
    day: date | None = None
    link_id: int | None = None


class DrillRow(BaseModel):
    """An event (`event_id` … `url`) or an attributed lead (`lead_id` … `currency`), with
    the contact it happened to."""

    occurred_at: datetime
    contact_id: uuid.UUID
    email: str
    message_id: uuid.UUID | None = None
    event_id: uuid.UUID | None = None
    type: str | None = None
    subtype: str | None = None
    is_machine: bool = False
    source: str | None = None
    link_id: int | None = None
    url: str | None = None
    lead_id: uuid.UUID | None = None
    stage: str | None = None
    value: Decimal | None = None
    currency: str | None = None
