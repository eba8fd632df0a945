"""The click redirect's queue (CRM): each acknowledged click waits here, committed in the
redirect's one durable write, until its `click` event is stored in BI and its message's
first click time is settled (`service/click_drain.py`). Rows live for milliseconds
(the serving process drains its own clicks) or until the periodic sweep when that
process stopped first."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from rastro.core.db import CrmBase, TenantMixin


class QueuedClick(TenantMixin, CrmBase):
    """A click acknowledged (redirected) whose BI event may not be stored yet. No foreign
    keys and no index but its key: the redirect inserts one per click, the drain deletes
    it by that key; a row whose message or organization went meanwhile is drained all the
    same (BI keeps no keys to the CRM)."""

    __tablename__ = "email_click_queue"

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # its BI event's id
    organization_id: Mapped[uuid.UUID] = mapped_column()
    campaign_id: Mapped[uuid.UUID]
    message_id: Mapped[uuid.UUID]
    contact_id: Mapped[uuid.UUID]
    link_id: Mapped[int] = mapped_column(Integer)
    clicked_at: Mapped[datetime]
    user_agent: Mapped[str] = mapped_column(Text, server_default="")
