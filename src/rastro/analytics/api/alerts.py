"""Routes of alert rules and their firings: the metrics, the rules (CRUD), the history,
the open count (the dashboard's badge) and an evaluation on demand."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Response, status

from rastro.analytics import health_schemas as schemas
from rastro.analytics.health_jobs import queue_deliveries
from rastro.analytics.permissions import Admin, Read
from rastro.analytics.service import alert_rules, alerts
from rastro.auth.service import accounts
from rastro.core.deps import BiSession, CrmSession
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.session import TransactionalRoute

router = APIRouter(
    prefix="/api/analytics/alerts",
    route_class=TransactionalRoute,
    responses=ERROR_RESPONSES,
    tags=["analytics"],
)
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "Not found in the caller's organization."}
}


@router.get("/metrics", response_model=list[schemas.AlertMetric])
async def list_metrics(_: Read) -> list[schemas.AlertMetric]:
    """The metrics a rule can watch (real ROAS, real CPA, CPL, spend pace against a daily
    budget, the share of spend with no sessions), with the scopes each supports."""
    return alert_rules.list_metrics()


@router.get("/rules", response_model=list[schemas.AlertRule])
async def list_rules(_: Read, bi: BiSession) -> list[schemas.AlertRule]:
    """The organization's alert rules with their open firings."""
    return await alert_rules.list_rules(bi)


@router.post("/rules", response_model=schemas.AlertRule, status_code=status.HTTP_201_CREATED)
async def create_rule(
    body: schemas.AlertRuleIn, principal: Admin, crm: CrmSession, bi: BiSession
) -> schemas.AlertRule:
    """Add a rule; 422 for an unknown metric, a missing daily budget (spend pace), a
    campaign never imported or a credential that is not one of the organization's
    `webhook` credentials."""
    return await alert_rules.create_rule(bi, crm, principal.organization_id, body)


@router.put("/rules/{rule_id}", response_model=schemas.AlertRule, responses=NOT_FOUND)
async def update_rule(
    rule_id: uuid.UUID, body: schemas.AlertRuleIn, _: Admin, crm: CrmSession, bi: BiSession
) -> schemas.AlertRule:
    """Replace a rule's settings."""
    return await alert_rules.update_rule(bi, crm, rule_id, body)


@router.delete("/rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_rule(rule_id: uuid.UUID, _: Admin, bi: BiSession) -> Response:
    """Remove a rule; its open firings are resolved and the history stays."""
    await alert_rules.delete_rule(bi, rule_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/events", response_model=list[schemas.AlertEvent])
async def list_events(
    _: Read,
    bi: BiSession,
    status: Literal["open", "resolved"] | None = None,
    rule_id: uuid.UUID | None = None,
) -> list[schemas.AlertEvent]:
    """The firings' history (open first, then newest), each with the days' figures that
    opened it (and resolved it) and its webhook deliveries."""
    return await alert_rules.list_events(bi, status=status, rule_id=rule_id)


@router.get("/summary", response_model=schemas.AlertSummary)
async def get_summary(_: Read, bi: BiSession) -> schemas.AlertSummary:
    """How many firings are open (the dashboard's badge)."""
    return await alert_rules.summary(bi)


@router.post("/evaluate", response_model=schemas.EvaluationResult)
async def evaluate(principal: Admin, crm: CrmSession, bi: BiSession) -> schemas.EvaluationResult:
    """Evaluate the organization's rules now (the hourly job does the same) on the days up
    to yesterday; webhook deliveries are queued."""
    organization = await accounts.get_organization(crm, principal.organization_id)
    now = datetime.now(UTC)
    evaluation = await alerts.evaluate_organization(
        bi,
        organization_id=principal.organization_id,
        timezone=organization.timezone,
        currency=organization.currency,
        as_of=alerts.last_complete_day(organization.timezone, now),
        now=now,
    )
    await queue_deliveries(crm, [(principal.organization_id, d) for d in evaluation.deliveries])
    return evaluation.result
