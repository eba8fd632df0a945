"""Cohorts, LTV and payback: leads grouped by the month (or week) of their person's first
touch, optionally by that touch's channel or campaign, with their won revenue accumulated
over the following months (weeks).

- A lead's first touch is the earliest touch of its visitors (`conversion_facts.visitor_ids`)
  up to the lead's creation, however old; a lead without any touch falls in the cohort of
  its creation, with its credited channel and campaign.
- The cohort's start is the organization's calendar month (or ISO week, from Monday) of
  that moment; the report's period selects the leads whose moment falls in it (the first
  and last cohorts may be partial).
- Customers are the distinct contacts of the cohort's won leads; a repeat customer has more
  than one won lead in the cohort.
- Revenue is won revenue in the organization's currency, at the age (whole months or weeks
  after the cohort's start, in the organization's days) of its won move; the LTV curve runs
  from age 0 to the current age. Other currencies are left out and listed.
- CAC and payback need ad spend (issue #18): null with the reason `no_spend_data`.
"""

from __future__ import annotations

import uuid
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Numeric, Text, Uuid, cast, func, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from rastro.analytics import schemas
from rastro.analytics.models import ConversionFact
from rastro.analytics.service import filters as report_filters
from rastro.analytics.service import first_touches
from rastro.analytics.service.overview import Scope, ratio, report_range
from rastro.crm.service import facts as crm_facts

TOUCH_DIMENSIONS = first_touches.DIMENSIONS
KEYS: dict[str, str | None] = {"none": None, "channel": "channel", "campaign": "campaign"}


def cohort_leads(scope: Scope) -> Any:
    """The leads whose first touch (or creation) falls in the period, with the cohort's
    moment (`cohort_at`), the first touch's dimensions and the lead's outcome."""
    f = ConversionFact
    leads = first_touches.with_first_touch(
        scope.period.start,
        f.lead_id,
        f.created_at,
        f.domain_id,
        f.landing_page_id,
        f.term,
        f.device,
        f.won_at,
        f.revenue,
        f.currency,
    ).subquery("touched_leads")
    return (
        select(
            leads.c.lead_id,
            func.coalesce(leads.c.touched_at, leads.c.created_at).label("cohort_at"),
            *(leads.c[d] for d in TOUCH_DIMENSIONS),
            *(leads.c[c] for c in ("domain_id", "landing_page_id", "term", "device")),
            *(leads.c[c] for c in ("won_at", "revenue", "currency")),
        )
        # Read by both halves of the report's one statement: worked out once.
        .cte("cohort_leads")
    )


def _start(scope: Scope, unit: str, moment: Any) -> ColumnElement[date]:
    return cast(func.date_trunc(unit, func.timezone(scope.timezone, moment)), Date)


def age(start: date, moment: date, period: schemas.CohortPeriod) -> int:
    """Whole months (weeks) from a cohort's start to a day."""
    if period == "week":
        return (moment - start).days // 7
    return (moment.year - start.year) * 12 + moment.month - start.month


@dataclass
class _Cohort:
    leads: int = 0
    won: int = 0
    revenue_by_age: dict[int, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    first_purchase_age: dict[uuid.UUID, int] = field(default_factory=dict)
    purchases: dict[uuid.UUID, int] = field(default_factory=lambda: defaultdict(int))


def _curve(cohort: _Cohort, current_age: int) -> list[schemas.LtvPoint]:
    points = []
    revenue = Decimal(0)
    first_ages = sorted(cohort.first_purchase_age.values())
    for at in range(current_age + 1):
        revenue += cohort.revenue_by_age.get(at, Decimal(0))
        customers = bisect_right(first_ages, at)  # customers whose first purchase is by `at`
        points.append(
            schemas.LtvPoint(
                age=at,
                revenue=revenue,
                customers=customers,
                revenue_per_lead=ratio(revenue, cohort.leads),
                revenue_per_customer=ratio(revenue, customers),
            )
        )
    return points


async def cohorts(
    bi: AsyncSession,
    crm: AsyncSession,
    scope: Scope,
    *,
    period: schemas.CohortPeriod,
    by: schemas.CohortKey,
    now: datetime | None = None,
) -> schemas.Cohorts:
    """The period's lead cohorts (by first touch month or week, and channel or campaign)
    with their customers, repeat customers and LTV curves."""
    leads = cohort_leads(scope)
    where = [
        leads.c.cohort_at >= scope.period.start,
        leads.c.cohort_at < scope.period.end,
        *report_filters.conditions(leads, scope.filters),
    ]
    start = _start(scope, period, leads.c.cohort_at).label("start")
    key_name = KEYS[by]
    key = (leads.c[key_name] if key_name else cast(null(), Text)).label("key")
    groups: dict[tuple[date, str | None], _Cohort] = defaultdict(_Cohort)
    counts = (
        select(
            literal("leads").label("kind"),
            start,
            key,
            func.count().label("leads"),
            cast(null(), Uuid).label("lead_id"),
            cast(null(), Date).label("won_on"),
            cast(null(), Numeric).label("revenue"),
            cast(null(), Text).label("currency"),
        )
        .where(*where)
        .group_by(start, key)
    )
    won_rows = select(
        literal("won").label("kind"),
        start,
        key,
        literal(0).label("leads"),
        leads.c.lead_id,
        cast(func.timezone(scope.timezone, leads.c.won_at), Date).label("won_on"),
        leads.c.revenue,
        leads.c.currency,
    ).where(*where, leads.c.won_at.is_not(None))
    won = []
    for row in await bi.execute(union_all(counts, won_rows)):
        if row.kind == "leads":
            groups[(row.start, row.key)].leads = row.leads
        else:
            won.append(row)
    contacts = await crm_facts.lead_contacts(crm, [row.lead_id for row in won])
    other_currencies: set[str] = set()
    for row in won:
        cohort = groups[(row.start, row.key)]
        at = age(row.start, row.won_on, period)
        contact = contacts.get(row.lead_id, row.lead_id)  # a deleted lead: its own customer
        cohort.won += 1
        cohort.purchases[contact] += 1
        cohort.first_purchase_age[contact] = min(cohort.first_purchase_age.get(contact, at), at)
        if row.currency == scope.currency:
            cohort.revenue_by_age[at] += Decimal(row.revenue or 0)
        elif row.revenue is not None:
            other_currencies.add(row.currency)
    today = (now or datetime.now(UTC)).astimezone(ZoneInfo(scope.timezone)).date()
    rows = []
    for (cohort_start, cohort_key), cohort in sorted(
        groups.items(), key=lambda item: (item[0][0], item[0][1] or "")
    ):
        revenue = sum(cohort.revenue_by_age.values(), Decimal(0))
        customers = len(cohort.purchases)
        rows.append(
            schemas.CohortRow(
                start=cohort_start,
                key=cohort_key,
                leads=cohort.leads,
                won=cohort.won,
                customers=customers,
                repeat_customers=sum(1 for n in cohort.purchases.values() if n > 1),
                revenue=revenue,
                revenue_per_lead=ratio(revenue, cohort.leads),
                revenue_per_customer=ratio(revenue, customers),
                ltv=_curve(cohort, max(age(cohort_start, today, period), 0)),
                cac=None,
                payback_periods=None,
            )
        )
    return schemas.Cohorts(
        range=report_range(scope),
        period=period,
        by=by,
        cohort_basis="first_touch",
        cohorts=rows,
        other_currencies=sorted(other_currencies),
        cac_note="no_spend_data",
    )
