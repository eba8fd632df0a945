"""Request and response shapes of the tracking module."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from rastro.core.inputs import NotNull
from rastro.core.types import Name
from rastro.tracking.tracker import COOKIE_DAYS


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class DomainAnalytics(BaseModel):
    """Seed 001 DomainMetadata.analytics: the site's own tags (kept for reference)."""

    model_config = ConfigDict(extra="allow")
    googleAnalyticsId: str | None = Field(None, max_length=50)
    facebookPixelId: str | None = Field(None, max_length=50)
    googleAdsId: str | None = Field(None, max_length=50)
    tiktokPixelId: str | None = Field(None, max_length=50)


class DomainSettings(BaseModel):
    """Seed 001 DomainMetadata.settings."""

    timezone: str = Field("America/Sao_Paulo", max_length=64)
    language: str = Field("pt-BR", max_length=10)
    cookie_days: int = Field(COOKIE_DAYS, ge=1, le=400, description="First-party cookie lifetime")
    consent_mode: Literal["off", "required"] = Field(
        "off",
        description="required: the tracker stores nothing and sets no identifier until the "
        "visitor consents (`rastro('consent', {...})`); the collector refuses events without it",
    )


class DomainMetadata(BaseModel):
    analytics: DomainAnalytics = Field(default_factory=DomainAnalytics)
    settings: DomainSettings = Field(default_factory=DomainSettings)


def _origin(value: str) -> str:
    url = AnyHttpUrl(value)
    port = f":{url.port}" if url.port not in (None, 80, 443) else ""
    return f"{url.scheme}://{url.host}{port}"


class DomainCreate(Schema):
    domain_url: AnyHttpUrl
    domain_name: Name | None = Field(None, description="Defaults to the URL's host")
    allowed_origins: list[str] | None = Field(
        None, description="Origins allowed to send events; defaults to the domain (with www.)"
    )
    metadata: DomainMetadata = Field(default_factory=DomainMetadata)
    is_active: bool = True

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else sorted({_origin(v) for v in value})


class DomainUpdate(Schema):
    domain_name: Annotated[Name | None, NotNull] = None
    allowed_origins: Annotated[list[str] | None, NotNull] = None
    metadata: Annotated[DomainMetadata | None, NotNull] = None
    is_active: Annotated[bool | None, NotNull] = None

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else sorted({_origin(v) for v in value})


class Domain(Schema):
    domain_id: uuid.UUID
    domain_name: str
    domain_url: str
    site_key: str
    allowed_origins: list[str]
    metadata: dict[str, Any]
    is_active: bool
    created_at: datetime
    snippet: str


class LandingPageCreate(Schema):
    domain_id: uuid.UUID
    page_url: AnyHttpUrl
    page_name: Name
    page_variant: Annotated[str, StringConstraints(max_length=50)] | None = None
    is_control: bool = False
    ab_test_id: uuid.UUID | None = None
    variant_weight: int = Field(1, ge=0, le=1000)
    is_active: bool = True


class LandingPageUpdate(Schema):
    page_url: Annotated[AnyHttpUrl | None, NotNull] = None
    page_name: Annotated[Name | None, NotNull] = None
    page_variant: Annotated[str, StringConstraints(max_length=50)] | None = None
    is_control: Annotated[bool | None, NotNull] = None
    ab_test_id: uuid.UUID | None = None
    variant_weight: Annotated[int | None, Field(ge=0, le=1000), NotNull] = None
    is_active: Annotated[bool | None, NotNull] = None


class LandingPage(Schema):
    page_id: uuid.UUID
    domain_id: uuid.UUID
    page_url: str
    page_name: str
    page_variant: str | None
    is_control: bool
    ab_test_id: uuid.UUID | None
    variant_weight: int
    is_active: bool
    created_at: datetime


class AbVariant(Schema):
    page_id: uuid.UUID
    page_variant: Annotated[str, StringConstraints(min_length=1, max_length=50)]
    is_control: bool = False
    variant_weight: int = Field(1, ge=0, le=1000)


class AbTestCreate(Schema):
    domain_id: uuid.UUID
    name: Name
    variants: list[AbVariant] = Field(min_length=2, max_length=20)


class AbTestUpdate(Schema):
    name: Annotated[Name | None, NotNull] = None
    is_active: Annotated[bool | None, NotNull] = Field(
        None, description="false stops the test: the variant call answers 404 until resumed"
    )


class AbTest(Schema):
    ab_test_id: uuid.UUID
    domain_id: uuid.UUID
    name: str
    is_active: bool
    created_at: datetime
    variants: list[LandingPage]


class VariantAssignment(Schema):
    ab_test_id: uuid.UUID
    page_id: uuid.UUID
    page_url: str
    page_variant: str | None
    is_control: bool


class CollectResult(Schema):
    event_id: str | None
    status: str = Field(description="stored, duplicate or rejected")
    reason: str | None = None


class CollectResponse(Schema):
    session_id: str | None
    accepted: int
    duplicates: int
    rejected: int
    results: list[CollectResult]


# --- reads ------------------------------------------------------------------------------------


class Touchpoint(Schema):
    tracking_id: uuid.UUID
    session_id: str
    created_at: datetime
    channel: str
    utm_source: str | None
    utm_medium: str | None
    utm_campaign: str | None
    utm_id: str | None
    utm_term: str | None
    utm_content: str | None
    gclid: str | None
    gbraid: str | None
    wbraid: str | None
    fbclid: str | None
    ttclid: str | None
    li_fat_id: str | None
    msclkid: str | None
    src: str | None
    sck: str | None
    device: str | None
    match_type: str | None
    referrer: str | None
    page_url: str | None
    url_params: dict[str, Any]


class SessionSummary(Schema):
    session_id: str
    domain_id: uuid.UUID
    visitor_id: str
    started_at: datetime
    last_activity_at: datetime
    total_page_views: int
    total_events: int
    converted: bool
    return_visits: int
    is_bot: bool
    channel: str | None
    source: str | None = None
    medium: str | None = None

    @classmethod
    def of(cls, tracked: Any) -> SessionSummary:
        """A `TrackedSession` with the source and medium its metadata keeps."""
        summary = cls.model_validate(tracked)
        summary.source = tracked.metadata_.get("source")
        summary.medium = tracked.metadata_.get("medium")
        return summary


class SessionListItem(SessionSummary):
    """A session of the history, with its touch's campaign parameters and device."""

    campaign: str | None = None
    content: str | None = None
    device: str | None = None
    landing_page_id: uuid.UUID | None = None

    @classmethod
    def of_row(cls, row: Any) -> SessionListItem:
        tracked = row.TrackedSession
        item = cls.model_validate(tracked)
        item.channel = row.channel
        item.source = row.source
        item.medium = row.medium
        item.campaign = row.campaign
        item.content = row.content
        item.device = row.device
        item.landing_page_id = tracked.first_page_id
        return item


class DomainActivityOut(Schema):
    domain_id: uuid.UUID
    last_event_at: datetime | None = Field(description="The latest activity of its sessions")
    sessions_today: int = Field(description="Human sessions started today (organization's day)")


class LandingActivityOut(Schema):
    landing_page_id: uuid.UUID
    sessions: int = Field(description="Human sessions that began on the page")
    converted: int = Field(description="Of those, the ones that left a lead")
    conversion_rate: float | None


class TrackingActivity(Schema):
    """Whether each domain's snippet sends events, and how each landing page converts."""

    today_start: datetime
    since: datetime = Field(description="Start of the landing pages' window")
    domains: list[DomainActivityOut]
    landing_pages: list[LandingActivityOut]


class PageViewOut(Schema):
    view_id: uuid.UUID
    created_at: datetime
    page_url: str
    page_title: str | None
    referrer: str | None
    view_order: int
    time_on_page: int | None
    exit_page: bool


class EventOut(Schema):
    event_id: uuid.UUID
    created_at: datetime
    event_type: str
    event_category: str | None
    event_action: str | None
    event_label: str | None
    event_value: Decimal | None
    element_id: str | None
    element_class: str | None
    event_data: dict[str, Any]


class SessionTimeline(Schema):
    session: SessionSummary
    touches: list[Touchpoint]
    page_views: list[PageViewOut]
    events: list[EventOut]


class VisitorJourneyOut(Schema):
    visitor_id: str
    domain_id: uuid.UUID
    first_visit_at: datetime
    last_visit_at: datetime
    total_sessions: int
    total_page_views: int
    converted: bool
    conversion_session_id: str | None
    sessions: list[SessionSummary]
    touches: list[Touchpoint]


# --- lead attribution (what the CRM hands over when leads convert, and reads back) ---------


@dataclass(frozen=True, slots=True)
class ConvertedLead:
    """A new lead as BI attribution needs it: where and when the person converted."""

    lead_id: uuid.UUID
    converted_at: datetime
    session_id: str | None = None  # the converting session
    visitor_id: str | None = None
    visitor_ids: tuple[str, ...] = ()  # every browser known for the person
    utm_tracking_id: uuid.UUID | None = None  # the touch lead capture credited


class LeadAttribution(Schema):
    """A lead's credited touch and its touches up to the conversion (`lead_attribution`)."""

    lead_id: uuid.UUID
    campaign_id: str
    source: str | None
    medium: str | None
    utm_campaign: str | None
    utm_content: str | None
    utm_term: str | None
    channel: str | None
    session_id: str | None
    visitor_id: str | None
    utm_tracking_id: uuid.UUID | None
    first_touch: datetime | None
    last_touch: datetime | None
    conversion_date: datetime
    touchpoints: list[dict[str, Any]]
