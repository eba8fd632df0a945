"""Routes of the CRM's tasks: the list (open ones first), creation, edits and deletion."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from rastro.core.deps import CrmSession, Pagination
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.pagination import Page
from rastro.core.session import TransactionalRoute
from rastro.crm import schemas
from rastro.crm.api.owners import NOT_FOUND, actor
from rastro.crm.permissions import Read, Write
from rastro.crm.service import leads, tasks

router = APIRouter(route_class=TransactionalRoute, responses={**ERROR_RESPONSES, **NOT_FOUND})


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
    names = await leads.lead_names(session, {t.lead_id for t in rows if t.lead_id})
    items = [schemas.Task.model_validate(t) for t in rows]
    for item in items:
        item.lead_name = names.get(item.lead_id) if item.lead_id else None
    return Page.of(items, total, params)


@router.post(
    "/tasks", response_model=schemas.Task, status_code=status.HTTP_201_CREATED, tags=["crm"]
)
async def create_task(
    body: schemas.TaskCreate, principal: Write, session: CrmSession
) -> schemas.Task:
    """Create a task about a lead, contact or deal."""
    task = await tasks.create_task(
        session, body, actor=await actor(session, principal), created_by_id=principal.user_id
    )
    return schemas.Task.model_validate(task)


@router.patch("/tasks/{task_id}", response_model=schemas.Task, tags=["crm"])
async def update_task(
    task_id: uuid.UUID, body: schemas.TaskUpdate, principal: Write, session: CrmSession
) -> schemas.Task:
    """Change a task; `done: true` stamps `done_at`, `done: false` clears it."""
    task = await tasks.update_task(session, task_id, body, actor=await actor(session, principal))
    return schemas.Task.model_validate(task)


@router.delete("/tasks/{task_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["crm"])
async def delete_task(task_id: uuid.UUID, principal: Write, session: CrmSession) -> Response:
    """Delete a task."""
    await tasks.delete_task(session, task_id, actor=await actor(session, principal))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
