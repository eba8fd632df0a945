"""Lead capture's database function, its input and output typed once: `rastro_capture_lead()`
(CRM migration 0010, `migrations/crm/sql/rastro_capture_lead_v1.sql`).

TypedDicts cost nothing at run time (capture builds plain dicts, orjson encodes them);
mypy checks that the code building the JSON and reading the result uses these names. Ids
go in as `uuid.UUID` and come back as strings; times go in as datetimes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, TypedDict, cast

import orjson

from rastro.core.units import AutocommitCall


class CaptureContact(TypedDict):
    """The person: created with these values when no contact has the e-mail (else the
    phone), otherwise only what the contact lacks is filled in and the visitor joined."""

    contact_id: uuid.UUID  # used only when the contact is new
    # The personal fields sealed, with their blind indexes (rastro.crm.sealed).
    email_encrypted: str | None
    email_index: str | None
    hashed_email: str | None
    phone_encrypted: str | None
    phone_index: str | None
    hashed_phone: str | None
    name_encrypted: str | None
    company_encrypted: str | None
    visitor_id: str | None
    # The search tokens of each field, for the fields the contact gets.
    terms: dict[str, list[str]]


class CaptureLead(TypedDict):
    """The `leads` row (the function adds the organization and the contact)."""

    lead_id: uuid.UUID
    session_id: str | None
    visitor_id: str | None
    utm_tracking_id: uuid.UUID | None
    page_id: uuid.UUID | None
    domain_id: uuid.UUID | None
    external_id: str | None
    name_encrypted: str | None
    email_encrypted: str | None
    email_index: str | None
    hashed_email: str | None
    company_encrypted: str | None
    phone_encrypted: str | None
    phone_index: str | None
    hashed_phone: str | None
    extensions: int | None
    message_encrypted: str | None
    form_location: str | None
    lead_score: str
    is_business_email: bool | None
    email_domain: str | None
    time_to_conversion: int | None
    created_at: datetime
    metadata_encrypted: str  # the metadata document, sealed ("leads.metadata")
    form_index: str | None  # blind index of the form's key (duplicates)
    form_fields_kept: bool
    current_stage: str
    stage_changed_at: datetime
    probability: int
    source: str | None
    medium: str | None
    campaign: str | None
    channel: str | None
    attribution_status: str
    idempotency_key: str | None


class CaptureStage(TypedDict):
    """The lead's first `lead_stages` row (its stage and probability are the lead's)."""

    stage_id: uuid.UUID


class CaptureActivityData(TypedDict):
    where: str | None  # the form's location or page, None: "a form"
    score: str
    channel: str | None
    attribution: str


class CaptureActivity(TypedDict):
    """The `lead_created` timeline entry, its summary and data sealed."""

    activity_id: uuid.UUID
    summary_encrypted: str
    data_encrypted: str


class LeadConverted(TypedDict):
    """The `crm.lead_converted` outbox message; the function adds `visitor_ids` (the
    contact's known visitors)."""

    lead_id: uuid.UUID
    session_id: str | None
    visitor_id: str | None
    utm_tracking_id: uuid.UUID | None
    converted_at: datetime


class CaptureOutbox(TypedDict):
    id: uuid.UUID
    topic: str
    payload: LeadConverted


class CaptureLeadCall(TypedDict):
    """One submission, every value prepared by `crm.service.capture`."""

    org: uuid.UUID
    lock_person: str  # advisory lock: one person's submissions queue behind each other
    lock_key: str | None  # advisory lock on the idempotency key, when there is one
    idempotency_key: str | None  # the same key returns the lead already stored
    form_index: str | None  # the same person on the same form within the window: a duplicate
    window_seconds: int
    contact: CaptureContact
    lead: CaptureLead
    lead_terms: list[str]  # the lead's search tokens
    stage: CaptureStage
    activity: CaptureActivity
    outbox: CaptureOutbox


class CapturedLead(TypedDict):
    """The lead stored, or the duplicate already stored (`duplicate`: nothing changed)."""

    lead_id: str
    contact_id: str
    duplicate: bool
    lead_score: str
    current_stage: str
    attribution_status: str
    utm_tracking_id: str | None
    time_to_conversion: int | None


def _capture_parameters(call: CaptureLeadCall) -> tuple[str]:
    return (orjson.dumps(call).decode(),)


def _captured(value: Any) -> CapturedLead:
    return cast(CapturedLead, value)


RASTRO_CAPTURE_LEAD: AutocommitCall[CaptureLeadCall, CapturedLead] = AutocommitCall(
    "SELECT rastro_capture_lead(%s::jsonb)", _capture_parameters, _captured
)
