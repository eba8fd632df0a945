"""What other modules read of the CRM: a lead's conversion facts (organization-scoped,
frozen) and the pipeline's stage-change event (frozen, plain values, no ORM rows)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import Scope
from rastro.crm.schemas import LeadStageChanged
from rastro.crm.service import facts, pipeline
from tests.crm.factories import make_leads

CLICKED_AT = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)
METADATA = {
    "click_ids": {"gclid": "G-1", "fbclid": "F-1", "clicked_at": CLICKED_AT.isoformat()},
    "page_url": "https://loja.example.com/oferta?x=1",
    "submitted_attribution": {"utm_content": "banner", "src": "ig"},
    "form": {"sck": "bio", "plano": "anual"},
}


async def test_conversion_facts_of_the_own_organization_only(databases, org, other_org):
    now = datetime.now(UTC)
    [older] = await make_leads(
        databases,
        org.id,
        campaign="spring",
        stage_value=Decimal("990.00"),
        utm_tracking_id=uuid.uuid4(),
        metadata_=METADATA,
        created_at=now - timedelta(days=1),
    )
    [newer] = await make_leads(databases, org.id, campaign="autumn", created_at=now)
    [theirs] = await make_leads(databases, other_org.id, campaign="spring")

    async with databases.crm.transaction(Scope.organization(org.id)) as session:
        found = await facts.get_conversion_facts(session, older.lead_id)
        assert found is not None
        assert found.lead_id == older.lead_id
        assert found.organization_id == org.id
        assert found.contact_id == older.contact_id
        assert found.email == older.email
        assert (found.source, found.medium, found.campaign) == ("google", "cpc", "spring")
        assert found.stage_value == Decimal("990.00")
        assert found.utm_tracking_id is not None
        assert found.page_url == METADATA["page_url"]
        assert dict(found.click_ids) == {"gclid": "G-1", "fbclid": "F-1"}
        assert found.clicked_at == CLICKED_AT
        assert dict(found.submitted_attribution) == METADATA["submitted_attribution"]
        assert dict(found.form_fields) == METADATA["form"]
        plain = await facts.get_conversion_facts(session, newer.lead_id)
        assert plain is not None
        assert (plain.page_url, dict(plain.click_ids), plain.clicked_at) == (None, {}, None)

        # Another organization's lead id is not found, alone or in a batch.
        assert await facts.get_conversion_facts(session, theirs.lead_id) is None
        batch = await facts.conversion_facts_of(
            session, [older.lead_id, newer.lead_id, theirs.lead_id]
        )
        assert set(batch) == {older.lead_id, newer.lead_id}
        assert await facts.conversion_facts_of(session, []) == {}
        spring = set(await session.scalars(facts.campaign_lead_ids("spring")))
        assert spring == {older.lead_id}
        assert [f.lead_id for f in await facts.leads_with_email(session)] == [
            older.lead_id,
            newer.lead_id,
        ]

    with pytest.raises(dataclasses.FrozenInstanceError):
        found.email = "someone@else.com"  # type: ignore[misc]


async def test_stage_listener_gets_a_frozen_event(client, databases, org, monkeypatch):
    [lead] = await make_leads(databases, org.id, stage_value=Decimal("100.00"))
    received: list[LeadStageChanged] = []

    async def listener(session: AsyncSession, change: LeadStageChanged) -> None:
        assert isinstance(session, AsyncSession)
        received.append(change)

    # A copy of the registry: the listener goes away with the test.
    monkeypatch.setattr(pipeline, "_listeners", [*pipeline._listeners])
    pipeline.on_stage_changed(listener)
    path = f"/api/leads/{lead.lead_id}/stages"
    first = await client.post(
        path,
        headers=org.headers,
        json={"stage_name": "proposal", "stage_value": "4999.90", "reason": "Sent"},
    )
    assert first.status_code == 201, first.text
    second = await client.post(path, headers=org.headers, json={"stage_name": "negotiation"})
    assert second.status_code == 201, second.text

    assert [type(change) for change in received] == [LeadStageChanged, LeadStageChanged]
    proposal, negotiation = received
    stage = first.json()["stage"]
    assert proposal.organization_id == org.id
    assert proposal.lead_id == lead.lead_id
    assert proposal.contact_id == lead.contact_id
    assert proposal.stage_id == uuid.UUID(stage["stage_id"])
    assert (proposal.previous_stage, proposal.stage_name) == ("new", "proposal")
    assert proposal.stage_value == proposal.lead_value == Decimal("4999.90")
    assert proposal.probability == 50
    assert proposal.changed_by == org.admin.email
    assert proposal.source == "ui"
    assert proposal.reason == "Sent"
    assert proposal.close_date is None
    assert proposal.changed_at == datetime.fromisoformat(stage["created_at"])
    # A change with no value keeps the lead's: the event says both.
    assert (negotiation.previous_stage, negotiation.stage_name) == ("proposal", "negotiation")
    assert negotiation.stage_value is None
    assert negotiation.lead_value == Decimal("4999.90")
    assert negotiation.changed_at > proposal.changed_at

    with pytest.raises(dataclasses.FrozenInstanceError):
        proposal.stage_name = "won"  # type: ignore[misc]
