"""Typed factories for the CRM module: contacts and leads written straight through the ORM
(the capture endpoint is tested on its own), with a stage history like the pipeline's."""

from __future__ import annotations

import hashlib
import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from rastro.core.db import Databases, Scope
from rastro.core.ids import uuid7
from rastro.crm.models import Contact, Lead, LeadStage

_counter = itertools.count(1)


@dataclass(frozen=True)
class LeadRow:
    lead_id: uuid.UUID
    contact_id: uuid.UUID
    email: str
    organization_id: uuid.UUID


async def make_leads(
    databases: Databases,
    organization_id: uuid.UUID,
    count: int = 1,
    *,
    stage: str = "new",
    score: str = "B",
    owner_id: uuid.UUID | None = None,
    source: str | None = "google",
    medium: str | None = "cpc",
    campaign: str | None = "spring",
    channel: str | None = "Paid Search",
    created_at: datetime | None = None,
    stage_value: Decimal | None = None,
    visitor_id: str | None = None,
    contact_visitor_ids: Sequence[str] = (),
    **fields: Any,
) -> list[LeadRow]:
    """`count` leads, each with its own contact and one `lead_stages` row for `stage`."""
    rows: list[LeadRow] = []
    base = created_at or datetime.now(UTC)
    async with databases.crm.transaction(Scope.organization(organization_id)) as session:
        for i in range(count):
            n = next(_counter)
            email = fields.get("email") or f"lead{n}@empresa{n}.com.br"
            contact = Contact(
                contact_id=uuid7(),
                email=email,
                hashed_email=hashlib.sha256(email.encode()).hexdigest(),
                name=fields.get("name", f"Lead {n}"),
                company=fields.get("company", f"Empresa {n}"),
                phone=fields.get("phone"),
                visitor_ids=list(contact_visitor_ids),
            )
            at = base - timedelta(seconds=i)
            lead = Lead(
                lead_id=uuid7(),
                contact_id=contact.contact_id,
                email=email,
                name=contact.name,
                company=contact.company,
                phone=contact.phone,
                lead_score=score,
                current_stage=stage,
                stage_changed_at=at,
                stage_value=stage_value,
                owner_id=owner_id,
                source=source,
                medium=medium,
                campaign=campaign,
                channel=channel,
                visitor_id=visitor_id,
                created_at=at,
                **{
                    k: v
                    for k, v in fields.items()
                    if k not in ("email", "name", "company", "phone")
                },
            )
            session.add_all([contact, lead])
            await session.flush()
            session.add(
                LeadStage(
                    lead_id=lead.lead_id,
                    stage_name=stage,
                    stage_value=stage_value,
                    probability=10,
                    changed_by="system",
                    created_at=at,
                )
            )
            rows.append(LeadRow(lead.lead_id, contact.contact_id, email, organization_id))
    return rows
