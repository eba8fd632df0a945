"""Lead capture (seed 001 scenario 2): a form submission becomes a lead, in one CRM
transaction — contact found or created (identity stitching), e-mail and phone normalized
and hashed, attribution from the converting session, score, first stage `new`, a timeline
entry, and an outbox message that marks the session converted and writes
`lead_attribution` in the BI database.

Duplicates are stored once: the same `Idempotency-Key`, or the same person (e-mail, else
phone) on the same page within `DUPLICATE_WINDOW`, returns the lead already stored.
Concurrent submissions of one person are serialized by a transaction-level advisory lock.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core import outbox
from rastro.core.errors import field_error
from rastro.core.ids import uuid7
from rastro.crm.models import Contact, Lead
from rastro.crm.service import activities, destinations, scoring, settings
from rastro.crm.service.identity import Email, Phone, normalize_email, normalize_phone
from rastro.crm.service.pipeline import StageChange, change_stage
from rastro.tracking.enrichment import url_key
from rastro.tracking.service.conversions import SessionFacts, session_facts

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
# Serializes one person's submissions (and, first, those sharing an idempotency key).
_LOCK_PERSON = text("SELECT pg_advisory_xact_lock(hashtextextended(:person, 0))")
_LOCK_KEY_AND_PERSON = text(
    "SELECT pg_advisory_xact_lock(hashtextextended(:key, 0)), "
    "pg_advisory_xact_lock(hashtextextended(:person, 0))"
)


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


@dataclass(frozen=True)
class Captured:
    lead: Lead
    duplicate: bool


def _form_key(submission: Submission, pages: dict[str, uuid.UUID]) -> str:
    if submission.page_id:
        return str(submission.page_id)
    if submission.page_url:
        key = url_key(submission.page_url)
        return str(pages.get(key, key))
    return submission.form_location or ""


async def _duplicate(
    session: AsyncSession, submission: Submission, email: Email | None, phone: Phone | None
) -> Lead | None:
    if submission.idempotency_key:
        found = await session.scalar(
            select(Lead).where(Lead.idempotency_key == submission.idempotency_key)
        )
        if found is not None:
            return found
    since = datetime.now(UTC) - DUPLICATE_WINDOW
    if email is not None:
        same_person = Lead.email == email.address
    elif phone is not None:
        same_person = Lead.phone == phone.e164
    else:
        return None
    recent = await session.execute(
        select(Lead.lead_id, Lead.metadata_["form_key"].astext)
        .where(same_person, Lead.created_at >= since)
        .order_by(Lead.created_at.desc())
    )
    key = _form_key(submission, {})
    for lead_id, form_key in recent:
        if form_key == key:
            return await session.get(Lead, lead_id)
    return None


async def _contact(
    session: AsyncSession, submission: Submission, email: Email | None, phone: Phone | None
) -> Contact:
    """The person's contact: by e-mail, else by phone; created when new. The visitor id
    joins the contact's known visitors, so the person's journey spans their browsers."""
    # The person by e-mail, else by phone (one query; an e-mail match wins).
    match = []
    if email is not None:
        match.append(Contact.email == email.address)
    if phone is not None:
        match.append(Contact.phone == phone.e164)
    candidates = list(
        await session.scalars(
            select(Contact).where(or_(*match)).order_by(Contact.created_at).limit(20)
        )
    )
    contact = next((c for c in candidates if email and c.email == email.address), None)
    if contact is None and candidates and phone is not None:
        contact = next((c for c in candidates if c.phone == phone.e164), None)
    if contact is None:
        contact = Contact(contact_id=uuid7(), visitor_ids=[])
        session.add(contact)
    if email is not None and contact.email is None:
        contact.email, contact.hashed_email = email.address, email.hashed
    if phone is not None and contact.phone is None:
        contact.phone, contact.hashed_phone = phone.e164, phone.hashed
    contact.name = contact.name or submission.name
    contact.company = contact.company or submission.company
    if submission.visitor_id and submission.visitor_id not in (contact.visitor_ids or []):
        contact.visitor_ids = [*(contact.visitor_ids or []), submission.visitor_id]
    await session.flush()  # no ORM relationships: rows referring to it are flushed after
    return contact


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
    crm: AsyncSession,
    bi: AsyncSession,
    organization_id: uuid.UUID,
    submission: Submission,
    *,
    pages: dict[str, uuid.UUID] | None = None,
    domain_id: uuid.UUID | None = None,
) -> Captured:
    """Store the submission as a lead (or return the duplicate already stored).

    `pages` maps landing-page URL keys to page ids (from the site key's domain); `crm` and
    `bi` are sessions scoped to `organization_id`. Raises 422 (field named) for an invalid
    e-mail or phone, or when neither is given.
    """
    if not submission.email and not submission.phone:
        raise field_error("email", "An e-mail or a phone is required.", kind="missing")
    rules = await settings.current(crm)
    email = normalize_email(submission.email) if submission.email else None
    phone = (
        normalize_phone(submission.phone, rules.default_country or "BR")
        if submission.phone
        else None
    )
    person = email.address if email else phone.e164 if phone else ""
    lock = f"lead-person:{organization_id}:{person}"
    if submission.idempotency_key:
        key = f"lead-key:{organization_id}:{submission.idempotency_key}"
        await crm.execute(_LOCK_KEY_AND_PERSON, {"key": key, "person": lock})
    else:
        await crm.execute(_LOCK_PERSON, {"person": lock})
    existing = await _duplicate(crm, submission, email, phone)
    if existing is not None:
        return Captured(existing, duplicate=True)

    pages = pages or {}
    page_id = submission.page_id
    if page_id is None and submission.page_url:
        page_id = pages.get(url_key(submission.page_url))
    facts = await session_facts(bi, submission.session_id) if submission.session_id else None
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

    contact = await _contact(
        crm,
        Submission(**{**submission.__dict__, "visitor_id": visitor_id}),
        email,
        phone,
    )
    breakdown = scoring.score(_signals(submission, email, phone, facts), rules.scoring_rules)
    metadata: dict[str, Any] = {
        "scoring": {k: v for k, v in breakdown.items() if k != "grade"},
        "form_key": _form_key(submission, pages),
    }
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
    if credited is not None:
        click_ids = {
            name: getattr(credited, name)
            for name in CLICK_ID_FIELDS
            if getattr(credited, name) is not None
        }
        if click_ids:
            metadata["click_ids"] = {**click_ids, "clicked_at": credited.created_at.isoformat()}

    lead = Lead(
        lead_id=uuid7(),
        contact_id=contact.contact_id,
        session_id=facts.session_id if facts else None,
        visitor_id=visitor_id,
        utm_tracking_id=credited.tracking_id if credited else None,
        page_id=page_id,
        domain_id=domain_id,
        external_id=submission.external_id,
        name=submission.name,
        email=email.address if email else None,
        hashed_email=email.hashed if email else None,
        company=submission.company,
        phone=phone.e164 if phone else None,
        hashed_phone=phone.hashed if phone else None,
        extensions=submission.extensions,
        message=submission.message,
        form_location=submission.form_location,
        lead_score=breakdown["grade"],
        is_business_email=email.is_business if email else None,
        email_domain=email.domain if email else None,
        time_to_conversion=int((now - facts.first_visit_at).total_seconds()) if facts else None,
        created_at=now,
        metadata_=metadata,
        current_stage="new",
        stage_changed_at=now,
        source=credited.utm_source if credited else None,
        medium=credited.utm_medium if credited else None,
        campaign=credited.utm_campaign if credited else None,
        channel=credited.channel if credited else None,
        attribution_status=status,
        idempotency_key=submission.idempotency_key,
    )
    crm.add(lead)
    await crm.flush()
    await change_stage(crm, lead, StageChange("new", changed_by="system"))
    activities.record(
        crm,
        "lead_created",
        f"Lead from {submission.form_location or submission.page_url or 'a form'}",
        lead_id=lead.lead_id,
        contact_id=contact.contact_id,
        data={"score": lead.lead_score, "channel": lead.channel, "attribution": status},
    )
    await destinations.schedule_pushes(crm, lead, "lead.created")
    await outbox.publish(
        crm,
        organization_id,
        LEAD_CONVERTED,
        {
            "lead_id": str(lead.lead_id),
            "session_id": lead.session_id,
            "visitor_id": visitor_id,
            "visitor_ids": list(contact.visitor_ids or []),
            "utm_tracking_id": str(lead.utm_tracking_id) if lead.utm_tracking_id else None,
            "converted_at": now.isoformat(),
        },
    )
    return Captured(lead, duplicate=False)
