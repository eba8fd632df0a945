"""Lead attribution in the BI database (seed 003 `lead_attribution`): when the CRM reports
new leads, their sessions and journeys are marked converted and each lead gets one row with
its credited touch and every touch of the person's browsers up to the conversion."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import insert_rows
from rastro.core.ids import uuid7
from rastro.tracking.models import LeadAttribution
from rastro.tracking.schemas import ConvertedLead
from rastro.tracking.schemas import LeadAttribution as LeadAttributionOut
from rastro.tracking.service import conversions


def _campaign_id(touch: Row[Any] | None) -> str:
    if touch is None:
        return "(none)"
    return touch.utm_id or touch.utm_campaign or "(none)"


def _email_message(touches: list[Row[Any]]) -> uuid.UUID | None:
    """The message of the latest e-mail click among the touches (oldest first)."""
    return next(
        (t.email_message_id for t in reversed(touches) if t.email_message_id is not None), None
    )


def _attribution(
    organization_id: uuid.UUID, lead: ConvertedLead, touches: list[Row[Any]]
) -> dict[str, Any]:
    credited = next((t for t in touches if t.tracking_id == lead.utm_tracking_id), None)
    return {
        "id": uuid7(),
        "organization_id": organization_id,
        "lead_id": lead.lead_id,
        "campaign_id": _campaign_id(credited),
        "source": credited.utm_source if credited else None,
        "medium": credited.utm_medium if credited else None,
        "utm_campaign": credited.utm_campaign if credited else None,
        "utm_content": credited.utm_content if credited else None,
        "utm_term": credited.utm_term if credited else None,
        "channel": credited.channel if credited else None,
        "session_id": lead.session_id,
        "visitor_id": lead.visitor_id,
        "utm_tracking_id": credited.tracking_id if credited else None,
        "email_message_id": _email_message(touches),
        "touchpoints": [conversions.touch_dict(t) for t in touches],
        "first_touch": touches[0].created_at if touches else None,
        "last_touch": touches[-1].created_at if touches else None,
        "conversion_date": lead.converted_at,
    }


async def record_converted_leads(
    bi: AsyncSession, organization_id: uuid.UUID, leads: Sequence[ConvertedLead]
) -> None:
    """Mark the new leads' sessions and journeys converted and write their
    `lead_attribution` rows (set-based). Idempotent: a lead's row is written once."""
    await conversions.mark_converted(bi, [lead.session_id for lead in leads if lead.session_id])
    touches = await conversions.touchpoints(
        bi, {lead.lead_id: (lead.visitor_ids, lead.converted_at) for lead in leads}
    )
    # One row per lead: a second delivery of the same leads changes nothing.
    await insert_rows(
        bi,
        LeadAttribution.__table__,
        [_attribution(organization_id, lead, touches[lead.lead_id]) for lead in leads],
        on_conflict_do_nothing=("lead_id",),
    )


async def lead_attribution(bi: AsyncSession, lead_id: uuid.UUID) -> LeadAttributionOut | None:
    """The lead's attribution row; None before the outbox has written it."""
    row = await bi.scalar(select(LeadAttribution).where(LeadAttribution.lead_id == lead_id))
    return LeadAttributionOut.model_validate(row) if row is not None else None


async def email_attributed_leads(
    bi: AsyncSession, *, since: datetime
) -> dict[uuid.UUID, uuid.UUID]:
    """The leads converted at or after `since` whose journey holds an e-mail click, each
    with the message of its latest one (`lead_attribution.email_message_id`)."""
    rows = await bi.execute(
        select(LeadAttribution.lead_id, LeadAttribution.email_message_id).where(
            LeadAttribution.conversion_date >= since,
            LeadAttribution.email_message_id.is_not(None),
        )
    )
    return {lead_id: message_id for lead_id, message_id in rows.all() if message_id is not None}


async def apply_ad_attribution(bi: AsyncSession, ads: Select) -> int:  # type: ignore[type-arg]
    """Set the platform `campaign_id`, `ad_set_id`, `ad_id`, `cpa_at_conversion` and `roas`
    of the leads in `ads` (a selectable with those columns and `lead_id`), in one UPDATE;
    rows already equal are left alone. Returns how many rows changed."""
    source = ads.subquery("ads")
    row = LeadAttribution.__table__.c
    fields = ("campaign_id", "ad_set_id", "ad_id", "cpa_at_conversion", "roas")
    result = await bi.execute(
        update(LeadAttribution)
        .where(
            row.lead_id == source.c.lead_id,
            tuple_(*(row[f] for f in fields)).is_distinct_from(
                tuple_(*(source.c[f] for f in fields))
            ),
        )
        .values({f: source.c[f] for f in fields})
    )
    return int(getattr(result, "rowcount", 0) or 0)
