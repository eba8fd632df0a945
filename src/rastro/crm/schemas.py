"""Request and response shapes of the CRM module."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    model_validator,
)

from rastro.core.inputs import NotNull
from rastro.core.types import Name
from rastro.crm.values import CrmDealChange as CrmDealChange
from rastro.crm.values import ExternalSale as ExternalSale
from rastro.crm.values import Frozen as Frozen
from rastro.crm.values import LeadConversionFacts as LeadConversionFacts
from rastro.crm.values import LeadForPush as LeadForPush
from rastro.crm.values import LeadOutcome as LeadOutcome
from rastro.crm.values import LeadStageChanged as LeadStageChanged
from rastro.crm.values import WebhookTokenState as WebhookTokenState
from rastro.tracking.schemas import EventOut, PageViewOut, SessionSummary, Touchpoint

Stage = Literal["new", "qualified", "proposal", "negotiation", "won", "lost"]
Score = Literal["A", "B", "C", "D"]
LeadSort = Literal["-created_at", "created_at", "score", "-score", "-stage_changed_at"]
OptionalText255 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)] | None
Phone = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=20)]
Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
Probability = Annotated[int, Field(ge=0, le=100)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
LongText = Annotated[str, StringConstraints(max_length=10_000)]


# How a sale was paid: a short code (`pix`, `credit_card`, `boleto`, or a gateway's own).
def _code(value: Any) -> Any:
    """A code as typed ("PIX ") in the form it is kept ("pix"): the pattern is checked after."""
    return value.strip().lower() if isinstance(value, str) else value


PaymentMethod = Annotated[
    str,
    BeforeValidator(_code),
    StringConstraints(pattern=r"^[a-z0-9_]{1,40}$"),
    Field(description="How the sale was paid: `pix`, `credit_card`, `boleto`, … (a short code)"),
]


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MemberRef(Schema):
    id: uuid.UUID
    name: str
    email: str


# --- leads -------------------------------------------------------------------------------------


class LeadSummary(Schema):
    """A lead as the list and the board show it."""

    lead_id: uuid.UUID
    contact_id: uuid.UUID
    name: str | None
    email: str | None
    company: str | None
    phone: str | None
    lead_score: Score
    current_stage: Stage
    stage_changed_at: datetime
    stage_value: Decimal | None
    probability: int | None
    owner_id: uuid.UUID | None
    owner: MemberRef | None = None
    source: str | None
    medium: str | None
    campaign: str | None
    channel: str | None
    attribution_status: str
    domain_id: uuid.UUID | None
    external_id: str | None
    created_at: datetime


class LeadTotals(Schema):
    count: int
    value: Decimal = Field(description="Sum of the leads' latest stage values")
    with_value: int = Field(description="How many of the leads have a value")
    currency: str = Field(description="The organization's currency")


class Lead(LeadSummary):
    session_id: str | None
    visitor_id: str | None
    utm_tracking_id: uuid.UUID | None
    page_id: uuid.UUID | None
    message: str | None
    form_location: str | None
    is_business_email: bool | None
    email_domain: str | None
    time_to_conversion: int | None
    metadata: dict[str, Any] = Field(validation_alias="metadata_")


class LeadUpdate(Input):
    owner_id: uuid.UUID | None = None
    external_id: OptionalText255 = None
    name: OptionalText255 = None
    company: OptionalText255 = None
    message: LongText | None = None
    lead_score: Annotated[Score | None, NotNull] = Field(
        None, description="Overrides the computed score"
    )


class LeadStage(Schema):
    stage_id: uuid.UUID
    lead_id: uuid.UUID
    stage_name: Stage
    stage_value: Decimal | None
    probability: int | None
    changed_by: str
    reason: str | None
    source: str
    close_date: date | None
    created_at: datetime


class StageChangeIn(Input):
    stage_name: Stage
    stage_value: Money | None = None
    probability: Probability | None = Field(None, description="Defaults to the stage's own")
    reason: LongText | None = None
    close_date: date | None = None


class StageChangeOut(Schema):
    stage: LeadStage
    lead: Lead


class Contact(Schema):
    contact_id: uuid.UUID
    email: str | None
    phone: str | None
    name: str | None
    company: str | None
    owner_id: uuid.UUID | None
    owner: MemberRef | None = None
    visitor_ids: list[str]
    external_id: str | None
    metadata: dict[str, Any] = Field(validation_alias="metadata_")
    created_at: datetime
    updated_at: datetime


class Deal(Schema):
    deal_id: uuid.UUID
    lead_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    name: str
    value: Decimal | None
    currency: str
    stage: Stage
    probability: int | None
    owner_id: uuid.UUID | None
    expected_close_date: date | None
    closed_at: datetime | None
    external_id: str | None
    product: str | None
    payment_method: str | None
    affiliate_commission: Decimal | None
    refunded_amount: Decimal | None
    refunded_at: datetime | None
    chargeback_amount: Decimal | None
    chargeback_at: datetime | None
    created_at: datetime
    updated_at: datetime


class Task(Schema):
    task_id: uuid.UUID
    lead_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    deal_id: uuid.UUID | None
    title: str
    description: str | None
    due_at: datetime | None
    assignee_id: uuid.UUID | None
    done: bool
    done_at: datetime | None
    created_by_id: uuid.UUID | None
    created_at: datetime
    lead_name: str | None = Field(
        None, description="The lead's name (or e-mail) in lists across leads"
    )


class Note(Schema):
    note_id: uuid.UUID
    lead_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    deal_id: uuid.UUID | None
    body: str
    author_id: uuid.UUID | None
    created_at: datetime


class Activity(Schema):
    activity_id: uuid.UUID
    lead_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    deal_id: uuid.UUID | None
    activity_type: str
    summary: str
    actor: str
    data: dict[str, Any]
    created_at: datetime


class IntegrationLogEntry(Schema):
    log_id: uuid.UUID
    destination_id: uuid.UUID | None
    event: str
    integration_type: str
    integration_name: str
    status: str
    http_status: int | None
    error_message: str | None
    retry_count: int
    created_at: datetime
    processed_at: datetime | None


# --- what the integrations module reads and hands over (frozen values, no ORM rows) -----

STAGES: tuple[str, ...] = get_args(Stage)


class LeadDetail(Schema):
    """A lead with everything around it (a fixed number of queries)."""

    lead: Lead
    contact: Contact
    stages: list[LeadStage] = Field(description="Oldest first")
    deals: list[Deal]
    tasks: list[Task]
    notes: list[Note] = Field(description="Newest first")
    integrations: list[IntegrationLogEntry] = Field(description="Newest first, at most 50")
    activities: list[Activity] = Field(
        description="Newest first, at most 100 (all of them: GET /api/activities?lead_id=)"
    )


class PipelineCard(Schema):
    lead_id: uuid.UUID
    name: str | None
    company: str | None
    lead_score: Score
    stage_value: Decimal | None
    owner_id: uuid.UUID | None
    owner: MemberRef | None = None
    stage_changed_at: datetime
    channel: str | None = None
    source: str | None = None
    medium: str | None = None
    campaign: str | None = None


class PipelineColumn(Schema):
    stage: Stage
    count: int
    value: Decimal = Field(description="Sum of the leads' latest stage values")
    cards: list[PipelineCard] = Field(description="Most recently moved first")


class Pipeline(Schema):
    stages: list[PipelineColumn]
    currency: str = Field(description="The organization's currency (of the value sums)")


# --- journey (BI) -------------------------------------------------------------------------------


class JourneySession(Schema):
    session: SessionSummary
    touches: list[Touchpoint]
    page_views: list[PageViewOut]
    events: list[EventOut]


class LeadAttribution(Schema):
    campaign_id: str
    source: str | None
    medium: str | None
    utm_campaign: str | None
    utm_content: str | None
    utm_term: str | None
    channel: str | None
    session_id: str | None
    visitor_id: str | None
    first_touch: datetime | None
    last_touch: datetime | None
    conversion_date: datetime
    touchpoints: list[dict[str, Any]]


class LeadJourney(Schema):
    lead_id: uuid.UUID
    visitor_ids: list[str] = Field(description="The lead's visitor plus its contact's others")
    attribution: LeadAttribution | None
    sessions: list[JourneySession] = Field(description="Oldest first")


# --- contacts, deals, tasks, notes ---------------------------------------------------------------


class ContactCreate(Input):
    email: Annotated[EmailStr, StringConstraints(max_length=320)] | None = None
    phone: Phone | None = None
    name: OptionalText255 = None
    company: OptionalText255 = None
    owner_id: uuid.UUID | None = None
    external_id: OptionalText255 = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _someone(self) -> ContactCreate:
        if not (self.email or self.phone or self.name):
            raise ValueError("a contact needs an e-mail, a phone or a name")
        return self


class ContactUpdate(Input):
    email: Annotated[EmailStr, StringConstraints(max_length=320)] | None = None
    phone: Phone | None = None
    name: OptionalText255 = None
    company: OptionalText255 = None
    owner_id: uuid.UUID | None = None
    external_id: OptionalText255 = None
    metadata: Annotated[dict[str, Any] | None, NotNull] = None


class ContactDetail(Schema):
    contact: Contact
    leads: list[LeadSummary]
    deals: list[Deal]
    tasks: list[Task]
    notes: list[Note]
    activities: list[Activity] = Field(description="Newest first, at most 100")


class DealCreate(Input):
    name: Name
    lead_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = Field(None, description="Defaults to the lead's contact")
    value: Money | None = None
    currency: Currency = "BRL"
    stage: Stage = "new"
    probability: Probability | None = None
    owner_id: uuid.UUID | None = None
    expected_close_date: date | None = None
    external_id: OptionalText255 = None
    product: OptionalText255 = Field(
        None, description="What was sold (matches the profit settings' product costs)"
    )
    payment_method: PaymentMethod | None = None
    affiliate_commission: Money | None = Field(
        None, description="The affiliate's commission on this sale, when it names one"
    )
    refunded_amount: Money | None = Field(
        None, description="Money given back to the buyer (at most the deal's value)"
    )
    refunded_at: datetime | None = Field(None, description="When; now when omitted")
    chargeback_amount: Money | None = Field(
        None, description="Money taken back through the card network (a chargeback)"
    )
    chargeback_at: datetime | None = Field(None, description="When; now when omitted")


class DealUpdate(Input):
    name: Annotated[Name | None, NotNull] = None
    value: Money | None = None
    currency: Annotated[Currency | None, NotNull] = None
    stage: Annotated[Stage | None, NotNull] = None
    probability: Probability | None = None
    owner_id: uuid.UUID | None = None
    expected_close_date: date | None = None
    external_id: OptionalText255 = None
    product: OptionalText255 = Field(
        None, description="What was sold (matches the profit settings' product costs)"
    )
    payment_method: PaymentMethod | None = None
    affiliate_commission: Money | None = Field(
        None, description="The affiliate's commission on this sale, when it names one"
    )
    refunded_amount: Money | None = Field(
        None, description="Money given back to the buyer (at most the deal's value)"
    )
    refunded_at: datetime | None = Field(None, description="When; now when omitted")
    chargeback_amount: Money | None = Field(
        None, description="Money taken back through the card network (a chargeback)"
    )
    chargeback_at: datetime | None = Field(None, description="When; now when omitted")


class TaskCreate(Input):
    title: Name
    description: LongText | None = None
    due_at: datetime | None = None
    assignee_id: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    deal_id: uuid.UUID | None = None


class TaskUpdate(Input):
    title: Annotated[Name | None, NotNull] = None
    description: LongText | None = None
    due_at: datetime | None = None
    assignee_id: uuid.UUID | None = None
    done: Annotated[bool | None, NotNull] = None


class NoteCreate(Input):
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
    lead_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    deal_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _attached(self) -> NoteCreate:
        if not (self.lead_id or self.contact_id or self.deal_id):
            raise ValueError("a note belongs to a lead, a contact or a deal")
        return self


# --- lead capture ------------------------------------------------------------------------------


class LeadWarning(BaseModel):
    """Something a stored lead was stored without, shaped like a 422's `details` item (e.g. a
    phone that is not a valid number, when the e-mail alone identifies the person)."""

    model_config = ConfigDict(frozen=True)

    loc: str
    message: str
    type: str = "value_error"
