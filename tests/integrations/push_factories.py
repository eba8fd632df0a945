"""Factories for push tests: credentials and destinations through the API, leads in the DB,
and a job drain with fast retries."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select

from rastro.cli import build_job_app
from rastro.config import Settings
from rastro.core.db import SYSTEM, Databases, Scope
from rastro.core.jobs import JobContext, set_job_context
from rastro.crm.models import Contact, Lead
from rastro.crm.service.pipeline import StageChange, change_stage
from rastro.integrations.models import IntegrationLog
from rastro.integrations.service import destinations


async def make_credential(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    service: str,
    api_url: str,
    *,
    api_key: str = "token-0123456789abcdef",
    api_secret: str | None = None,
    settings: dict[str, Any] | None = None,
) -> str:
    response = await client.post(
        "/api/credentials",
        headers=headers,
        json={
            "name": f"{service} test",
            "service": service,
            "api_key": api_key,
            "api_secret": api_secret,
            "api_url": api_url,
            "settings": settings or {},
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def make_destination(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    integration_name: str,
    credential_id: str,
    **fields: Any,
) -> dict[str, Any]:
    response = await client.post(
        "/api/crm/destinations",
        headers=headers,
        json={
            "name": f"{integration_name} destination",
            "integration_name": integration_name,
            "credential_id": credential_id,
            **fields,
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def make_lead(
    databases: Databases,
    organization_id: uuid.UUID,
    *,
    email: str | None = "ana.souza@acme.com.br",
    name: str | None = "Ana Souza",
    company: str | None = "Acme Ltda",
    schedule: bool = True,
) -> uuid.UUID:
    """A captured lead with its attribution snapshot; schedules `lead.created` pushes."""
    async with databases.crm.transaction(Scope.organization(organization_id)) as session:
        contact = Contact(email=email, name=name, phone="+5511987654321", company=company)
        session.add(contact)
        await session.flush()
        lead = Lead(
            contact_id=contact.contact_id,
            email=email,
            name=name,
            phone="+5511987654321",
            company=company,
            lead_score="A",
            source="google",
            medium="cpc",
            campaign="black-friday",
            channel="paid_search",
            session_id="sess-1",
            visitor_id="vis-1",
            utm_tracking_id=uuid.uuid4(),
        )
        session.add(lead)
        await session.flush()
        if schedule:
            await destinations.schedule_created_pushes(session, organization_id, [lead.lead_id])
        return lead.lead_id


async def move_stage(
    databases: Databases, organization_id: uuid.UUID, lead_id: uuid.UUID, stage: str, **kw: Any
) -> None:
    async with databases.crm.transaction(Scope.organization(organization_id)) as session:
        lead = await session.get(Lead, lead_id)
        assert lead is not None
        # change_stage's listener queues the stage_changed pushes.
        await change_stage(session, lead, StageChange(stage_name=stage, changed_by="test", **kw))


async def drain(settings: Settings, databases: Databases, **overrides: Any) -> None:
    """Run the due push jobs, as `rastro worker` would; retries are immediate unless a test
    sets another base delay."""
    values: dict[str, Any] = {
        "crm_push_retry_base_seconds": 0.0,
        "crm_push_timeout_seconds": 2.0,
        **overrides,
    }
    app = build_job_app(settings)
    set_job_context(JobContext(databases=databases, settings=settings.model_copy(update=values)))
    try:
        async with app.open_async():
            await app.run_worker_async(
                queues=[destinations.PUSH_QUEUE], wait=False, install_signal_handlers=False
            )
    finally:
        set_job_context(None)


async def log_rows(databases: Databases, lead_id: uuid.UUID) -> list[IntegrationLog]:
    async with databases.crm.transaction(SYSTEM) as session:
        rows = await session.scalars(
            select(IntegrationLog)
            .where(IntegrationLog.lead_id == lead_id)
            .order_by(IntegrationLog.retry_count, IntegrationLog.created_at)
        )
        return list(rows.all())


async def get_lead(databases: Databases, lead_id: uuid.UUID) -> Lead:
    async with databases.crm.transaction(SYSTEM) as session:
        lead = await session.get(Lead, lead_id)
        assert lead is not None
        return lead
