"""Routes of the CRM module: leads (list, detail, journey, stages, edits), the pipeline
board, contacts, deals, tasks, notes and the activity feed, under `/api`."""

from __future__ import annotations

from fastapi import APIRouter

from rastro.crm.api import contacts, deals, leads, notes, tasks

router = APIRouter(prefix="/api")
for part in (leads, contacts, deals, tasks, notes):
    router.include_router(part.router)
