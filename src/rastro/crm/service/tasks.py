"""Tasks (seed 003) about a lead, contact or deal: the list (open ones first, by due
date), creation, edits (`done` stamps `done_at`) and deletion, each on the timeline."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.ids import uuid7
from rastro.core.pagination import PageParams, paginate
from rastro.crm import schemas
from rastro.crm.models import Task
from rastro.crm.service import activities
from rastro.crm.service.records import (
    apply_changes,
    as_utc,
    check_members,
    fetch,
    plain,
    timeline_subjects,
)

_TASK_FIELDS = ("title", "description", "due_at", "assignee_id", "done")


async def list_tasks(
    session: AsyncSession,
    params: PageParams,
    *,
    assignee_id: uuid.UUID | None = None,
    done: bool | None = None,
    due_before: datetime | None = None,
    due_after: datetime | None = None,
    lead_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
    deal_id: uuid.UUID | None = None,
) -> tuple[list[Task], int]:
    """Tasks narrowed by the filters given: open ones first, by due date."""
    conditions: list[ColumnElement[bool]] = []
    for column, value in (
        (Task.assignee_id, assignee_id),
        (Task.lead_id, lead_id),
        (Task.contact_id, contact_id),
        (Task.deal_id, deal_id),
    ):
        if value is not None:
            conditions.append(column == value)
    if done is not None:
        conditions.append(Task.done.is_(done))
    if due_before is not None:
        conditions.append(Task.due_at < as_utc(due_before))
    if due_after is not None:
        conditions.append(Task.due_at >= as_utc(due_after))
    statement = (
        select(Task)
        .where(*conditions)
        .order_by(Task.done, Task.due_at.asc().nulls_last(), Task.created_at, Task.task_id)
    )
    rows, total = await paginate(session, statement, params)
    return list(rows), total


async def get_task(session: AsyncSession, task_id: uuid.UUID) -> Task:
    """One task of the organization (404 otherwise)."""
    return await fetch(session, Task, task_id, "Task")


async def create_task(
    session: AsyncSession,
    new: schemas.TaskCreate,
    *,
    actor: str,
    created_by_id: uuid.UUID | None,
) -> Task:
    """A task about a lead, contact or deal (404 for one outside the organization)."""
    await check_members(session, assignee_id=new.assignee_id)
    lead_id, contact_id = await timeline_subjects(
        session, lead_id=new.lead_id, contact_id=new.contact_id, deal_id=new.deal_id
    )
    task = Task(
        task_id=uuid7(),
        created_by_id=created_by_id,
        done=False,
        title=new.title,
        description=new.description,
        due_at=as_utc(new.due_at),
        assignee_id=new.assignee_id,
        lead_id=new.lead_id,
        contact_id=new.contact_id,
        deal_id=new.deal_id,
    )
    session.add(task)
    await session.flush()  # the timeline entry refers to it
    activities.record(
        session,
        "task_created",
        f"Task: {task.title}",
        lead_id=lead_id,
        contact_id=contact_id,
        deal_id=task.deal_id,
        actor=actor,
        data={"title": task.title, "task_id": str(task.task_id), "due_at": plain(task.due_at)},
    )
    await session.flush()
    await session.refresh(task)
    return task


async def update_task(
    session: AsyncSession, task_id: uuid.UUID, update: schemas.TaskUpdate, *, actor: str
) -> Task:
    """Change a task; `done` stamps (or clears) `done_at`."""
    task = await get_task(session, task_id)
    changes = update.model_dump(exclude_unset=True)
    if "assignee_id" in changes:
        await check_members(session, assignee_id=changes["assignee_id"])
    if "due_at" in changes:
        changes["due_at"] = as_utc(changes["due_at"])
    changed = apply_changes(task, changes, _TASK_FIELDS)
    if not changed:
        return task
    if "done" in changed:
        task.done_at = datetime.now(UTC) if task.done else None
    kind = "task_updated"
    if set(changed) == {"done"}:
        kind = "task_done" if task.done else "task_reopened"
    activities.record(
        session,
        kind,
        f"Task {'done' if kind == 'task_done' else 'changed'}: {task.title}",
        lead_id=task.lead_id,
        contact_id=task.contact_id,
        deal_id=task.deal_id,
        actor=actor,
        data={"title": task.title, "task_id": str(task.task_id), "changes": changed},
    )
    await session.flush()
    await session.refresh(task)
    return task


async def delete_task(session: AsyncSession, task_id: uuid.UUID, *, actor: str) -> None:
    """Delete a task; the timeline keeps a line."""
    task = await get_task(session, task_id)
    activities.record(
        session,
        "task_deleted",
        f"Task deleted: {task.title}",
        lead_id=task.lead_id,
        contact_id=task.contact_id,
        deal_id=task.deal_id,
        actor=actor,
        data={"title": task.title, "task_id": str(task.task_id)},
    )
    await session.delete(task)
    await session.flush()
