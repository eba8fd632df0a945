"""The organization's alert rules (create, change, remove, list) and their firings'
history (list, the open count for the dashboard's badge)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.analytics import health_schemas as schemas
from rastro.analytics.ad_models import AdCampaign
from rastro.analytics.health_models import AlertDelivery, AlertEvent, AlertRule
from rastro.analytics.service.alert_metrics import METRICS
from rastro.auth.service import accounts, credentials
from rastro.core.errors import NotFound, field_error
from rastro.core.ids import uuid7
from rastro.core.references import UnknownReference

WEBHOOK_SERVICE = "webhook"
EVENTS_LIMIT = 500


def list_metrics() -> list[schemas.AlertMetric]:
    """The metrics a rule can watch."""
    return [
        schemas.AlertMetric(
            name=m.name, unit=m.unit, scopes=list(m.scopes), needs_budget=m.needs_budget
        )
        for m in METRICS.values()
    ]


async def _checked(
    bi: AsyncSession, crm: AsyncSession, body: schemas.AlertRuleIn
) -> dict[str, Any]:
    """The rule's columns after the checks that need data (422 otherwise)."""
    metric = METRICS.get(body.metric)
    if metric is None:
        raise field_error("body.metric", f"one of {sorted(METRICS)}", kind="enum")
    if body.scope not in metric.scopes:
        raise field_error("body.scope", f"one of {list(metric.scopes)} for {metric.name}")
    if metric.needs_budget and body.daily_budget is None:
        raise field_error("body.daily_budget", f"required by {metric.name}", kind="missing")
    account = body.account_id
    if body.scope == "campaign":
        query = select(AdCampaign.account_id).where(
            AdCampaign.platform == body.platform, AdCampaign.campaign_id == body.campaign_id
        )
        if account is not None:
            query = query.where(AdCampaign.account_id == account)
        found = list(await bi.scalars(query))
        if not found:
            raise field_error("body.campaign_id", "an imported campaign of this platform")
        if len(found) > 1:
            raise field_error("body.account_id", "the campaign id is in several accounts")
        account = found[0]
    if body.webhook_credential_id is not None:
        try:
            credential = await credentials.get_credential(crm, body.webhook_credential_id)
        except NotFound:
            raise UnknownReference(
                field="webhook_credential_id", key=body.webhook_credential_id
            ) from None
        if credential.service != WEBHOOK_SERVICE:
            raise field_error("body.webhook_credential_id", "a credential of the 'webhook' service")
    recipients = list(dict.fromkeys(body.email_recipients))
    members = {m.user_id for m in await accounts.member_contacts(crm, recipients)}
    for index, user_id in enumerate(recipients):
        if user_id not in members:
            raise UnknownReference(field=f"email_recipients.{index}", key=user_id)
    return {
        "name": body.name,
        "metric": body.metric,
        "comparator": body.comparator,
        "threshold": body.threshold,
        "window_days": body.window_days,
        "scope": body.scope,
        "platform": body.platform,
        "account_id": account,
        "campaign_id": body.campaign_id,
        "daily_budget": body.daily_budget if metric.needs_budget else None,
        "webhook_credential_id": body.webhook_credential_id,
        "email_recipients": recipients,
        "is_active": body.is_active,
    }


async def _open_counts(bi: AsyncSession) -> dict[uuid.UUID, int]:
    rows = await bi.execute(
        select(AlertEvent.rule_id, func.count())
        .where(AlertEvent.status == "open")
        .group_by(AlertEvent.rule_id)
    )
    return {rule_id: count for rule_id, count in rows}


def _rule_out(rule: AlertRule, open_alerts: int = 0) -> schemas.AlertRule:
    return schemas.AlertRule.model_validate(rule).model_copy(update={"open_alerts": open_alerts})


async def list_rules(bi: AsyncSession) -> list[schemas.AlertRule]:
    """The organization's rules with their open firings."""
    counts = await _open_counts(bi)
    rules = await bi.scalars(select(AlertRule).order_by(AlertRule.created_at, AlertRule.id))
    return [_rule_out(rule, counts.get(rule.id, 0)) for rule in rules]


async def create_rule(
    bi: AsyncSession, crm: AsyncSession, organization_id: uuid.UUID, body: schemas.AlertRuleIn
) -> schemas.AlertRule:
    """Add a rule (422 for an unknown metric, a missing budget, a campaign never imported
    or a credential that is not one of the organization's webhooks)."""
    rule = AlertRule(id=uuid7(), organization_id=organization_id, **await _checked(bi, crm, body))
    bi.add(rule)
    await bi.flush()
    await bi.refresh(rule)
    return _rule_out(rule)


async def _rule(bi: AsyncSession, rule_id: uuid.UUID) -> AlertRule:
    rule = await bi.get(AlertRule, rule_id)
    if rule is None:
        raise NotFound("Alert rule not found.")
    return rule


async def update_rule(
    bi: AsyncSession, crm: AsyncSession, rule_id: uuid.UUID, body: schemas.AlertRuleIn
) -> schemas.AlertRule:
    """Replace a rule's settings; its open firings resolve at the next evaluation if the
    new settings no longer breach."""
    rule = await _rule(bi, rule_id)
    for name, value in (await _checked(bi, crm, body)).items():
        setattr(rule, name, value)
    rule.updated_at = datetime.now(UTC)
    await bi.flush()
    await bi.refresh(rule)
    return _rule_out(rule, (await _open_counts(bi)).get(rule.id, 0))


async def delete_rule(bi: AsyncSession, rule_id: uuid.UUID) -> None:
    """Remove a rule; its open firings are resolved (the history stays)."""
    rule = await _rule(bi, rule_id)
    now = datetime.now(UTC)
    for event in await bi.scalars(
        select(AlertEvent).where(AlertEvent.rule_id == rule_id, AlertEvent.status == "open")
    ):
        event.status, event.resolved_at, event.resolved_figures = "resolved", now, []
    await bi.delete(rule)
    await bi.flush()


async def list_events(
    bi: AsyncSession, *, status: str | None = None, rule_id: uuid.UUID | None = None
) -> list[schemas.AlertEvent]:
    """The firings, newest first (open ones first), with their rule and deliveries."""
    query = select(AlertEvent).order_by(
        (AlertEvent.status == "open").desc(), AlertEvent.opened_at.desc(), AlertEvent.id
    )
    if status is not None:
        query = query.where(AlertEvent.status == status)
    if rule_id is not None:
        query = query.where(AlertEvent.rule_id == rule_id)
    events = list(await bi.scalars(query.limit(EVENTS_LIMIT)))
    rules = {r.id: r for r in await bi.scalars(select(AlertRule))}
    deliveries: dict[uuid.UUID, list[dict[str, Any]]] = {}
    if events:
        for delivery in await bi.scalars(
            select(AlertDelivery)
            .where(AlertDelivery.event_id.in_([e.id for e in events]))
            .order_by(AlertDelivery.created_at)
        ):
            deliveries.setdefault(delivery.event_id, []).append(
                {
                    "transition": delivery.transition,
                    "channel": delivery.channel,
                    "status": delivery.status,
                    "attempts": delivery.attempts,
                    "http_status": delivery.http_status,
                    "error": delivery.error,
                    "delivered_at": delivery.delivered_at,
                }
            )
    out = []
    for event in events:
        rule = rules.get(event.rule_id)
        out.append(
            schemas.AlertEvent.model_validate(event).model_copy(
                update={
                    "rule_name": rule.name if rule else None,
                    "metric": rule.metric if rule else None,
                    "comparator": rule.comparator if rule else None,
                    "threshold": rule.threshold if rule else None,
                    "deliveries": deliveries.get(event.id, []),
                }
            )
        )
    return out


async def summary(bi: AsyncSession) -> schemas.AlertSummary:
    """How many firings are open (the badge)."""
    count = await bi.scalar(select(func.count()).where(AlertEvent.status == "open"))
    return schemas.AlertSummary(open=count or 0)
