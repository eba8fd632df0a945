"""Anonymisation of the CRM's lead rows older than an organization's retention (issue 22).

A lead stays a lead (its person, stages, deals and attribution are the pipeline and the
reports); what goes is the free text it was captured with: the form's message and the
form's other fields (`metadata.form`). Idempotent.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import Scope

# The message is stored encrypted (`message_encrypted`, rastro.core.personal).
_MESSAGES = text(
    "UPDATE leads SET message_encrypted = NULL "
    "WHERE created_at < :cutoff AND message_encrypted IS NOT NULL"
)
_FORM_FIELDS = text(
    "UPDATE leads SET metadata = metadata - 'form' WHERE created_at < :cutoff AND metadata ? 'form'"
)


async def anonymise_before(
    session: AsyncSession, scope: Scope, *, cutoff: datetime
) -> dict[str, int]:
    """Drop the free text of the scope's leads created before `cutoff` (flushed, not
    committed); returns how many leads each change touched."""
    assert scope.organization_id is not None, "anonymisation runs per organization"
    messages = await session.execute(_MESSAGES, {"cutoff": cutoff})
    forms = await session.execute(_FORM_FIELDS, {"cutoff": cutoff})
    return {
        "lead_messages": int(getattr(messages, "rowcount", 0) or 0),
        "lead_form_fields": int(getattr(forms, "rowcount", 0) or 0),
    }
