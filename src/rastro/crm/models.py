"""Tables of the CRM module (seed 000 `leads`, `lead_stages`; seed 003 contacts, deals,
tasks, notes, activities).

History is append-only (stages, activities); current state (a lead's stage) is kept beside
it, written in the same transaction as the history row.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    delete,
    event,
    func,
    insert,
    inspect,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.engine import Connection
from sqlalchemy.orm import InstanceState, Mapped, mapped_column

from rastro.core.db import CrmBase, TenantMixin
from rastro.core.ids import uuid7
from rastro.core.personal import encrypted_document, encrypted_required_text, encrypted_text
from rastro.crm import sealed

STAGES = ("new", "qualified", "proposal", "negotiation", "won", "lost")
# Default probability per stage (EspoCRM-like), used when a change does not give one.
STAGE_PROBABILITY = {
    "new": 10,
    "qualified": 20,
    "proposal": 50,
    "negotiation": 80,
    "won": 100,
    "lost": 0,
}
LEAD_SCORES = ("A", "B", "C", "D")


def _org_fk(*, index: bool = True) -> Mapped[uuid.UUID]:
    """The owning organization. `index=False` where composite indexes of the table lead
    with it already (an index of its own would only cost every insert)."""
    return mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=index)


class CrmSettings(TenantMixin, CrmBase):
    """Per-organization CRM rules: phone country, attribution credit, scoring, stage maps."""

    __tablename__ = "crm_settings"
    __table_args__ = (
        Index(
            "uq_crm_settings_webhook_token_hash",
            "webhook_token_hash",
            unique=True,
            postgresql_where=text("webhook_token_hash IS NOT NULL"),
        ),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    default_country: Mapped[str] = mapped_column(String(2), server_default="BR")
    # Which touch of the converting session gets the credit: first_touch | last_touch.
    attribution_credit: Mapped[str] = mapped_column(String(20), server_default="first_touch")
    # Scoring rules (see rastro.crm.service.scoring.DEFAULT_RULES for the shape).
    scoring_rules: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    # Per inbound provider: their stage id or name -> our stage, e.g.
    # {"hubspot": {"closedwon": "won"}}.
    stage_mappings: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    # Inbound CRM webhooks: the SHA-256 of the organization's URL token (the token itself is
    # shown once), its last characters to recognise it, and when it was issued.
    webhook_token_hash: Mapped[str | None] = mapped_column(String(64))
    webhook_token_hint: Mapped[str | None] = mapped_column(String(8))
    webhook_token_rotated_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class Contact(TenantMixin, CrmBase):
    """One person per organization (unique e-mail), shared by the CRM and e-mail modules."""

    __tablename__ = "contacts"
    __table_args__ = (
        # One contact per e-mail: unique on the e-mail's blind index (rastro.crm.sealed).
        Index(
            "uq_contacts_organization_id_email_index",
            "organization_id",
            "email_index",
            unique=True,
            postgresql_where=text("email_index IS NOT NULL"),
        ),
        Index("ix_contacts_organization_id_phone_index", "organization_id", "phone_index"),
        Index("ix_contacts_organization_id_hashed_email", "organization_id", "hashed_email"),
    )

    contact_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = _org_fk(index=False)
    # E-mail, phone, name and company are stored encrypted (`<name>_encrypted` columns,
    # read and written as plain text); e-mail and phone have blind indexes for lookups.
    email: Mapped[str | None] = encrypted_text("contacts", "email")
    email_index: Mapped[str | None] = mapped_column(String(32))
    hashed_email: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = encrypted_text("contacts", "phone")
    phone_index: Mapped[str | None] = mapped_column(String(32))
    hashed_phone: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = encrypted_text("contacts", "name")
    company: Mapped[str | None] = encrypted_text("contacts", "company")
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Every tracker visitor id known for this person (identity stitching across devices).
    visitor_ids: Mapped[list[str]] = mapped_column(ARRAY(String(64)), server_default="{}")
    external_id: Mapped[str | None] = mapped_column(String(255))
    # Free-form JSON (what an API client or an import sends): stored encrypted.
    metadata_: Mapped[dict[str, Any]] = encrypted_document(
        "contacts", "metadata", attribute="metadata_"
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class Lead(TenantMixin, CrmBase):
    """A form submission (seed 000 `leads`), linked to its contact and attribution."""

    __tablename__ = "leads"
    __table_args__ = (
        # A person's leads by e-mail, newest first (lead capture's duplicate check).
        Index(
            "ix_leads_organization_id_email_index_created_at",
            "organization_id",
            "email_index",
            "created_at",
        ),
        Index("ix_leads_organization_id_session_id", "organization_id", "session_id"),
        Index("ix_leads_organization_id_external_id", "organization_id", "external_id"),
        Index("ix_leads_organization_id_stage", "organization_id", "current_stage", "created_at"),
        # A person's leads, newest first (lead capture's duplicate check, the contact page).
        Index("ix_leads_contact_id_created_at", "contact_id", "created_at"),
        Index(
            "ix_leads_organization_id_stage_changed_at",
            "organization_id",
            "current_stage",
            "stage_changed_at",
        ),
        # With lead_id, the list's page of ids is an index-only scan (deep pages too).
        Index(
            "ix_leads_organization_id_created_at_lead_id",
            "organization_id",
            "created_at",
            "lead_id",
        ),
        Index(
            "ix_leads_organization_id_score_created_at",
            "organization_id",
            "lead_score",
            "created_at",
            "lead_id",
        ),
        Index(
            "uq_leads_organization_id_idempotency_key",
            "organization_id",
            "idempotency_key",
            unique=True,
            postgresql_where=text("idempotency_key IS NOT NULL"),
        ),
        CheckConstraint("lead_score IN ('A','B','C','D')", name="lead_score_grade"),
    )

    lead_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = _org_fk(index=False)
    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contacts.contact_id", ondelete="RESTRICT")
    )
    # References into BI (no cross-database foreign keys; checked by the code).
    session_id: Mapped[str | None] = mapped_column(String(80))
    visitor_id: Mapped[str | None] = mapped_column(String(64))
    utm_tracking_id: Mapped[uuid.UUID | None]
    page_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("landing_pages.page_id", ondelete="SET NULL")
    )
    domain_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("domains.domain_id", ondelete="SET NULL")
    )
    external_id: Mapped[str | None] = mapped_column(String(255))
    # Encrypted like a contact's (see Contact), the message too.
    name: Mapped[str | None] = encrypted_text("leads", "name")
    email: Mapped[str | None] = encrypted_text("leads", "email")
    email_index: Mapped[str | None] = mapped_column(String(32))
    hashed_email: Mapped[str | None] = mapped_column(String(64))
    company: Mapped[str | None] = encrypted_text("leads", "company")
    phone: Mapped[str | None] = encrypted_text("leads", "phone")
    phone_index: Mapped[str | None] = mapped_column(String(32))
    hashed_phone: Mapped[str | None] = mapped_column(String(64))
    extensions: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str | None] = encrypted_text("leads", "message")
    form_location: Mapped[str | None] = mapped_column(String(500))
    lead_score: Mapped[str] = mapped_column(String(1))
    is_business_email: Mapped[bool | None]
    email_domain: Mapped[str | None] = mapped_column(String(255))
    time_to_conversion: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # The capture's context and the form's custom fields (free-form JSON): stored
    # encrypted. Beside it: the blind index of the form's key (a duplicate submission is
    # the same person on the same form) and whether custom fields are kept (the
    # anonymisation drops them).
    metadata_: Mapped[dict[str, Any]] = encrypted_document(
        "leads", "metadata", attribute="metadata_"
    )
    form_index: Mapped[str | None] = mapped_column(String(32))
    form_fields_kept: Mapped[bool] = mapped_column(server_default="false", default=False)
    # Derived from the history, kept beside it (written with each lead_stages row).
    current_stage: Mapped[str] = mapped_column(String(20), server_default="new")
    stage_changed_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # The latest known value and probability of the history (a change that gives no value
    # keeps the previous one): what the pipeline board sums.
    stage_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    probability: Mapped[int | None] = mapped_column(Integer)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Attribution snapshot for filtering (copied from the credited touch).
    source: Mapped[str | None] = mapped_column(String(255))
    medium: Mapped[str | None] = mapped_column(String(255))
    campaign: Mapped[str | None] = mapped_column(String(255))
    channel: Mapped[str | None] = mapped_column(String(40))
    # attributed | no_session | unknown_session (a session id that the BI does not know).
    attribution_status: Mapped[str] = mapped_column(String(20), server_default="no_session")
    idempotency_key: Mapped[str | None] = mapped_column(String(255))


class SearchTerm(TenantMixin, CrmBase):
    """The words of a lead's or contact's name, e-mail, company and phone, for `?q=` prefix
    search. Written by database triggers on `leads` and `contacts` (migration 0005).

    A word table rather than a full-text index: under row-level security PostgreSQL may only
    use an index for leakproof operators, which the text-search `@@` is not; the range
    comparisons of a "C"-collated column are.
    """

    __tablename__ = "crm_search_terms"
    # With record_id in the index, a search is an index-only range scan.
    __table_args__ = (
        Index(
            "ix_crm_search_terms_organization_id_term_record_id",
            "organization_id",
            "term",
            "record_id",
        ),
    )

    record_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # a lead_id or contact_id
    term: Mapped[str] = mapped_column(String(100, collation="C"), primary_key=True)
    # No foreign key: the words go with their lead or contact (the delete trigger), and a
    # key check per word made lead capture's inserts twice as slow. No index of its own:
    # the one above leads with it.
    organization_id: Mapped[uuid.UUID] = mapped_column()


class LeadStage(TenantMixin, CrmBase):
    """One change of a lead's stage (seed 000 `lead_stages`), append-only."""

    __tablename__ = "lead_stages"
    __table_args__ = (
        Index("ix_lead_stages_lead_id_created_at", "lead_id", "created_at"),
        Index("ix_lead_stages_organization_id_stage_name", "organization_id", "stage_name"),
        Index(
            "uq_lead_stages_organization_id_external_event_id",
            "organization_id",
            "external_event_id",
            unique=True,
            postgresql_where=text("external_event_id IS NOT NULL"),
        ),
    )

    stage_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = _org_fk(index=False)
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.lead_id", ondelete="CASCADE"))
    stage_name: Mapped[str] = mapped_column(String(20))
    stage_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    probability: Mapped[int | None] = mapped_column(Integer)
    changed_by: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str | None] = encrypted_text("lead_stages", "reason")
    # Where the change came from: system | ui | api | webhook:<provider>.
    source: Mapped[str] = mapped_column(String(40), server_default="system")
    # The delivery that caused it (inbound webhooks), so a replay is applied once.
    external_event_id: Mapped[str | None] = mapped_column(String(255))
    close_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Deal(TenantMixin, CrmBase):
    """A sales opportunity (seed 003 deals)."""

    __tablename__ = "deals"
    __table_args__ = (
        Index("ix_deals_organization_id_stage", "organization_id", "stage"),
        Index("ix_deals_lead_id", "lead_id"),
        Index("ix_deals_contact_id", "contact_id"),
        CheckConstraint(
            "coalesce(affiliate_commission, 0) >= 0 AND coalesce(refunded_amount, 0) >= 0"
            " AND coalesce(chargeback_amount, 0) >= 0"
            " AND (refunded_amount IS NULL) = (refunded_at IS NULL)"
            " AND (chargeback_amount IS NULL) = (chargeback_at IS NULL)",
            name="sale_amounts",
        ),
    )

    deal_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    lead_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("leads.lead_id", ondelete="SET NULL")
    )
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.contact_id", ondelete="SET NULL")
    )
    name: Mapped[str] = encrypted_required_text("deals", "name")  # often the person's name
    value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3), server_default="BRL")
    stage: Mapped[str] = mapped_column(String(20), server_default="new")
    probability: Mapped[int | None] = mapped_column(Integer)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expected_close_date: Mapped[date | None] = mapped_column(Date)
    closed_at: Mapped[datetime | None]
    external_id: Mapped[str | None] = mapped_column(String(255))
    # The sale (read by the profit reports): what was sold, how it was paid, the affiliate's
    # commission when the sale names one, and money given back (a refund, a chargeback),
    # each with its date: it counts against the campaign that earned the sale.
    product: Mapped[str | None] = mapped_column(String(255))
    payment_method: Mapped[str | None] = mapped_column(String(40))
    affiliate_commission: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    refunded_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    refunded_at: Mapped[datetime | None]
    chargeback_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    chargeback_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class Task(TenantMixin, CrmBase):
    """Something to do about a lead, contact or deal (seed 003 tasks)."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index(
            "ix_tasks_organization_id_assignee_id_done", "organization_id", "assignee_id", "done"
        ),
        Index("ix_tasks_lead_id", "lead_id"),
    )

    task_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    lead_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("leads.lead_id", ondelete="CASCADE")
    )
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.contact_id", ondelete="CASCADE")
    )
    deal_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("deals.deal_id", ondelete="CASCADE")
    )
    title: Mapped[str] = encrypted_required_text("tasks", "title")
    description: Mapped[str | None] = encrypted_text("tasks", "description")
    due_at: Mapped[datetime | None]
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    done: Mapped[bool] = mapped_column(server_default="false")
    done_at: Mapped[datetime | None]
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Note(TenantMixin, CrmBase):
    """A free-text note on a lead, contact or deal (seed 003 notes)."""

    __tablename__ = "notes"
    __table_args__ = (
        Index("ix_notes_lead_id", "lead_id"),
        Index("ix_notes_contact_id", "contact_id"),
    )

    note_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    lead_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("leads.lead_id", ondelete="CASCADE")
    )
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.contact_id", ondelete="CASCADE")
    )
    deal_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("deals.deal_id", ondelete="CASCADE")
    )
    body: Mapped[str] = encrypted_required_text("notes", "body")
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Activity(TenantMixin, CrmBase):
    """One entry of a contact's or lead's timeline (seed 003 activities), append-only."""

    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_lead_id_created_at", "lead_id", "created_at"),
        Index("ix_activities_contact_id_created_at", "contact_id", "created_at"),
    )

    activity_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    lead_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("leads.lead_id", ondelete="CASCADE")
    )
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.contact_id", ondelete="CASCADE")
    )
    deal_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("deals.deal_id", ondelete="CASCADE")
    )
    # lead_created, stage_changed, note_added, task_created, task_done, deal_created,
    # deal_updated, integration_sent, integration_failed, webhook_received, ...
    activity_type: Mapped[str] = mapped_column(String(40))
    # The summary and data quote what changed (names, e-mails, free text): encrypted.
    summary: Mapped[str] = encrypted_required_text("activities", "summary")
    actor: Mapped[str] = mapped_column(String(255), server_default="system")
    data: Mapped[dict[str, Any]] = encrypted_document("activities", "data")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


# --- personal fields: blind indexes and search tokens (rastro.crm.sealed) ----------------


def _set_indexes(_mapper: Any, _connection: Connection, target: Contact | Lead) -> None:
    for name, value in sealed.index_values(target.email, target.phone).items():
        setattr(target, name, value)


def _write_terms(record_id: uuid.UUID, target: Contact | Lead, connection: Connection) -> None:
    table = cast(Table, SearchTerm.__table__)
    connection.execute(delete(table).where(table.c.record_id == record_id))
    tokens = sealed.terms({field: getattr(target, field) for field in sealed.SEARCHED})
    if tokens:
        connection.execute(
            insert(table),
            [
                {"record_id": record_id, "term": token, "organization_id": target.organization_id}
                for token in tokens
            ],
        )


def _searched_changed(target: Contact | Lead) -> bool:
    state: InstanceState[Any] = inspect(target)
    return any(state.attrs[field].history.has_changes() for field in sealed.SEARCHED)


def _after_insert(_mapper: Any, connection: Connection, target: Contact | Lead) -> None:
    record_id = target.contact_id if isinstance(target, Contact) else target.lead_id
    _write_terms(record_id, target, connection)


def _after_update(_mapper: Any, connection: Connection, target: Contact | Lead) -> None:
    if _searched_changed(target):
        _after_insert(_mapper, connection, target)


for _model in (Contact, Lead):
    event.listen(_model, "before_insert", _set_indexes)
    event.listen(_model, "before_update", _set_indexes)
    event.listen(_model, "after_insert", _after_insert)
    event.listen(_model, "after_update", _after_update)
