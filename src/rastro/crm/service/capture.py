"""Lead capture (seed 001 scenario 2): a form submission becomes a lead, in one CRM
transaction — contact found or created (identity stitching), e-mail and phone normalized
and hashed, attribution from the converting session, score, first stage `new`, a timeline
entry, and an outbox message that marks the session converted, writes `lead_attribution`
in the BI database and queues the lead's pushes to the CRM destinations.

Python validates, normalizes, hashes, scores and picks the credited touch; the writes are
one call of the CRM function `rastro_capture_lead()` (migration 0010, typed in
`crm/contracts.py`) and the session's facts one call of the BI function
`rastro_session_facts()`, each one round trip on a plain connection — the ORM's unit of
work cost several times more than the rest of the request. Each call is its own
transaction: an `AutocommitCall` through the boundaries the endpoint hands in.

Duplicates are stored once: the same `Idempotency-Key`, or the same person (e-mail, else
phone) on the same form within `DUPLICATE_WINDOW`, returns the lead already stored.
Concurrent submissions of one person are serialized by transaction-level advisory locks.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from rastro.core.db import Scope
from rastro.core.errors import field_error
from rastro.core.ids import uuid7
from rastro.core.personal import blind_index, seal, seal_json, word_tokens
from rastro.core.units import TransactionBoundary
from rastro.crm.contracts import (
    RASTRO_CAPTURE_LEAD,
    CaptureActivityData,
    CaptureLead,
    CaptureLeadCall,
)
from rastro.crm.models import STAGE_PROBABILITY
from rastro.crm.schemas import LeadWarning
from rastro.crm.sealed import field_words, index_values, sealed, terms
from rastro.crm.service import scoring, settings
from rastro.crm.service.identity import INVALID_PHONE, Email, Phone, normalize_email, parse_phone
from rastro.tracking.service import config
from rastro.tracking.service.conversions import SessionFacts, session_facts
from rastro.tracking.service.sites import landing_page_key

DUPLICATE_WINDOW = timedelta(minutes=10)
# Copied from the credited touch into `lead.metadata["click_ids"]` (with the click's time),
# so that a later sale can be sent to the ad platforms without reading the BI database.
CLICK_ID_FIELDS = (
    "gclid",
    "gbraid",
    "wbraid",
    "fbclid",
    "fbc",
    "fbp",
    "ttclid",
    "li_fat_id",
    "msclkid",
)
LEAD_CONVERTED = "crm.lead_converted"
PAID_MEDIUMS = frozenset({"cpc", "ppc", "paid", "paidsearch", "paid_social", "cpm", "display"})


@dataclass
class Submission:
    """What a form (or a server) sent; strings already length-checked by the API."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    message: str | None = None
    extensions: int | None = None
    form_location: str | None = None
    page_url: str | None = None
    page_id: uuid.UUID | None = None
    session_id: str | None = None
    visitor_id: str | None = None
    external_id: str | None = None
    idempotency_key: str | None = None
    # UTMs / click ids from the tracker's hidden fields (kept as submitted, for reference).
    attribution: dict[str, str] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)  # any other form field
    qualification: dict[str, Any] | None = None
    # The person's consent (`tracking.service.consent`); None: the site does not ask.
    consent: dict[str, bool] | None = None


@dataclass(frozen=True)
class Captured:
    lead_id: uuid.UUID
    contact_id: uuid.UUID
    duplicate: bool
    lead_score: str
    current_stage: str
    attribution_status: str
    utm_tracking_id: uuid.UUID | None
    time_to_conversion: int | None
    warnings: tuple[LeadWarning, ...] = ()  # what the lead was stored without


def _form_key(submission: Submission, pages: dict[str, uuid.UUID]) -> str:
    if submission.page_id:
        return str(submission.page_id)
    if submission.page_url:
        key = landing_page_key(submission.page_url)
        return str(pages.get(key, key))
    return submission.form_location or ""


def _signals(
    submission: Submission, email: Email | None, phone: Phone | None, facts: SessionFacts | None
) -> scoring.Signals:
    touch = facts.first_touch if facts else None
    paid = bool(
        touch
        and (
            touch.gclid
            or touch.gbraid
            or touch.wbraid
            or touch.fbclid
            or touch.ttclid
            or touch.li_fat_id
            or touch.msclkid
            or (touch.utm_medium or "").lower() in PAID_MEDIUMS
        )
    )
    return scoring.Signals(
        has_name=bool(submission.name),
        has_email=email is not None,
        has_phone=phone is not None,
        business_email=bool(email and email.is_business),
        disposable_email=bool(email and email.is_disposable),
        has_company=bool(submission.company),
        has_message=bool(submission.message),
        page_views=facts.total_page_views if facts else 0,
        events=facts.total_events if facts else 0,
        seconds_on_site=facts.seconds_on_site if facts else 0,
        returning=bool(facts and facts.return_visits > 0),
        paid_click=paid,
    )


async def capture(
    crm: TransactionBoundary,
    bi: TransactionBoundary,
    organization_id: uuid.UUID,
    submission: Submission,
    *,
    pages: dict[str, uuid.UUID] | None = None,
    domain_id: uuid.UUID | None = None,
) -> Captured:
    """Store the submission as a lead (or return the duplicate already stored); committed
    when this returns (one `AutocommitCall` through `crm`; the session's facts, one through
    `bi`).

    `pages` maps landing-page URL keys to page ids (from the site key's domain). Raises 422
    (field named) for an invalid e-mail, when neither e-mail nor phone is given, or for an
    invalid phone without an e-mail; with a valid e-mail, an invalid phone is left out of
    the lead and reported in `Captured.warnings`.
    """
    if not submission.email and not submission.phone:
        raise field_error("email", "An e-mail or a phone is required.", kind="missing")
    rules = await settings.cached(crm, organization_id)
    email = normalize_email(submission.email) if submission.email else None
    phone = (
        parse_phone(submission.phone, rules.default_country or "BR") if submission.phone else None
    )
    warnings: tuple[LeadWarning, ...] = ()
    if submission.phone and phone is None:
        if email is None:
            raise field_error("phone", INVALID_PHONE)
        warnings = (
            LeadWarning(loc="phone", message=f"{INVALID_PHONE} The lead was stored without it."),
        )
    if submission.page_id is not None:  # another organization's page is refused as unknown
        async with crm.unit(Scope.organization(organization_id)) as session:
            await config.check_landing_page(session, submission.page_id)
    pages = pages or {}
    page_id = submission.page_id
    if page_id is None and submission.page_url:
        page_id = pages.get(landing_page_key(submission.page_url))
    facts = None
    if submission.session_id:
        facts = await session_facts(bi, organization_id, submission.session_id)
    status = (
        "no_session" if not submission.session_id else "attributed" if facts else "unknown_session"
    )
    credited = None
    if facts is not None:
        credited = (
            facts.last_touch if rules.attribution_credit == "last_touch" else facts.first_touch
        )
        if domain_id is None:
            domain_id = facts.domain_id
    visitor_id = facts.visitor_id if facts else submission.visitor_id
    now = datetime.now(UTC)

    breakdown = scoring.score(_signals(submission, email, phone, facts), rules.scoring_rules)
    form_key = _form_key(submission, pages)
    form_index = blind_index("form", form_key)
    metadata: dict[str, Any] = {
        "scoring": {k: v for k, v in breakdown.items() if k != "grade"},
        "form_key": form_key,
    }
    if submission.consent is not None:
        metadata["consent"] = submission.consent
    if submission.qualification:
        metadata["qualification"] = submission.qualification
    if submission.fields:
        metadata["form"] = submission.fields
    if submission.attribution:
        metadata["submitted_attribution"] = submission.attribution
    if submission.session_id and facts is None:
        metadata["unknown_session_id"] = submission.session_id
    if submission.page_url:
        metadata["page_url"] = submission.page_url
    if warnings:
        metadata["invalid_fields"] = [warning.loc for warning in warnings]
    if credited is not None:
        # The rule that chose the credited touch, kept with the lead (the setting may change).
        metadata["attribution_credit"] = rules.attribution_credit
        click_ids = {
            name: getattr(credited, name)
            for name in CLICK_ID_FIELDS
            if getattr(credited, name) is not None
        }
        if click_ids:
            metadata["click_ids"] = {**click_ids, "clicked_at": credited.created_at.isoformat()}

    lead_id = uuid7()
    session_id = facts.session_id if facts else None
    address = email.address if email else None
    e164 = phone.e164 if phone else None
    indexes = index_values(address, e164)
    plain = {
        "email": address,
        "phone": e164,
        "name": submission.name,
        "company": submission.company,
    }
    lead: CaptureLead = {
        "lead_id": lead_id,
        "session_id": session_id,
        "visitor_id": visitor_id,
        "utm_tracking_id": credited.tracking_id if credited else None,
        "page_id": page_id,
        "domain_id": domain_id,
        "external_id": submission.external_id,
        "name_encrypted": sealed("leads", "name", submission.name),
        "email_encrypted": sealed("leads", "email", address),
        "email_index": indexes["email_index"],
        "hashed_email": email.hashed if email else None,
        "company_encrypted": sealed("leads", "company", submission.company),
        "phone_encrypted": sealed("leads", "phone", e164),
        "phone_index": indexes["phone_index"],
        "hashed_phone": phone.hashed if phone else None,
        "extensions": submission.extensions,
        "message_encrypted": sealed("leads", "message", submission.message),
        "form_location": submission.form_location,
        "lead_score": breakdown["grade"],
        "is_business_email": email.is_business if email else None,
        "email_domain": email.domain if email else None,
        "time_to_conversion": (
            int((now - facts.first_visit_at).total_seconds()) if facts else None
        ),
        "created_at": now,
        "metadata_encrypted": seal_json(metadata, context="leads.metadata"),
        "form_index": form_index,
        "form_fields_kept": "form" in metadata,
        "current_stage": "new",
        "stage_changed_at": now,
        "probability": STAGE_PROBABILITY["new"],
        "source": credited.utm_source if credited else None,
        "medium": credited.utm_medium if credited else None,
        "campaign": credited.utm_campaign if credited else None,
        "channel": credited.channel if credited else None,
        "attribution_status": status,
        "idempotency_key": submission.idempotency_key,
    }
    activity_data: CaptureActivityData = {
        # Where the form was (its location or page), None for "a form".
        "where": (submission.form_location or submission.page_url or None),
        "score": breakdown["grade"],
        "channel": lead["channel"],
        "attribution": status,
    }
    person = indexes["email_index"] or indexes["phone_index"] or ""
    key = submission.idempotency_key
    where = submission.form_location or submission.page_url or "a form"
    call: CaptureLeadCall = {
        "org": organization_id,
        "lock_person": f"lead-person:{organization_id}:{person}",
        "lock_key": f"lead-key:{organization_id}:{key}" if key else None,
        "idempotency_key": key,
        "form_index": form_index,
        "window_seconds": int(DUPLICATE_WINDOW.total_seconds()),
        "contact": {
            "contact_id": uuid7(),
            "email_encrypted": sealed("contacts", "email", address),
            "email_index": indexes["email_index"],
            "hashed_email": email.hashed if email else None,
            "phone_encrypted": sealed("contacts", "phone", e164),
            "phone_index": indexes["phone_index"],
            "hashed_phone": phone.hashed if phone else None,
            "name_encrypted": sealed("contacts", "name", submission.name),
            "company_encrypted": sealed("contacts", "company", submission.company),
            "visitor_id": visitor_id,
            "terms": {part: word_tokens(field_words(part, value)) for part, value in plain.items()},
        },
        "lead": lead,
        "lead_terms": terms(plain),
        "stage": {"stage_id": uuid7()},
        "activity": {
            "activity_id": uuid7(),
            "summary_encrypted": seal(f"Lead from {where}"[:500], context="activities.summary"),
            "data_encrypted": seal_json(activity_data, context="activities.data"),
        },
        "outbox": {
            "id": uuid7(),
            "topic": LEAD_CONVERTED,
            "payload": {
                "lead_id": lead_id,
                "session_id": session_id,
                "visitor_id": visitor_id,
                "utm_tracking_id": lead["utm_tracking_id"],
                "converted_at": now,
            },
        },
    }
    stored = await crm.call(RASTRO_CAPTURE_LEAD, call)
    tracking_id = stored["utm_tracking_id"]
    return Captured(
        lead_id=uuid.UUID(stored["lead_id"]),
        contact_id=uuid.UUID(stored["contact_id"]),
        duplicate=stored["duplicate"],
        lead_score=stored["lead_score"],
        current_stage=stored["current_stage"],
        attribution_status=stored["attribution_status"],
        utm_tracking_id=uuid.UUID(tracking_id) if tracking_id else None,
        time_to_conversion=stored["time_to_conversion"],
        warnings=warnings,
    )
