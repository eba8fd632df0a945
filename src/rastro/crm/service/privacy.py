"""Anonymisation of the CRM's lead rows older than an organization's retention (issue 22).

A lead stays a lead (its person, stages, deals and attribution are the pipeline and the
reports); what goes is the free text it was captured with: the form's message and the
form's other fields (`metadata.form`). Idempotent.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import Scope
from rastro.crm.models import Lead

# The message is stored encrypted (`message_encrypted`, rastro.core.personal).
_MESSAGES = text(
    "UPDATE leads SET message_encrypted = NULL "
    "WHERE created_at < :cutoff AND message_encrypted IS NOT NULL"
)
# The metadata is encrypted too: the leads that still keep form fields are flagged
# (`form_fields_kept`), opened and sealed again without them, this many at a time.
FORM_BATCH = 500


async def anonymise_before(
    session: AsyncSession, scope: Scope, *, cutoff: datetime
) -> dict[str, int]:
    """Drop the free text of the scope's leads created before `cutoff` (flushed, not
    committed); returns how many leads each change touched."""
    assert scope.organization_id is not None, "anonymisation runs per organization"
    messages = await session.execute(_MESSAGES, {"cutoff": cutoff})
    return {
        "lead_messages": int(getattr(messages, "rowcount", 0) or 0),
        "lead_form_fields": await _drop_form_fields(session, cutoff=cutoff),
    }


async def _drop_form_fields(session: AsyncSession, *, cutoff: datetime) -> int:
    leads = cast(Table, Lead.__table__)  # a Core statement: executed once per batch
    write = (
        update(leads)
        .where(leads.c.lead_id == bindparam("pk"))
        .values(
            {
                leads.c.metadata_: bindparam("document", type_=leads.c.metadata_.type),
                leads.c.form_fields_kept: False,
            }
        )
    )
    done = 0
    while True:
        rows = (
            await session.execute(
                select(Lead.lead_id, Lead.metadata_)
                .where(Lead.created_at < cutoff, Lead.form_fields_kept)
                .limit(FORM_BATCH)
            )
        ).all()
        if not rows:
            return done
        await session.execute(
            write,
            [
                {"pk": lead_id, "document": {k: v for k, v in document.items() if k != "form"}}
                for lead_id, document in rows
            ],
        )
        done += len(rows)
