"""What other modules read of the CRM, and hand it: plain frozen values, never ORM rows
(re-exported by `rastro.crm.schemas`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict


@dataclass(frozen=True, slots=True)
class LeadConversionFacts:
    """What the conversions module needs of a lead to record and deliver its sales."""

    lead_id: uuid.UUID
    organization_id: uuid.UUID
    contact_id: uuid.UUID
    name: str | None
    email: str | None  # normalized as capture stores it: trimmed, lower-cased
    phone: str | None  # E.164 with `+`
    # The credited touch's UTMs, copied on the lead at capture.
    source: str | None
    medium: str | None
    campaign: str | None
    utm_tracking_id: uuid.UUID | None  # the credited touch
    visitor_id: str | None  # the tracker's visitor id (None: the lead was never tracked)
    stage_value: Decimal | None
    page_url: str | None  # the page the form was sent from
    # The credited touch's click ids (gclid, fbclid, ...) and when that click happened.
    click_ids: Mapping[str, str]
    clicked_at: datetime | None
    # UTMs and click ids as the tracker's hidden fields submitted them, and the form's
    # other fields.
    submitted_attribution: Mapping[str, Any]
    form_fields: Mapping[str, Any]
    # The person's consent at capture (analytics, ad_user_data, ad_personalization); None
    # when the site does not ask for consent.
    consent: Mapping[str, bool] | None = None


@dataclass(frozen=True, slots=True)
class LeadOutcome:
    """What the analytics module copies of a lead: when it came, through which touch, and
    how far it went (first reached a qualified-or-later stage, won, lost) with its value."""

    lead_id: uuid.UUID
    created_at: datetime
    session_id: str | None
    visitor_ids: tuple[str, ...]  # the lead's visitor first, then its contact's others
    utm_tracking_id: uuid.UUID | None  # the credited touch
    domain_id: uuid.UUID | None
    page_id: uuid.UUID | None
    # The attribution snapshot copied on the lead at capture (used when no touch is known).
    source: str | None
    medium: str | None
    campaign: str | None
    channel: str | None
    score: str  # A..D
    time_to_conversion: int | None  # seconds from the first touch to the lead
    stage: str
    qualified_at: datetime | None
    won_at: datetime | None
    lost_at: datetime | None
    value: Decimal | None  # the lead's value
    # The currency of the lead's won deal (an outside CRM's deal may be in another one);
    # None: the organization's.
    currency: str | None
    # The sale as its won deal (the latest closed) records it: None where not given.
    product: str | None = None
    payment_method: str | None = None
    affiliate_commission: Decimal | None = None
    refunded_amount: Decimal | None = None
    refunded_at: datetime | None = None
    chargeback_amount: Decimal | None = None
    chargeback_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LeadStageChanged:
    """A lead's move through the pipeline, as `pipeline.on_stage_changed` listeners get it."""

    organization_id: uuid.UUID
    lead_id: uuid.UUID
    contact_id: uuid.UUID
    stage_id: uuid.UUID  # the new row of the lead's stage history
    previous_stage: str  # equal to `stage_name` when the change kept the stage
    stage_name: str
    stage_value: Decimal | None  # the value the change carried (None: it carried none)
    lead_value: Decimal | None  # the lead's value after the change (in the org's currency)
    probability: int | None
    changed_by: str
    source: str  # system | ui | api | webhook:<provider>
    reason: str | None
    close_date: date | None
    changed_at: datetime


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class LeadForPush(Frozen):
    """A lead as a push to a CRM or webhook sends it (the contact's details fill the gaps)."""

    lead_id: uuid.UUID
    organization_id: uuid.UUID
    email: str | None
    name: str | None
    phone: str | None
    company: str | None
    message: str | None
    form_location: str | None
    lead_score: str
    current_stage: str
    stage_value: Decimal | None  # of the latest stage change
    source: str | None
    medium: str | None
    campaign: str | None
    channel: str | None
    session_id: str | None
    visitor_id: str | None
    utm_tracking_id: uuid.UUID | None
    created_at: datetime


class CrmDealChange(Frozen):
    """A change of a deal reported by an outside CRM (an inbound webhook), in our terms
    except for the stage, which the caller has mapped."""

    provider: str  # hubspot | pipedrive | rdstation | generic
    event_id: str
    record_id: str | None = None
    their_stage: str | None = None  # as the provider sent it
    value: Decimal | None = None
    currency: str | None = None
    close_date: date | None = None
    sales_rep: str | None = None
    reason: str | None = None
    deal_name: str | None = None


class ExternalSale(Frozen):
    """A sale made outside the pipeline (a funnel's checkout, a checkout platform's order),
    to be recorded on its lead as a won deal (`service.sales.record_sale`)."""

    origin: str  # who sold, as the timeline shows it: "checkout", "hotmart", ...
    external_id: str  # the sale's own id, e.g. "payment:<uuid>": one deal per sale
    value: Decimal
    currency: str
    sold_at: datetime
    product: str | None = None
    payment_method: str | None = None
    refunded_at: datetime | None = None  # the whole value given back then
    chargeback_at: datetime | None = None


class WebhookTokenState(Frozen):
    """The organization's inbound webhook URL token, as far as it may be shown again."""

    configured: bool
    hint: str | None
    rotated_at: datetime | None
