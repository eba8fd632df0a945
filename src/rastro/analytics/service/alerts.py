"""Evaluating alert rules (issue 18 part 6): each active rule on each of its last
`window_days` complete days of the organization (up to yesterday in its timezone).

A subject (the organization's totals, one campaign, or each campaign apart) fires when
the rule's metric breaches the threshold on every one of those days; a day without a value
(no spend) never breaches. A firing is opened once (`alert_events`, with the days' figures)
and stays open, without duplicates, while the condition holds; the first evaluation that
finds a day in the window not breaching resolves it (with the figures it saw). Each
transition gets a delivery per channel of its rule (`alert_deliveries`: the webhook, the
e-mail to its member recipients), sent by the queue (`alert_delivery`).

The figures per day and campaign are the Ads report's (`correlation.ads_report`, spend and
the won sales and revenue credited by the organization's Overview attribution model) and,
for the tracking-health metric, `unattributed.unreached_spend_by_campaign`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.analytics import health_schemas as schemas
from rastro.analytics.health_models import AlertDelivery, AlertEvent, AlertRule
from rastro.analytics.schemas import ReportFilters
from rastro.analytics.service import attribution, correlation, periods, rollups, unattributed
from rastro.analytics.service.alert_metrics import METRICS, SubjectDay, breaches
from rastro.analytics.service.overview import Scope
from rastro.auth.service import accounts
from rastro.core.db import SYSTEM
from rastro.core.db import Scope as TenantScope
from rastro.core.ids import uuid7
from rastro.core.units import TransactionBoundary

log = structlog.get_logger(__name__)

ALL = ""
# A delivery still pending this long after its last planned attempt is queued again.
STALE_DELIVERY = timedelta(minutes=15)


@dataclass
class Series:
    """Every subject's figures per day (subject key → day → figures)."""

    days: list[date]
    subjects: dict[str, dict[date, SubjectDay]] = field(default_factory=dict)
    names: dict[str, dict[str, Any]] = field(default_factory=dict)

    def day(self, subject: str, day: date) -> SubjectDay:
        return self.subjects.get(subject, {}).get(day) or SubjectDay(day=day)


@dataclass(frozen=True)
class Evaluation:
    result: schemas.EvaluationResult
    deliveries: list[uuid.UUID]
    opened: list[uuid.UUID]


async def _series(
    bi: AsyncSession,
    *,
    days: list[date],
    timezone: str,
    currency: str,
    with_reach: bool,
) -> Series:
    settings = await attribution.get_settings(bi)
    through = await rollups.rollup_through(bi, timezone)
    zone = ZoneInfo(timezone)
    series = Series(days=days)
    for day in days:
        scope = Scope(
            period=periods.period(day, day, zone),
            filters=ReportFilters(),
            through=through,
            timezone=timezone,
            currency=currency,
        )
        report = await correlation.ads_report(
            bi,
            scope,
            level="campaign",
            model=settings.overview_model,
            lookback_days=settings.lookback_days,
            half_life_days=settings.half_life_days,
        )
        unreached = await unattributed.unreached_spend_by_campaign(bi, scope) if with_reach else {}
        lost_total = sum((lost for _, lost in unreached.values()), Decimal(0))
        totals = report.totals
        series.subjects.setdefault(ALL, {})[day] = SubjectDay(
            day=day,
            spend=totals.spend,
            revenue=totals.real_revenue,
            won=totals.won,
            leads=totals.leads,
            spend_without_sessions=lost_total,
        )
        for row in report.rows:
            if not (row.platform and row.account_id and row.campaign_id):
                continue
            key = unattributed.campaign_key(row.platform, row.account_id, row.campaign_id)
            lost = unreached.get((row.platform, row.account_id, row.campaign_id))
            series.subjects.setdefault(key, {})[day] = SubjectDay(
                day=day,
                spend=row.figures.spend,
                revenue=row.figures.real_revenue,
                won=row.figures.won,
                leads=row.figures.leads,
                spend_without_sessions=lost[1] if lost else Decimal(0),
            )
            series.names[key] = {
                "platform": row.platform,
                "account_id": row.account_id,
                "campaign_id": row.campaign_id,
                "campaign_name": row.campaign_name,
            }
    return series


def _subject(rule: AlertRule, key: str, series: Series) -> dict[str, Any]:
    if key == ALL:
        return {"scope": "all"}
    platform, account, campaign = key.split(":", 2)
    return series.names.get(key) or {
        "platform": platform,
        "account_id": account,
        "campaign_id": campaign,
        "campaign_name": None,
    }


def _figures(rule: AlertRule, key: str, series: Series) -> tuple[bool, list[dict[str, Any]]]:
    """Whether every day of the rule's window breaches, and the days as the rule saw them."""
    metric = METRICS[rule.metric]
    window = series.days[-rule.window_days :]
    shown, breached_all = [], len(window) == rule.window_days
    for day in window:
        figures = series.day(key, day)
        value = metric.value(figures, rule.daily_budget)
        breached = breaches(value, rule.comparator, rule.threshold)
        breached_all = breached_all and breached
        shown.append(
            schemas.DayFigure(
                day=day,
                value=None if value is None or value == float("inf") else round(value, 6),
                breached=breached,
                spend=figures.spend,
                revenue=figures.revenue,
                won=figures.won,
                leads=figures.leads,
                spend_without_sessions=figures.spend_without_sessions,
            ).model_dump(mode="json")
        )
    return breached_all, shown


def _subjects(rule: AlertRule, series: Series, open_keys: set[str]) -> set[str]:
    if rule.scope == "all":
        return {ALL}
    if rule.scope == "campaign":
        return {
            unattributed.campaign_key(
                rule.platform or "", rule.account_id or "", rule.campaign_id or ""
            )
        }
    return {k for k in series.subjects if k != ALL} | open_keys


async def evaluate_organization(
    bi: AsyncSession,
    *,
    organization_id: uuid.UUID,
    timezone: str,
    currency: str,
    as_of: date,
    now: datetime | None = None,
) -> Evaluation:
    """Evaluate the organization's active rules on the days up to `as_of`."""
    now = now or datetime.now(UTC)
    rules = list(await bi.scalars(select(AlertRule).where(AlertRule.is_active)))
    rules = [r for r in rules if r.metric in METRICS]
    open_events = {
        (e.rule_id, e.subject_key): e
        for e in await bi.scalars(select(AlertEvent).where(AlertEvent.status == "open"))
    }
    # A paused rule (or one whose metric is gone) keeps no firing open.
    watched = {r.id for r in rules}
    paused = [e for (rule_id, _), e in open_events.items() if rule_id not in watched]
    for stale in paused:
        stale.status, stale.resolved_at, stale.resolved_figures = "resolved", now, []
    if not rules:
        await bi.flush()
        return Evaluation(
            schemas.EvaluationResult(opened=0, resolved=len(paused), still_open=0, as_of=as_of),
            [],
            [],
        )
    longest = max(r.window_days for r in rules)
    days = [as_of - timedelta(days=n) for n in range(longest - 1, -1, -1)]
    series = await _series(
        bi,
        days=days,
        timezone=timezone,
        currency=currency,
        with_reach=any(r.metric == "no_session_spend_share" for r in rules),
    )
    opened: list[uuid.UUID] = []
    deliveries: list[uuid.UUID] = []
    resolved = still_open = 0
    for rule in rules:
        mine = {key for (rule_id, key) in open_events if rule_id == rule.id}
        for key in sorted(_subjects(rule, series, mine)):
            breached, shown = _figures(rule, key, series)
            event = open_events.get((rule.id, key))
            if breached and event is None:
                event = AlertEvent(
                    id=uuid7(),
                    organization_id=organization_id,
                    rule_id=rule.id,
                    subject_key=key,
                    subject=_subject(rule, key, series),
                    status="open",
                    figures=shown,
                    opened_at=now,
                    last_evaluated_at=now,
                )
                bi.add(event)
                opened.append(event.id)
                deliveries += _deliver(bi, rule, event, "opened", now)
            elif breached and event is not None:
                event.last_evaluated_at = now
                still_open += 1
            elif event is not None:
                event.status, event.resolved_at = "resolved", now
                event.resolved_figures, event.last_evaluated_at = shown, now
                resolved += 1
                deliveries += _deliver(bi, rule, event, "resolved", now)
    await bi.flush()
    result = schemas.EvaluationResult(
        opened=len(opened), resolved=resolved + len(paused), still_open=still_open, as_of=as_of
    )
    return Evaluation(result, deliveries, opened)


def _deliver(
    bi: AsyncSession, rule: AlertRule, event: AlertEvent, transition: str, now: datetime
) -> list[uuid.UUID]:
    """A delivery per channel the rule has (its webhook, its e-mail recipients)."""
    channels: list[tuple[str, uuid.UUID | None]] = []
    if rule.webhook_credential_id is not None:
        channels.append(("webhook", rule.webhook_credential_id))
    if rule.email_recipients:
        channels.append(("email", None))
    ids = []
    for channel, credential_id in channels:
        delivery = AlertDelivery(
            id=uuid7(),
            organization_id=event.organization_id,
            event_id=event.id,
            rule_id=rule.id,
            transition=transition,
            channel=channel,
            credential_id=credential_id,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        bi.add(delivery)
        ids.append(delivery.id)
    return ids


def last_complete_day(timezone: str, now: datetime) -> date:
    """Yesterday in the organization's timezone (today's figures are not complete)."""
    return now.astimezone(ZoneInfo(timezone)).date() - timedelta(days=1)


@dataclass(frozen=True)
class AllEvaluated:
    # (organization, delivery) pairs to queue: new ones and pending ones left behind.
    deliveries: list[tuple[uuid.UUID, uuid.UUID]]
    # Organizations with new firings, and how many.
    opened: dict[uuid.UUID, int]


async def evaluate_all(
    crm: TransactionBoundary, bi: TransactionBoundary, *, now: datetime
) -> AllEvaluated:
    """Evaluate every organization with an active rule or an open firing (one unit of work
    each)."""
    async with bi.unit(SYSTEM) as session:
        active = await session.scalars(select(AlertRule.organization_id).where(AlertRule.is_active))
        # Organizations with an open firing too: a paused rule's firings get resolved.
        still_open = await session.scalars(
            select(AlertEvent.organization_id).where(AlertEvent.status == "open")
        )
        organizations = sorted({*active, *still_open})
    queued: list[tuple[uuid.UUID, uuid.UUID]] = []
    opened: dict[uuid.UUID, int] = {}
    for organization_id in organizations:
        scope = TenantScope.organization(organization_id)
        async with crm.unit(scope) as session:
            organization = await accounts.get_organization(session, organization_id)
            timezone, currency = organization.timezone, organization.currency
        async with bi.unit(scope) as session:
            evaluation = await evaluate_organization(
                session,
                organization_id=organization_id,
                timezone=timezone,
                currency=currency,
                as_of=last_complete_day(timezone, now),
                now=now,
            )
        queued += [(organization_id, d) for d in evaluation.deliveries]
        if evaluation.opened:
            opened[organization_id] = len(evaluation.opened)
        log.info(
            "analytics.alerts_evaluated",
            organization_id=str(organization_id),
            opened=evaluation.result.opened,
            resolved=evaluation.result.resolved,
        )
    async with bi.unit(SYSTEM) as session:
        stale = await session.execute(
            select(AlertDelivery.organization_id, AlertDelivery.id).where(
                AlertDelivery.status == "pending",
                AlertDelivery.next_attempt_at < now - STALE_DELIVERY,
            )
        )
        queued += [(row[0], row[1]) for row in stale]
    return AllEvaluated(list(dict.fromkeys(queued)), opened)
