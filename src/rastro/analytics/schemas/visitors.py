"""The analytics module's shapes: new vs returning visitors, behaviour, journeys and cohorts."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from rastro.analytics.schemas.common import ReportRange

# --- New vs returning visitors, behaviour, journeys, cohorts -------------------------

VisitorSegmentName = Literal["new", "returning", "frequent"]


class VisitorSegment(BaseModel):
    segment: VisitorSegmentName = Field(
        description="new: 1 session in the period; returning: 2-3; frequent: 4 or more"
    )
    visitors: int
    sessions: int
    page_views: int
    pages_per_visitor: float | None
    sessions_per_visitor: float | None
    converted_visitors: int = Field(description="Visitors carried by a lead created in the period")
    conversion_rate: float | None = Field(description="Converted visitors per visitor")


class DomainVisitorSegments(BaseModel):
    domain_id: uuid.UUID
    segments: list[VisitorSegment]


class ReturningVisitors(BaseModel):
    range: ReportRange
    sessions_counted: Literal["period"] = Field(
        description="A visitor's sessions are counted within the period and filters"
    )
    segments: list[VisitorSegment] = Field(description="All domains; always the three segments")
    by_domain: list[DomainVisitorSegments]


class EventTypeRow(BaseModel):
    event_type: str
    events: int
    per_session: float | None


class PathRow(BaseModel):
    path: str = Field(description="The page URL's path (no host, query or fragment)")
    views: int
    entries: int = Field(description="Sessions whose first page view was this path")
    exits: int = Field(description="Sessions whose last page view was this path")
    exit_rate: float | None = Field(description="Exits per view")


class Behavior(BaseModel):
    range: ReportRange
    sessions: int
    page_views: int
    events: int
    pages_per_session: float | None
    events_per_session: float | None
    bounce_rate: float | None
    average_duration: float | None = Field(description="Seconds per session")
    events_by_type: list[EventTypeRow]
    top_paths: list[PathRow] = Field(description="Most viewed paths")
    top_entry_paths: list[PathRow] = Field(description="Paths most sessions started on")
    top_exit_paths: list[PathRow] = Field(description="Paths most sessions ended on")


ConversionKind = Literal["lead", "won"]


class JourneyPath(BaseModel):
    channels: list[str] = Field(description="Consecutive repeats collapsed")
    label: str = Field(description='"Paid Social > Organic Search > Direct"')
    conversions: int
    share: float | None = Field(description="Of the conversions with a touch")
    revenue: Decimal = Field(description="Won revenue, organization's currency")
    average_touches: float
    average_time_to_convert: float = Field(description="Seconds, first touch → conversion")


class FlowNode(BaseModel):
    step: int | None = Field(description="1-based step; null for the conversion node")
    name: str = Field(description="A channel, or `lead`/`won` for the conversion node")


class FlowLink(BaseModel):
    source: int = Field(description="Index in `nodes`")
    target: int = Field(description="Index in `nodes`")
    value: int = Field(description="Conversions whose path takes this link")


class JourneyFlow(BaseModel):
    max_steps: int
    truncated_paths: int = Field(description="Paths longer than max_steps (shown cut)")
    nodes: list[FlowNode]
    links: list[FlowLink]


class Journeys(BaseModel):
    range: ReportRange
    conversion: ConversionKind
    lookback_days: int
    conversions: int
    with_touches: int
    without_touches: int = Field(description="Conversions without a touch in the lookback")
    distinct_paths: int
    revenue: Decimal
    average_touches: float | None
    average_time_to_convert: float | None = Field(description="Seconds")
    other_currencies: list[str]
    paths: list[JourneyPath]
    flow: JourneyFlow


CohortPeriod = Literal["month", "week"]
CohortKey = Literal["none", "channel", "campaign"]


class LtvPoint(BaseModel):
    age: int = Field(description="Months (weeks) since the cohort's start")
    revenue: Decimal = Field(description="Cumulative won revenue")
    customers: int = Field(description="Cumulative customers")
    revenue_per_lead: float | None
    revenue_per_customer: float | None


class CohortRow(BaseModel):
    start: date = Field(description="First day of the cohort's month (week, Monday)")
    key: str | None = Field(description="First-touch channel or campaign (by≠none)")
    leads: int
    won: int
    customers: int = Field(description="Distinct contacts with a won lead")
    repeat_customers: int = Field(description="Contacts with more than one won lead")
    revenue: Decimal
    revenue_per_lead: float | None
    revenue_per_customer: float | None
    ltv: list[LtvPoint]
    cac: Decimal | None = Field(description="Null until ad spend exists (cac_note)")
    payback_periods: float | None = Field(description="Null until ad spend exists")


class Cohorts(BaseModel):
    range: ReportRange
    period: CohortPeriod
    by: CohortKey
    cohort_basis: Literal["first_touch"] = Field(
        description="First touch of the lead's visitors, or the lead's creation without one"
    )
    cohorts: list[CohortRow]
    other_currencies: list[str]
    cac_note: str | None = Field(description="`no_spend_data` until ad spend is imported")
