"""Drill-down routes: the events or leads behind one figure of a campaign's report
(`/api/email/campaigns/{id}/drill`) or of a sequence step's
(`/api/email/sequences/{id}/steps/{step}/drill`), paged or as CSV. 404 for a campaign,
sequence or step that is not the organization's; 422 for an unknown figure, or a link
with a figure other than clicks."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from rastro.core.csv_export import csv_response
from rastro.core.deps import BiSession, CrmSession, Pagination
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.pagination import Page
from rastro.core.session import TransactionalRoute
from rastro.email.drill_schemas import DrillFigure, DrillFilters, DrillRow
from rastro.email.models import Campaign
from rastro.email.permissions import Read
from rastro.email.service import campaigns, drilldown
from rastro.email.service.sequences import definitions

router = APIRouter(
    prefix="/api/email",
    tags=["email"],
    route_class=TransactionalRoute,
    responses=ERROR_RESPONSES,
)

_CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "The rows as CSV"}
}


def _filters(
    figure: Annotated[DrillFigure, Query(description="The report's figure")],
    day: Annotated[date | None, Query(description="One UTC day of the report")] = None,
    link_id: Annotated[int | None, Query(description="One link (clicks only)")] = None,
) -> DrillFilters:
    return DrillFilters(figure=figure, day=day, link_id=link_id)


Filters = Annotated[DrillFilters, Depends(_filters)]


async def _page(
    crm: CrmSession, bi: BiSession, campaign: Campaign, filters: DrillFilters, params: Pagination
) -> Page[DrillRow]:
    rows, total = await drilldown.figure_rows(
        crm, bi, campaign=campaign, filters=filters, offset=params.offset, limit=params.page_size
    )
    return Page.of(rows, total, params)


async def _csv(
    crm: CrmSession, bi: BiSession, campaign: Campaign, filters: DrillFilters
) -> Response:
    rows, _ = await drilldown.figure_rows(
        crm, bi, campaign=campaign, filters=filters, offset=0, limit=drilldown.EXPORT_LIMIT
    )
    return csv_response(
        f"email-{filters.figure}.csv",
        drilldown.EXPORT_HEADER,
        (drilldown.export_cells(row) for row in rows),
    )


@router.get("/campaigns/{campaign_id}/drill", response_model=Page[DrillRow])
async def campaign_drill(
    campaign_id: uuid.UUID,
    filters: Filters,
    _: Read,
    session: CrmSession,
    bi: BiSession,
    params: Pagination,
) -> Page[DrillRow]:
    """The events (or attributed leads) behind one figure of the report, newest first."""
    campaign = await campaigns.get_campaign(session, campaign_id=campaign_id)
    return await _page(session, bi, campaign, filters, params)


@router.get("/campaigns/{campaign_id}/drill/export", response_class=Response, responses=_CSV)
async def campaign_drill_export(
    campaign_id: uuid.UUID, filters: Filters, _: Read, session: CrmSession, bi: BiSession
) -> Response:
    """The rows behind one figure (up to 50,000, newest first) as CSV."""
    campaign = await campaigns.get_campaign(session, campaign_id=campaign_id)
    return await _csv(session, bi, campaign, filters)


@router.get("/sequences/{sequence_id}/steps/{step_id}/drill", response_model=Page[DrillRow])
async def step_drill(
    sequence_id: uuid.UUID,
    step_id: uuid.UUID,
    filters: Filters,
    _: Read,
    session: CrmSession,
    bi: BiSession,
    params: Pagination,
) -> Page[DrillRow]:
    """The events (or attributed leads) behind one figure of a step's report."""
    _step, campaign = await definitions.get_step(session, sequence_id=sequence_id, step_id=step_id)
    return await _page(session, bi, campaign, filters, params)


@router.get(
    "/sequences/{sequence_id}/steps/{step_id}/drill/export",
    response_class=Response,
    responses=_CSV,
)
async def step_drill_export(
    sequence_id: uuid.UUID,
    step_id: uuid.UUID,
    filters: Filters,
    _: Read,
    session: CrmSession,
    bi: BiSession,
) -> Response:
    """The rows behind one figure of a step's report (up to 50,000) as CSV."""
    _step, campaign = await definitions.get_step(session, sequence_id=sequence_id, step_id=step_id)
    return await _csv(session, bi, campaign, filters)
