"""Shapes of tracking health (issue 18 part 6): what the join leaves unattributed and what
to fix, each ad's URL check, alert rules and their firings (no ORM imports)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from rastro.analytics.schemas import Money, ReportRange
from rastro.analytics.spend_schemas import AccountId, Platform

# What the dashboard tells the user to do (texts in pt-BR and English live in the pages).
FixCode = Literal[
    "capture_session",  # forms/checkout must carry the tracker's session (hidden fields)
    "tag_paid_links",  # paid links need UTMs with the platform's campaign id macro
    "none",  # organic, direct, referral: nothing to fix
    "add_url_parameters",  # the ad's URL lacks parameters (see its URL check)
    "check_landing_page",  # URL looks right: the tracker is missing on the landing page
    "map_or_use_ids",  # a UTM value that names no campaign: map it or use the id macro
]
PAID_CHANNELS = (
    "Paid Search",
    "Paid Social",
    "Paid Video",
    "Paid Shopping",
    "Paid Other",
    "Display",
    "Cross-network",
)


class UnattributedSales(BaseModel):
    """Leads and won sales of the period with no tracked session behind them."""

    leads: int
    leads_without_session: int
    won: int
    won_without_session: int
    revenue_without_session: list[Money]
    share_without_session: float | None = Field(description="won_without_session ÷ won")
    fix: FixCode


class SessionsWithoutCampaign(BaseModel):
    """Sessions of one channel and source whose touch reaches no ad campaign."""

    channel: str
    source: str | None
    sessions: int
    without_campaign: int
    paid: bool
    fix: FixCode


class SpendWithoutSessions(BaseModel):
    """An ad that spent in the period while no session of the period reached it."""

    platform: str
    account_id: str
    campaign_id: str
    campaign_name: str | None
    ad_id: str
    ad_name: str | None
    spend: list[Money]
    impressions: int
    clicks: int
    missing_parameters: list[str] | None = Field(
        description="The ad's URL check (null: the ad's URL was never checked)"
    )
    fix: FixCode


class UnmatchedUtm(BaseModel):
    """A tagged touch's UTM campaign that joins no ad campaign, with its sessions."""

    source: str | None
    medium: str | None
    campaign: str | None
    sessions: int
    last_seen: datetime
    fix: FixCode


class UnattributedTotals(BaseModel):
    sessions: int
    sessions_without_campaign: int
    paid_sessions: int
    paid_sessions_without_campaign: int
    spend: Decimal = Field(description="Spend in the organization's currency")
    spend_without_sessions: Decimal
    spend_without_sessions_share: float | None
    other_currency_spend: bool


class Unattributed(BaseModel):
    """Unattributed, side by side, for the period: sales with no session, sessions with no
    campaign (by channel and source), spend with no sessions (per ad), UTM campaigns that
    match no campaign; each with what to fix."""

    range: ReportRange
    totals: UnattributedTotals
    sales: UnattributedSales
    sessions: list[SessionsWithoutCampaign]
    spend: list[SpendWithoutSessions]
    utm_campaigns: list[UnmatchedUtm]


# --- URL checks -------------------------------------------------------------------------------

UrlStatus = Literal["ok", "warning", "error", "no_url"]


class AdUrlCheck(BaseModel):
    """One ad's destination as its platform stores it and the parameters it lacks."""

    model_config = ConfigDict(from_attributes=True)

    platform: str
    account_id: str
    ad_id: str
    ad_name: str | None = None
    campaign_id: str | None
    campaign_name: str | None = None
    landing_url: str | None
    url_suffix: str | None
    tracking_template: str | None
    auto_tagging: bool | None
    parameters: list[str]
    missing: list[str]
    status: str
    checked_at: datetime


class AdUrlChecks(BaseModel):
    checks: list[AdUrlCheck]
    counts: dict[str, int] = Field(description="Ads per status")
    unsupported_accounts: list[str] = Field(
        default_factory=list, description="Accounts whose platform exposes no ad URLs"
    )


class UrlCheckRun(BaseModel):
    """The accounts whose ads' URLs are being checked (a job per account)."""

    queued: list[uuid.UUID]


# --- alerts -----------------------------------------------------------------------------------

Comparator = Literal["below", "above"]
AlertScope = Literal["all", "campaign", "each_campaign"]
RuleName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
ObjectId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class AlertRuleIn(BaseModel):
    """A rule: `metric` `comparator` `threshold` on each of the last `window_days` complete
    days of the organization, over its totals (`all`), one campaign (`campaign`: platform,
    account and campaign ids) or each campaign apart (`each_campaign`). `spend_pace` needs
    `daily_budget`. A `webhook_credential_id` (a vault credential of the `webhook`
    service: its API URL and secret) delivers each firing as a signed webhook;
    `email_recipients` (members of the organization) get an e-mail when a firing opens
    and when it resolves, in their language."""

    name: RuleName
    metric: str = Field(description="One of GET /api/analytics/alerts/metrics")
    comparator: Comparator
    threshold: Annotated[Decimal, Field(ge=0, le=Decimal("1e12"), decimal_places=4)]
    window_days: Annotated[int, Field(ge=1, le=30)] = 3
    scope: AlertScope = "all"
    platform: Platform | None = None
    account_id: AccountId | None = None
    campaign_id: ObjectId | None = None
    daily_budget: Annotated[Decimal, Field(gt=0, le=Decimal("1e12"), decimal_places=2)] | None = (
        None
    )
    webhook_credential_id: uuid.UUID | None = None
    email_recipients: Annotated[list[uuid.UUID], Field(max_length=20)] = Field(
        default_factory=list,
        description="Members (user ids) e-mailed when a firing opens and when it resolves",
    )
    is_active: bool = True

    @model_validator(mode="after")
    def _scope_fields(self) -> Self:
        if self.scope == "campaign" and not (self.platform and self.campaign_id):
            raise ValueError("scope 'campaign' needs platform and campaign_id")
        if self.scope != "campaign" and (self.platform or self.account_id or self.campaign_id):
            raise ValueError("platform, account_id and campaign_id go with scope 'campaign'")
        return self


class AlertRule(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    metric: str
    comparator: str
    threshold: Decimal
    window_days: int
    scope: str
    platform: str | None
    account_id: str | None
    campaign_id: str | None
    daily_budget: Decimal | None
    webhook_credential_id: uuid.UUID | None
    email_recipients: list[uuid.UUID]
    is_active: bool
    created_at: datetime
    updated_at: datetime
    open_alerts: int = 0


class AlertMetric(BaseModel):
    """A metric rules can watch, with the scopes it supports."""

    name: str
    unit: Literal["ratio", "money", "share"]
    scopes: list[str]
    needs_budget: bool


class DayFigure(BaseModel):
    """One day of a subject as the rule saw it (value null: no data that day)."""

    day: date
    value: float | None
    breached: bool
    spend: Decimal
    revenue: Decimal
    won: float
    leads: float
    spend_without_sessions: Decimal


class AlertEvent(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    rule_id: uuid.UUID
    rule_name: str | None = None
    metric: str | None = None
    comparator: str | None = None
    threshold: Decimal | None = None
    subject_key: str
    subject: dict[str, Any]
    status: str
    figures: list[dict[str, Any]]
    resolved_figures: list[dict[str, Any]] | None
    opened_at: datetime
    resolved_at: datetime | None
    last_evaluated_at: datetime
    deliveries: list[dict[str, Any]] = Field(default_factory=list)


class AlertSummary(BaseModel):
    """The badge: how many firings are open."""

    open: int


class EvaluationResult(BaseModel):
    opened: int
    resolved: int
    still_open: int
    as_of: date
