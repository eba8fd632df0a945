"""The e-mail module's request and response bodies."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ContactStatus = Literal[
    "active", "unconfirmed", "suppressed", "bounced", "complained", "unsubscribed"
]
CampaignStatus = Literal["draft", "scheduled", "sending", "sent", "paused", "cancelled"]
UnsubscribeScope = Literal["global", "campaign", "list"]
SuppressionReason = Literal["manual", "hard_bounce", "soft_bounces", "complaint", "imported"]

Tag = Field(min_length=1, max_length=60)


class _Row(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- contacts ------------------------------------------------------------------------------


class ContactIn(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    name: str | None = Field(None, max_length=255)
    status: Literal["active", "unconfirmed"] = "active"
    tags: list[str] = Field(default_factory=list, max_length=50)
    attributes: dict[str, str | int | float | bool | None] = Field(default_factory=dict)


class ContactImport(BaseModel):
    contacts: list[ContactIn] = Field(min_length=1, max_length=10_000)
    audience_id: uuid.UUID | None = None


class RowError(BaseModel):
    row: int
    email: str
    message: str


class ImportResult(BaseModel):
    created: int
    updated: int
    duplicates: int
    errors: list[RowError]


class EmailContact(_Row):
    contact_id: uuid.UUID
    email: str
    name: str | None
    status: ContactStatus
    tags: list[str]
    attributes: dict[str, Any]
    soft_bounces: int
    consent_at: datetime | None
    confirmed_at: datetime | None
    created_at: datetime
    # Double opt-in proof: the subscription's and the confirmation's IP, and the form.
    consent_ip: str | None = None
    confirmed_ip: str | None = None
    consent_form_id: uuid.UUID | None = None


class ContactStatusCount(BaseModel):
    status: ContactStatus
    contacts: int


# --- audiences -----------------------------------------------------------------------------


LeadGrade = Literal["A", "B", "C", "D"]
CampaignEngagement = Literal["received", "opened", "clicked"]


class AudienceFilter(BaseModel):
    """A saved filter: contacts with any of `tags_any`, all of `tags_all`, these attribute
    values; whose latest lead is in one of `lead_stages`, has one of `lead_grades` (its
    score, A best), came from one of `lead_sources` / `lead_campaigns` (UTM source and
    campaign, any case); who received (opened, clicked) one of `email_campaign_ids`; and
    who were active within `active_within_days` days or not for `inactive_days` days
    (a lead, a CRM activity, an e-mail open or click). Every condition given must hold;
    an empty one does not filter."""

    tags_any: list[str] = Field(default_factory=list, max_length=50)
    tags_all: list[str] = Field(default_factory=list, max_length=50)
    attributes: dict[str, str | int | float | bool] = Field(default_factory=dict)
    lead_stages: list[str] = Field(default_factory=list, max_length=20)
    lead_grades: list[LeadGrade] = Field(default_factory=list, max_length=4)
    lead_sources: list[str] = Field(default_factory=list, max_length=50)
    lead_campaigns: list[str] = Field(default_factory=list, max_length=50)
    email_campaign_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    email_engagement: CampaignEngagement = "received"
    active_within_days: int | None = Field(default=None, ge=1, le=3650)
    inactive_days: int | None = Field(default=None, ge=1, le=3650)


class AudienceCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["static", "filter"] = "static"
    filter: AudienceFilter | None = None


class Audience(_Row):
    audience_id: uuid.UUID
    name: str
    kind: Literal["static", "filter"]
    filter: dict[str, Any]
    created_at: datetime
    contacts: int = 0


class AudienceMembers(BaseModel):
    contact_ids: list[uuid.UUID] = Field(min_length=1, max_length=10_000)


class MembersAdded(BaseModel):
    added: int


# --- templates and senders -----------------------------------------------------------------


class TemplateIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    subject: str = Field(min_length=1, max_length=300)
    html: str = Field(min_length=1, max_length=500_000)
    text: str = Field("", max_length=200_000)


class Template(_Row):
    template_id: uuid.UUID
    name: str
    subject: str
    html: str
    text: str
    created_at: datetime
    updated_at: datetime


class PreviewIn(BaseModel):
    """Content to render as one recipient would get it (a template or campaign being
    edited, saved or not)."""

    subject: str = Field("", max_length=300)
    html: str = Field("", max_length=500_000)
    text: str = Field("", max_length=200_000)
    contact_id: uuid.UUID | None = Field(
        None, description="The recipient to render for (default: a made-up sample person)"
    )


class TemplatePreviewIn(BaseModel):
    contact_id: uuid.UUID | None = Field(
        None, description="The recipient to render for (default: a made-up sample person)"
    )


class Preview(BaseModel):
    subject: str
    html: str = Field(description="Merge fields filled and escaped; links not yet tracked")
    text: str
    recipient: str = Field(description="The address the content was rendered for")
    fields: list[str] = Field(description="The merge fields the content uses, in order")
    unknown_fields: list[str] = Field(description="Used fields that render empty for everyone")


SenderKind = Literal["simulated", "smtp", "ses", "sendgrid", "postmark", "mailgun"]


class SenderCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    kind: SenderKind
    credential_id: uuid.UUID | None = Field(
        None,
        description="Every kind but `simulated`: a vault credential of the service of the "
        "same name (`smtp`: host, port, login; `ses`: access key id, secret, region; "
        "`sendgrid`, `postmark`: the API key / server token; `mailgun`: the API key and "
        "sending domain)",
    )
    rate_per_second: int = Field(10, ge=1, le=1000)


class WebhookEndpoints(BaseModel):
    ses: str = Field(description="Amazon SES via SNS: subscribe this HTTPS URL to the topic")
    postmark: str = Field(description="Postmark bounce/spam webhook URL, with its basic auth")
    sendgrid: str = Field(
        description="SendGrid Event Webhook URL (turn on Signed Event Webhook and keep its "
        "verification key in the vault as a `sendgrid_webhook` credential)"
    )
    mailgun: str = Field(
        description="Mailgun webhook URL (keep the HTTP webhook signing key in the vault as "
        "a `mailgun_webhook` credential)"
    )


class DkimKeyIn(BaseModel):
    domain: str = Field(
        min_length=3,
        max_length=253,
        pattern=r"^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$",
        description="The From domain the key signs for",
    )
    selector: str = Field(
        "rastro",
        min_length=1,
        max_length=63,
        pattern=r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$",
    )


class DkimKey(BaseModel):
    credential_id: uuid.UUID
    domain: str
    selector: str
    dns_name: str = Field(description="Where to publish the TXT record")
    dns_value: str = Field(
        description="The TXT record's value (v=DKIM1; k=rsa; p=…). Over 255 characters: "
        "DNS hosts' forms split it themselves; in a zone file, write it as several quoted "
        "strings of at most 255 characters"
    )
    created_at: datetime


class EmailSettingsIn(BaseModel):
    soft_bounce_limit: int | None = Field(
        description="Soft bounces after which an address is suppressed; null: the server default",
        ge=1,
        le=100,
    )


class EmailSettingsOut(BaseModel):
    soft_bounce_limit: int | None
    default_soft_bounce_limit: int
    effective_soft_bounce_limit: int


class Sender(_Row):
    sender_id: uuid.UUID
    name: str
    kind: SenderKind
    credential_id: uuid.UUID | None
    rate_per_second: int
    created_at: datetime
    webhooks: WebhookEndpoints | None = None


# --- campaigns ----------------------------------------------------------------------------


class CampaignCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    objective: str | None = Field(None, max_length=500)
    subject: str | None = Field(None, min_length=1, max_length=300)
    from_name: str = Field(min_length=1, max_length=200)
    from_address: str = Field(min_length=3, max_length=320)
    reply_to: str | None = Field(None, max_length=320)
    template_id: uuid.UUID | None = None
    sender_id: uuid.UUID | None = None
    html: str | None = Field(None, max_length=500_000)
    text: str | None = Field(None, max_length=200_000)
    landing_page_id: uuid.UUID | None = None
    utm_source: str = Field("newsletter", min_length=1, max_length=255)
    utm_campaign: str | None = Field(None, max_length=255)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    audience_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)


class CampaignUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    objective: str | None = Field(None, max_length=500)
    subject: str | None = Field(None, min_length=1, max_length=300)
    from_name: str | None = Field(None, min_length=1, max_length=200)
    from_address: str | None = Field(None, min_length=3, max_length=320)
    reply_to: str | None = Field(None, max_length=320)
    sender_id: uuid.UUID | None = None
    html: str | None = Field(None, max_length=500_000)
    text: str | None = Field(None, max_length=200_000)
    utm_source: str | None = Field(None, min_length=1, max_length=255)
    utm_campaign: str | None = Field(None, max_length=255)
    template_id: uuid.UUID | None = None
    landing_page_id: uuid.UUID | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    audience_ids: list[uuid.UUID] | None = Field(None, max_length=100)


class Campaign(_Row):
    campaign_id: uuid.UUID
    name: str
    objective: str | None
    subject: str
    from_name: str
    from_address: str
    reply_to: str | None
    template_id: uuid.UUID | None
    sender_id: uuid.UUID | None
    html: str
    text: str
    landing_page_id: uuid.UUID | None
    utm_source: str
    utm_campaign: str | None
    status: CampaignStatus
    starts_at: datetime | None
    ends_at: datetime | None
    scheduled_at: datetime | None
    generation_status: str | None
    generated: int
    exclusions: dict[str, int]
    sent_at: datetime | None
    created_at: datetime
    audience_ids: list[uuid.UUID] = Field(default_factory=list)
    subject_variants: list[str] = Field(default_factory=list)
    ab_sample_percent: int | None = None
    ab_metric: Literal["opens", "clicks"] | None = None
    ab_wait_minutes: int | None = None
    ab_winner: int | None = None
    ab_decided_at: datetime | None = None


class AbTestIn(BaseModel):
    """2 to 4 subjects tried on `sample_percent` % of the messages (evenly); after
    `wait_minutes` the one with the best rate of `metric` goes to the rest."""

    subjects: list[str] = Field(min_length=2, max_length=4)
    sample_percent: int = Field(20, ge=1, le=100)
    metric: Literal["opens", "clicks"] = "opens"
    wait_minutes: int = Field(240, ge=1, le=10_080)


class VariantFigures(BaseModel):
    variant: int
    subject: str
    messages: int
    sent: int
    opens: int = Field(description="Messages opened by a person (machine opens excluded)")
    clicks: int = Field(description="Messages with a click")
    open_rate: float | None
    click_rate: float | None
    winner: bool


class AbReport(BaseModel):
    campaign_id: uuid.UUID
    sample_percent: int | None
    metric: Literal["opens", "clicks"] | None
    wait_minutes: int | None
    winner: int | None
    decided_at: datetime | None
    held: int = Field(description="Messages waiting for the winner")
    variants: list[VariantFigures]


class CampaignPreviewIn(BaseModel):
    contact_id: uuid.UUID | None = Field(
        None, description="Fill the merge fields with this contact's (else an example's)"
    )
    variant: int | None = Field(None, ge=0, le=3, description="An A/B subject variant")


class CampaignPreview(BaseModel):
    subject: str
    html: str
    text: str


class TestSendIn(CampaignPreviewIn):
    email: str = Field(min_length=3, max_length=320)


class TestSent(BaseModel):
    outcome: Literal["sent", "retry", "failed"]
    error: str | None = None


class ScheduleIn(BaseModel):
    scheduled_at: datetime


class GenerationQueued(BaseModel):
    campaign_id: uuid.UUID
    generation_status: str


# --- unsubscribes and suppressions ---------------------------------------------------------


class SuppressionIn(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    reason: Literal["manual", "imported"] = "manual"
    note: str | None = Field(None, max_length=500)


class Suppression(_Row):
    suppression_id: uuid.UUID
    contact_id: uuid.UUID
    email: str | None = None
    reason: SuppressionReason
    note: str | None
    created_at: datetime


class Unsubscribe(_Row):
    unsubscribe_id: uuid.UUID
    contact_id: uuid.UUID
    email: str | None = None
    scope: UnsubscribeScope
    campaign_id: uuid.UUID | None
    audience_id: uuid.UUID | None
    source: str
    reason: str | None
    created_at: datetime


# --- reports -------------------------------------------------------------------------------


class DailyFigures(BaseModel):
    day: date
    sent: int
    delivered: int
    opens: int
    human_opens: int
    unique_opens: int
    clicks: int
    unique_clicks: int
    hard_bounces: int
    soft_bounces: int
    complaints: int
    unsubscribes: int
    refused: int


class LinkFigures(BaseModel):
    link_id: int
    url: str
    clicks: int
    unique_clicks: int


class RevenueFigure(BaseModel):
    currency: str | None
    amount: Decimal


class CampaignFigures(BaseModel):
    """A campaign's totals for the list of campaigns (the report has the detail)."""

    campaign_id: uuid.UUID
    sent: int
    delivered: int
    opens: int
    human_opens: int
    unique_opens: int
    clicks: int
    unique_clicks: int
    hard_bounces: int
    soft_bounces: int
    complaints: int
    unsubscribes: int
    refused: int
    leads: int
    won_leads: int
    revenue: list[RevenueFigure]


class EmailCampaignReport(BaseModel):
    campaign_id: uuid.UUID
    status: CampaignStatus
    generated: int
    exclusions: dict[str, int]
    sent: int
    delivered: int
    opens: int
    human_opens: int
    unique_opens: int
    clicks: int
    unique_clicks: int
    click_to_open: float | None
    hard_bounces: int
    soft_bounces: int
    complaints: int
    unsubscribes: int
    refused: int
    leads: int
    won_leads: int
    revenue: list[RevenueFigure]
    days: list[DailyFigures]
    links: list[LinkFigures]
