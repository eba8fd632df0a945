"""The analytics module's shapes: report filters, periods and the Overview."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from rastro.analytics.attribution import ModelName
from rastro.analytics.schemas.profit import ProfitFigures
from rastro.tracking.channels import CHANNELS

Preset = Literal[
    "today",
    "yesterday",
    "last_7_days",
    "last_30_days",
    "last_90_days",
    "this_month",
    "last_month",
    "last_12_months",
]
Compare = Literal["none", "previous", "year"]
Device = Literal["desktop", "mobile", "tablet"]
Channel = Literal[CHANNELS]  # type: ignore[valid-type]
FilterText = Annotated[str, StringConstraints(min_length=1, max_length=255)]

MAX_RANGE_DAYS = 731  # two years


class ReportFilters(BaseModel):
    """What every report is filtered by: a date range in the organization's days (a preset,
    or `date_from`/`date_to`; the last 30 days when neither is given), a comparison, and
    the dimensions of a visit."""

    preset: Preset | None = None
    date_from: date | None = None
    date_to: date | None = None
    compare: Compare = "none"
    domain_id: uuid.UUID | None = None
    landing_page_id: uuid.UUID | None = None
    channel: Channel | None = None
    source: FilterText | None = None
    medium: FilterText | None = None
    campaign: FilterText | None = None
    content: FilterText | None = None
    term: FilterText | None = None
    device: Device | None = None


class Period(BaseModel):
    date_from: date
    date_to: date
    start: datetime  # UTC instant of date_from's midnight in the organization's timezone
    end: datetime  # UTC instant of the midnight after date_to


class ReportRange(BaseModel):
    """The period a report covers, the compared one, and how fresh the rollups are."""

    current: Period
    previous: Period | None
    timezone: str
    currency: str
    data_through: datetime | None = Field(
        description="Moments before this come from the rollups; later ones are counted "
        "from the raw rows (null: read from the raw rows)."
    )


class Money(BaseModel):
    currency: str
    amount: Decimal


class Totals(BaseModel):
    visitors: int
    sessions: int
    new_sessions: int
    bounce_rate: float | None
    pages_per_session: float | None
    leads: int
    qualified: int
    won: int
    revenue: list[Money] = Field(description="Won revenue per currency, never summed across")
    conversion_rate: float | None = Field(description="Leads per session")
    qualification_rate: float | None = Field(description="Qualified leads per lead")
    win_rate: float | None = Field(description="Won deals per lead")
    average_score: float | None = Field(description="A=4 … D=1")
    average_time_to_conversion: float | None = Field(description="Seconds, first touch → lead")
    average_sales_cycle: float | None = Field(description="Seconds, lead → won")
    cost: Decimal | None = Field(description="Ad spend; null until spend is imported")
    roas: float | None = Field(description="Revenue / cost in the organization's currency")
    profit: ProfitFigures | None = Field(
        None, description="Profit and its formula's terms (null: spend cannot be filtered)"
    )


class SeriesPoint(BaseModel):
    date: date
    visitors: int
    sessions: int
    leads: int
    qualified: int
    won: int
    revenue: Decimal = Field(description="In the organization's currency")


class BreakdownRow(BaseModel):
    key: str | None
    label: str | None = None
    sessions: int
    leads: float = Field(
        description="Leads credited to the key: whole leads by their credited touch, or "
        "fractions under the Overview's attribution model"
    )
    qualified: float = Field(description="Qualified leads credited to the key (as `leads`)")
    won: float = Field(description="Won deals credited to the key (as `leads`)")
    revenue: Decimal = Field(description="In the organization's currency")
    conversion_rate: float | None
    win_rate: float | None


class Overview(BaseModel):
    range: ReportRange
    attribution_model: ModelName = Field(
        default="last_touch",
        description="The attribution model that credited the channel and campaign tables' "
        "leads, won deals and revenue (the organization's `overview_model` setting)",
    )
    totals: Totals
    previous: Totals | None
    series: list[SeriesPoint]
    previous_series: list[SeriesPoint] | None
    by_channel: list[BreakdownRow]
    by_campaign: list[BreakdownRow]
    live_visitors: int
    other_currencies: list[str] = Field(
        description="Currencies of won revenue other than the organization's: left out of "
        "the series and tables, shown per currency in the totals"
    )
    cost_note: str | None = Field(
        description="Why cost and ROAS are empty (`no_spend_data`), or null"
    )


class RefreshOut(BaseModel):
    through: datetime
    full: bool
    days_rewritten: int | None
