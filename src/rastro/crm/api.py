"""Routes of the CRM module: leads (list, detail, journey, stages, edits), the pipeline
board, contacts, deals, tasks, notes and the activity feed."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth.service import directory
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.pagination import Page, PageParams, page_params
from rastro.core.principal import Principal, require
from rastro.core.session import TransactionalRoute, bi_session, crm_session
from rastro.crm import permissions, schemas
from rastro.crm.models import Lead
from rastro.crm.service import (
    activities,
    contacts,
    deals,
    journey,
    leads,
    notes,
    pipeline,
    records,
    tasks,
)
from rastro.tracking import schemas as tracking

CrmSession = Annotated[AsyncSession, Depends(crm_session)]
BiSession = Annotated[AsyncSession, Depends(bi_session)]
Pagination = Annotated[PageParams, Depends(page_params)]
Read = Annotated[Principal, Depends(require(permissions.CRM_READ))]
Write = Annotated[Principal, Depends(require(permissions.CRM_WRITE))]

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "Not found in the caller's organization."}
}
router = APIRouter(
    prefix="/api",
    route_class=TransactionalRoute,
    responses={**ERROR_RESPONSES, **NOT_FOUND},
)
Text255 = Annotated[str | None, Query(max_length=255)]


async def _actor(session: AsyncSession, principal: Principal) -> str:
    return await directory.actor_label(session, kind=principal.kind, principal_id=principal.id)


def _ref(members: dict[uuid.UUID, directory.MemberRef], user_id: uuid.UUID | None) -> Any:
    member = members.get(user_id) if user_id is not None else None
    return schemas.MemberRef(id=member.id, name=member.name, email=member.email) if member else None


async def _owners(
    session: AsyncSession, user_ids: Iterable[uuid.UUID | None]
) -> dict[uuid.UUID, directory.MemberRef]:
    return await records.members(session, user_ids)


def _summary(lead: Lead, owners: dict[uuid.UUID, directory.MemberRef]) -> schemas.LeadSummary:
    out = schemas.LeadSummary.model_validate(lead)
    out.owner = _ref(owners, lead.owner_id)
    return out


def _lead(lead: Lead, owners: dict[uuid.UUID, directory.MemberRef]) -> schemas.Lead:
    out = schemas.Lead.model_validate(lead)
    out.owner = _ref(owners, lead.owner_id)
    return out


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
            min_length=2, max_length=100, description="Prefix search: name, e-mail, company, phone"
        ),
    ] = None,
) -> leads.LeadFilters:
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


# --- leads ---------------------------------------------------------------------------------------


@router.get("/leads", response_model=Page[schemas.LeadSummary], tags=["crm"])
async def list_leads(
    _: Read,
    session: CrmSession,
    params: Pagination,
    filters: Filters,
    sort: schemas.LeadSort = "-created_at",
) -> Page[schemas.LeadSummary]:
    """Leads, filtered and paginated (newest first by default)."""
    rows, total = await leads.list_leads(session, params, filters=filters, sort=sort)
    owners = await _owners(session, (lead.owner_id for lead in rows))
    return Page.of([_summary(lead, owners) for lead in rows], total, params)


@router.get("/leads/{lead_id}", response_model=schemas.LeadDetail, tags=["crm"])
async def get_lead(lead_id: uuid.UUID, _: Read, session: CrmSession) -> schemas.LeadDetail:
    """A lead with its contact, stage history, deals, tasks, notes, pushes and timeline."""
    record = await leads.lead_record(session, lead_id)
    owners = await _owners(session, [record.lead.owner_id, record.contact.owner_id])
    contact = schemas.Contact.model_validate(record.contact)
    contact.owner = _ref(owners, record.contact.owner_id)
    return schemas.LeadDetail(
        lead=_lead(record.lead, owners),
        contact=contact,
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
    lead = await leads.update_lead(
        session, lead_id, changes, actor=await _actor(session, principal)
    )
    return _lead(lead, await _owners(session, [lead.owner_id]))


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
            changed_by=await _actor(session, principal),
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
        lead=_lead(lead, await _owners(session, [lead.owner_id])),
    )


@router.get("/pipeline", response_model=schemas.Pipeline, tags=["crm"])
async def pipeline_board(
    _: Read,
    session: CrmSession,
    filters: Filters,
    cards: Annotated[int, Query(ge=0, le=100, description="Cards per stage")] = 20,
) -> schemas.Pipeline:
    """The board: per stage, the count, the sum of latest values and the first cards."""
    columns = await leads.pipeline(session, filters=filters, cards_per_stage=cards)
    owners = await _owners(session, (lead.owner_id for c in columns for lead in c.cards))
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
                        owner=_ref(owners, lead.owner_id),
                        stage_changed_at=lead.stage_changed_at,
                    )
                    for lead in column.cards
                ],
            )
            for column in columns
        ]
    )


# --- contacts ------------------------------------------------------------------------------------


def _contact(contact: Any, owners: dict[uuid.UUID, directory.MemberRef]) -> schemas.Contact:
    out = schemas.Contact.model_validate(contact)
    out.owner = _ref(owners, contact.owner_id)
    return out


@router.get("/contacts", response_model=Page[schemas.Contact], tags=["crm"])
async def list_contacts(
    _: Read,
    session: CrmSession,
    params: Pagination,
    q: Annotated[str | None, Query(min_length=2, max_length=100)] = None,
    owner_id: uuid.UUID | None = None,
) -> Page[schemas.Contact]:
    """Contacts, newest first; `q` searches name, e-mail, company and phone by prefix."""
    rows, total = await contacts.list_contacts(session, params, q=q, owner_id=owner_id)
    owners = await _owners(session, (c.owner_id for c in rows))
    return Page.of([_contact(c, owners) for c in rows], total, params)


@router.post(
    "/contacts",
    response_model=schemas.Contact,
    status_code=status.HTTP_201_CREATED,
    tags=["crm"],
)
async def create_contact(
    body: schemas.ContactCreate, principal: Write, session: CrmSession
) -> schemas.Contact:
    """Create a contact (409 when another contact has the e-mail)."""
    contact = await contacts.create_contact(session, body, actor=await _actor(session, principal))
    return _contact(contact, await _owners(session, [contact.owner_id]))


@router.get("/contacts/{contact_id}", response_model=schemas.ContactDetail, tags=["crm"])
async def get_contact(contact_id: uuid.UUID, _: Read, session: CrmSession) -> schemas.ContactDetail:
    """A contact with its leads, deals, tasks, notes and timeline."""
    record = await contacts.contact_record(session, contact_id)
    owners = await _owners(
        session, [record.contact.owner_id, *(lead.owner_id for lead in record.leads)]
    )
    return schemas.ContactDetail(
        contact=_contact(record.contact, owners),
        leads=[_summary(lead, owners) for lead in record.leads],
        deals=[schemas.Deal.model_validate(d) for d in record.deals],
        tasks=[schemas.Task.model_validate(t) for t in record.tasks],
        notes=[schemas.Note.model_validate(n) for n in record.notes],
        activities=[schemas.Activity.model_validate(a) for a in record.activities],
    )


@router.patch("/contacts/{contact_id}", response_model=schemas.Contact, tags=["crm"])
async def update_contact(
    contact_id: uuid.UUID, body: schemas.ContactUpdate, principal: Write, session: CrmSession
) -> schemas.Contact:
    """Change a contact."""
    contact = await contacts.update_contact(
        session, contact_id, body, actor=await _actor(session, principal)
    )
    return _contact(contact, await _owners(session, [contact.owner_id]))


# --- deals ---------------------------------------------------------------------------------------


@router.get("/deals", response_model=Page[schemas.Deal], tags=["crm"])
async def list_deals(
    _: Read,
    session: CrmSession,
    params: Pagination,
    stage: Annotated[list[schemas.Stage] | None, Query()] = None,
    owner_id: uuid.UUID | None = None,
    lead_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    close_from: Annotated[date | None, Query(description="Expected close date, inclusive")] = None,
    close_to: Annotated[date | None, Query(description="Expected close date, inclusive")] = None,
) -> Page[schemas.Deal]:
    """Deals, newest first."""
    rows, total = await deals.list_deals(
        session,
        params,
        stages=stage or (),
        owner_id=owner_id,
        lead_id=lead_id,
        contact_id=contact_id,
        created_from=created_from,
        created_to=created_to,
        close_from=close_from,
        close_to=close_to,
    )
    return Page.of([schemas.Deal.model_validate(d) for d in rows], total, params)


@router.post(
    "/deals", response_model=schemas.Deal, status_code=status.HTTP_201_CREATED, tags=["crm"]
)
async def create_deal(
    body: schemas.DealCreate, principal: Write, session: CrmSession
) -> schemas.Deal:
    """Open a deal for a lead and/or contact."""
    deal = await deals.create_deal(session, body, actor=await _actor(session, principal))
    return schemas.Deal.model_validate(deal)


@router.get("/deals/{deal_id}", response_model=schemas.Deal, tags=["crm"])
async def get_deal(deal_id: uuid.UUID, _: Read, session: CrmSession) -> schemas.Deal:
    """One deal."""
    return schemas.Deal.model_validate(await deals.get_deal(session, deal_id))


@router.patch("/deals/{deal_id}", response_model=schemas.Deal, tags=["crm"])
async def update_deal(
    deal_id: uuid.UUID, body: schemas.DealUpdate, principal: Write, session: CrmSession
) -> schemas.Deal:
    """Change a deal's stage, value, probability, owner or expected close date."""
    deal = await deals.update_deal(session, deal_id, body, actor=await _actor(session, principal))
    return schemas.Deal.model_validate(deal)


@router.delete("/deals/{deal_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["crm"])
async def delete_deal(deal_id: uuid.UUID, principal: Write, session: CrmSession) -> Response:
    """Delete a deal with its tasks and notes."""
    await deals.delete_deal(session, deal_id, actor=await _actor(session, principal))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- tasks ---------------------------------------------------------------------------------------


@router.get("/tasks", response_model=Page[schemas.Task], tags=["crm"])
async def list_tasks(
    _: Read,
    session: CrmSession,
    params: Pagination,
    assignee_id: uuid.UUID | None = None,
    done: bool | None = None,
    due_before: Annotated[datetime | None, Query(description="Exclusive")] = None,
    due_after: Annotated[datetime | None, Query(description="Inclusive")] = None,
    lead_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
    deal_id: uuid.UUID | None = None,
) -> Page[schemas.Task]:
    """Tasks: open ones first, by due date."""
    rows, total = await tasks.list_tasks(
        session,
        params,
        assignee_id=assignee_id,
        done=done,
        due_before=due_before,
        due_after=due_after,
        lead_id=lead_id,
        contact_id=contact_id,
        deal_id=deal_id,
    )
    return Page.of([schemas.Task.model_validate(t) for t in rows], total, params)


@router.post(
    "/tasks", response_model=schemas.Task, status_code=status.HTTP_201_CREATED, tags=["crm"]
)
async def create_task(
    body: schemas.TaskCreate, principal: Write, session: CrmSession
) -> schemas.Task:
    """Create a task about a lead, contact or deal."""
    task = await tasks.create_task(
        session, body, actor=await _actor(session, principal), created_by_id=principal.user_id
    )
    return schemas.Task.model_validate(task)


@router.patch("/tasks/{task_id}", response_model=schemas.Task, tags=["crm"])
async def update_task(
    task_id: uuid.UUID, body: schemas.TaskUpdate, principal: Write, session: CrmSession
) -> schemas.Task:
    """Change a task; `done: true` stamps `done_at`, `done: false` clears it."""
    task = await tasks.update_task(session, task_id, body, actor=await _actor(session, principal))
    return schemas.Task.model_validate(task)


@router.delete("/tasks/{task_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["crm"])
async def delete_task(task_id: uuid.UUID, principal: Write, session: CrmSession) -> Response:
    """Delete a task."""
    await tasks.delete_task(session, task_id, actor=await _actor(session, principal))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- notes ---------------------------------------------------------------------------------------


@router.get("/notes", response_model=Page[schemas.Note], tags=["crm"])
async def list_notes(
    _: Read,
    session: CrmSession,
    params: Pagination,
    lead_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
    deal_id: uuid.UUID | None = None,
) -> Page[schemas.Note]:
    """Notes of a lead, contact or deal, newest first."""
    rows, total = await notes.list_notes(
        session, params, lead_id=lead_id, contact_id=contact_id, deal_id=deal_id
    )
    return Page.of([schemas.Note.model_validate(n) for n in rows], total, params)


@router.post(
    "/notes", response_model=schemas.Note, status_code=status.HTTP_201_CREATED, tags=["crm"]
)
async def create_note(
    body: schemas.NoteCreate, principal: Write, session: CrmSession
) -> schemas.Note:
    """Add a note to a lead, contact or deal."""
    note = await notes.create_note(
        session, body, actor=await _actor(session, principal), author_id=principal.user_id
    )
    return schemas.Note.model_validate(note)


@router.delete("/notes/{note_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["crm"])
async def delete_note(note_id: uuid.UUID, principal: Write, session: CrmSession) -> Response:
    """Delete a note (its author, or a manager)."""
    await notes.delete_note(
        session,
        note_id,
        actor=await _actor(session, principal),
        user_id=principal.user_id,
        may_delete_any=principal.can(permissions.CRM_ADMIN),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- activities ----------------------------------------------------------------------------------


@router.get("/activities", response_model=Page[schemas.Activity], tags=["crm"])
async def list_activities(
    _: Read,
    session: CrmSession,
    params: Pagination,
    lead_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
    deal_id: uuid.UUID | None = None,
) -> Page[schemas.Activity]:
    """The timeline of a lead, contact or deal (or the organization's), newest first."""
    rows, total = await activities.list_activities(
        session, params, lead_id=lead_id, contact_id=contact_id, deal_id=deal_id
    )
    return Page.of([schemas.Activity.model_validate(a) for a in rows], total, params)
