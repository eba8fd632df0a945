"""Routes of the CRM's leads: the filtered list, one lead with everything around it, its
journey, edits, stage changes, and the pipeline board."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status

from rastro.auth.service import accounts
from rastro.core.audit import LIST, READ, audited
from rastro.core.csv_export import csv_response
from rastro.core.deps import BiSession, CrmSession, Pagination
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.pagination import Page
from rastro.core.session import TransactionalRoute
from rastro.crm import schemas
from rastro.crm.api.owners import (
    NOT_FOUND,
    actor,
    contact_out,
    lead_out,
    lead_summary,
    member_ref,
    owners_of,
)
from rastro.crm.permissions import Read, Write
from rastro.crm.service import journey, leads, pipeline, records
from rastro.tracking import schemas as tracking

router = APIRouter(route_class=TransactionalRoute, responses={**ERROR_RESPONSES, **NOT_FOUND})
Text255 = Annotated[str | None, Query(max_length=255)]


async def lead_filters(
    stage: Annotated[list[schemas.Stage] | None, Query(description="Current stage; repeat")] = None,
    score: Annotated[list[schemas.Score] | None, Query(description="Lead score; repeat")] = None,
    owner_id: uuid.UUID | None = None,
    source: Text255 = None,
    medium: Text255 = None,
    campaign: Text255 = None,
    channel: Annotated[str | None, Query(max_length=40)] = None,
    domain_id: uuid.UUID | None = None,
    attribution_status: Literal["attributed", "no_session", "unknown_session"] | None = None,
    created_from: Annotated[datetime | None, Query(description="Inclusive (UTC if naive)")] = None,
    created_to: Annotated[datetime | None, Query(description="Exclusive (UTC if naive)")] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=2,
            max_length=100,
            description="Whole words of name, e-mail, company; a phone whole",
        ),
    ] = None,
) -> leads.LeadFilters:
    """The filters of the lead list and the board, from the query string."""
    return leads.LeadFilters(
        stages=stage or (),
        scores=score or (),
        owner_id=owner_id,
        source=source,
        medium=medium,
        campaign=campaign,
        channel=channel,
        domain_id=domain_id,
        attribution_status=attribution_status,
        created_from=created_from,
        created_to=created_to,
        q=q,
    )


Filters = Annotated[leads.LeadFilters, Depends(lead_filters)]


@router.get(
    "/leads",
    response_model=Page[schemas.LeadSummary],
    tags=["crm"],
    dependencies=[Depends(audited(LIST, "lead"))],
)
async def list_leads(
    _: Read,
    session: CrmSession,
    params: Pagination,
    filters: Filters,
    sort: schemas.LeadSort = "-created_at",
) -> Page[schemas.LeadSummary]:
    """Leads, filtered and paginated (newest first by default)."""
    rows, total = await leads.list_leads(session, params, filters=filters, sort=sort)
    owners = await owners_of(session, (lead.owner_id for lead in rows))
    return Page.of([lead_summary(lead, owners) for lead in rows], total, params)


@router.get("/leads/summary", response_model=schemas.LeadTotals, tags=["crm"])
async def lead_totals(principal: Read, session: CrmSession, filters: Filters) -> schemas.LeadTotals:
    """The filtered leads' count and the sum of their values, in the organization's
    currency (the list's footer)."""
    totals = await leads.lead_totals(session, filters=filters)
    organization = await accounts.get_organization(session, principal.organization_id)
    return schemas.LeadTotals(
        count=totals.count,
        value=totals.value,
        with_value=totals.with_value,
        currency=organization.currency,
    )


EXPORT_HEADER = (
    "lead_id",
    "name",
    "email",
    "phone",
    "company",
    "score",
    "stage",
    "value",
    "owner",
    "channel",
    "source",
    "medium",
    "campaign",
    "created_at",
    "stage_changed_at",
)


@router.get(
    "/leads/export",
    tags=["crm"],
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The leads as CSV"}},
)
async def export_leads(
    _: Read, session: CrmSession, filters: Filters, sort: schemas.LeadSort = "-created_at"
) -> Response:
    """Every lead the list's filters select (up to 50,000), in the list's order, as a CSV
    file (UTF-8 with a byte order mark; formula-like text cells prefixed with `'`)."""
    rows = await leads.export_leads(session, filters=filters, sort=sort)
    owners = await owners_of(session, (lead.owner_id for lead in rows))
    return csv_response(
        "leads.csv",
        EXPORT_HEADER,
        (
            (
                str(lead.lead_id),
                lead.name,
                lead.email,
                lead.phone,
                lead.company,
                lead.lead_score,
                lead.current_stage,
                lead.stage_value,
                owner.name if (owner := member_ref(owners, lead.owner_id)) else None,
                lead.channel,
                lead.source,
                lead.medium,
                lead.campaign,
                lead.created_at,
                lead.stage_changed_at,
            )
            for lead in rows
        ),
    )


@router.get(
    "/leads/{lead_id}",
    response_model=schemas.LeadDetail,
    tags=["crm"],
    dependencies=[Depends(audited(READ, "lead", "lead_id"))],
)
async def get_lead(lead_id: uuid.UUID, _: Read, session: CrmSession) -> schemas.LeadDetail:
    """A lead with its contact, stage history, deals, tasks, notes, pushes and timeline."""
    record = await leads.lead_record(session, lead_id)
    owners = await owners_of(session, [record.lead.owner_id, record.contact.owner_id])
    return schemas.LeadDetail(
        lead=lead_out(record.lead, owners),
        contact=contact_out(record.contact, owners),
        stages=[schemas.LeadStage.model_validate(s) for s in record.stages],
        deals=[schemas.Deal.model_validate(d) for d in record.deals],
        tasks=[schemas.Task.model_validate(t) for t in record.tasks],
        notes=[schemas.Note.model_validate(n) for n in record.notes],
        integrations=[schemas.IntegrationLogEntry.model_validate(i) for i in record.integrations],
        activities=[schemas.Activity.model_validate(a) for a in record.activities],
    )


@router.get("/leads/{lead_id}/journey", response_model=schemas.LeadJourney, tags=["crm"])
async def lead_journey(
    lead_id: uuid.UUID, _: Read, crm: CrmSession, bi: BiSession
) -> schemas.LeadJourney:
    """Every session of the person's browsers (identity stitching), with touches, page
    views and events, oldest first, and the lead's attribution."""
    found = await journey.lead_journey(crm, bi, lead_id)
    return schemas.LeadJourney(
        lead_id=found.lead_id,
        visitor_ids=found.visitor_ids,
        attribution=(
            schemas.LeadAttribution.model_validate(found.attribution)
            if found.attribution is not None
            else None
        ),
        sessions=[
            schemas.JourneySession(
                session=tracking.SessionSummary.of(s.session),
                touches=[tracking.Touchpoint.model_validate(t) for t in s.touches],
                page_views=[tracking.PageViewOut.model_validate(v) for v in s.page_views],
                events=[tracking.EventOut.model_validate(e) for e in s.events],
            )
            for s in found.sessions
        ],
    )


@router.patch("/leads/{lead_id}", response_model=schemas.Lead, tags=["crm"])
async def update_lead(
    lead_id: uuid.UUID, body: schemas.LeadUpdate, principal: Write, session: CrmSession
) -> schemas.Lead:
    """Change a lead's owner, external id, name, company, message or score."""
    changes = body.model_dump(exclude_unset=True)
    if "owner_id" in changes:
        await records.check_members(session, owner_id=changes["owner_id"])
    lead = await leads.update_lead(session, lead_id, changes, actor=await actor(session, principal))
    return lead_out(lead, await owners_of(session, [lead.owner_id]))


@router.get("/leads/{lead_id}/stages", response_model=list[schemas.LeadStage], tags=["crm"])
async def list_stages(lead_id: uuid.UUID, _: Read, session: CrmSession) -> list[schemas.LeadStage]:
    """A lead's stage history, oldest first."""
    return [schemas.LeadStage.model_validate(s) for s in await leads.list_stages(session, lead_id)]


@router.post(
    "/leads/{lead_id}/stages",
    response_model=schemas.StageChangeOut,
    status_code=status.HTTP_201_CREATED,
    tags=["crm"],
)
async def change_stage(
    lead_id: uuid.UUID, body: schemas.StageChangeIn, principal: Write, session: CrmSession
) -> schemas.StageChangeOut:
    """Move a lead through the pipeline: the change is appended to its history."""
    lead = await leads.get_lead(session, lead_id)
    stage = await pipeline.change_stage(
        session,
        lead,
        pipeline.StageChange(
            stage_name=body.stage_name,
            changed_by=await actor(session, principal),
            source="ui" if principal.kind == "user" else "api",
            stage_value=body.stage_value,
            probability=body.probability,
            reason=body.reason,
            close_date=body.close_date,
        ),
    )
    await session.refresh(stage)
    return schemas.StageChangeOut(
        stage=schemas.LeadStage.model_validate(stage),
        lead=lead_out(lead, await owners_of(session, [lead.owner_id])),
    )


@router.get("/pipeline", response_model=schemas.Pipeline, tags=["crm"])
async def pipeline_board(
    principal: Read,
    session: CrmSession,
    filters: Filters,
    cards: Annotated[int, Query(ge=0, le=100, description="Cards per stage")] = 20,
) -> schemas.Pipeline:
    """The board: per stage, the count, the sum of latest values and the first cards."""
    columns = await leads.pipeline(session, filters=filters, cards_per_stage=cards)
    owners = await owners_of(session, (lead.owner_id for c in columns for lead in c.cards))
    return schemas.Pipeline(
        stages=[
            schemas.PipelineColumn(
                stage=column.stage,
                count=column.count,
                value=column.value,
                cards=[
                    schemas.PipelineCard(
                        lead_id=lead.lead_id,
                        name=lead.name,
                        company=lead.company,
                        lead_score=lead.lead_score,
                        stage_value=lead.stage_value,
                        owner_id=lead.owner_id,
                        owner=member_ref(owners, lead.owner_id),
                        stage_changed_at=lead.stage_changed_at,
                        channel=lead.channel,
                        source=lead.source,
                        medium=lead.medium,
                        campaign=lead.campaign,
                    )
                    for lead in column.cards
                ],
            )
            for column in columns
        ],
        currency=(await accounts.get_organization(session, principal.organization_id)).currency,
    )
