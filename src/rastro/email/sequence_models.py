"""Sequences (automation), CRM database: an event-triggered series of e-mails
(`email_sequences`), its steps in order with a wait and a condition each
(`email_sequence_steps`), and who is going through it (`email_sequence_enrollments`, one
per sequence, contact and trigger occurrence — a lead, a stage change, a PIX charge, an
abandoned checkout: a trigger delivered twice enrolls once; a new occurrence enrolls again
as the sequence's `reentry` allows).

Each step sends through its own campaign row (`email_campaigns`, status `sending`, never
listed with the campaigns): its messages, links, events and daily aggregates are the
campaign machinery's, so suppression, unsubscribe, tracking links, opens, clicks and the
revenue attributed by `mid`/`rid` work per step unchanged; a step's message is unique per
enrollment (`email_messages.enrollment_id`), so a contact who enters again gets the
series again."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from rastro.core.db import CrmBase, TenantMixin
from rastro.core.ids import uuid7

SEQUENCE_TRIGGERS = (
    "lead_created",
    "stage_changed",
    "deal_won",
    "pix_unpaid",
    "checkout_abandoned",
)
SEQUENCE_STATUSES = ("draft", "active", "paused")
ENROLLMENT_STATUSES = ("active", "completed", "exited")
# Why an enrollment ended early: the lead replied, moved to an exit stage, was won, the
# contact unsubscribed or cannot receive mail, the PIX was paid, a step's condition said
# so, or a person ended it.
EXIT_REASONS = (
    "replied",
    "stage",
    "won",
    "unsubscribed",
    "suppressed",
    "paid",
    "condition",
    "manual",
)
OTHERWISE = ("skip", "exit")
# Whether a contact enters again on a new trigger occurrence: never (one enrollment per
# contact), once the previous one ended (completed or exited), or always (several at once,
# e.g. one recovery per unpaid PIX).
REENTRY = ("never", "after_exit", "always")


def _known(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    listed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({listed})", name=name)


class Sequence(TenantMixin, CrmBase):
    """An automation: what starts it (`trigger`, with the stage of `stage_changed` or the
    minutes a PIX stays unpaid for `pix_unpaid`), who sends it, and what ends it early
    (a reply, a move to one of `exit_stages`; an unsubscribe always does)."""

    __tablename__ = "email_sequences"
    __table_args__ = (
        _known("trigger", SEQUENCE_TRIGGERS, "trigger_known"),
        _known("status", SEQUENCE_STATUSES, "status_known"),
        _known("reentry", REENTRY, "reentry_known"),
        CheckConstraint(
            "trigger <> 'stage_changed' OR trigger_stage IS NOT NULL", name="stage_given"
        ),
        Index("ix_email_sequences_organization_id_trigger", "organization_id", "trigger"),
    )

    sequence_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(200))
    trigger: Mapped[str] = mapped_column(String(20))
    trigger_stage: Mapped[str | None] = mapped_column(String(20))
    trigger_minutes: Mapped[int] = mapped_column(Integer, server_default="0")
    status: Mapped[str] = mapped_column(String(10), server_default="draft")
    exit_on_reply: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    exit_stages: Mapped[list[str]] = mapped_column(ARRAY(String(20)), server_default="{}")
    reentry: Mapped[str] = mapped_column(String(10), server_default="after_exit")
    from_name: Mapped[str] = mapped_column(String(200))
    from_address: Mapped[str] = mapped_column(String(320))
    reply_to: Mapped[str | None] = mapped_column(String(320))
    sender_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("email_senders.sender_id", ondelete="SET NULL")
    )
    activated_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class SequenceStep(TenantMixin, CrmBase):
    """One e-mail of a sequence: sent `wait_minutes` after the previous step ran (after
    the enrollment for the first), when `condition` holds; otherwise skipped or the end
    of the enrollment (`otherwise`). Its content and figures are its campaign's."""

    __tablename__ = "email_sequence_steps"
    __table_args__ = (
        UniqueConstraint("sequence_id", "position", deferrable=True, initially="DEFERRED"),
        UniqueConstraint("campaign_id"),
        _known("otherwise", OTHERWISE, "otherwise_known"),
        CheckConstraint("wait_minutes >= 0", name="wait_not_negative"),
        CheckConstraint("position >= 1", name="position_positive"),
    )

    step_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    sequence_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("email_sequences.sequence_id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer)
    wait_minutes: Mapped[int] = mapped_column(Integer, server_default="0")
    # None: always; else {"kind": "stage" | "score" | "tag" | "previous_email", ...}.
    condition: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    otherwise: Mapped[str] = mapped_column(String(10), server_default="skip")
    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("email_campaigns.campaign_id", ondelete="RESTRICT")
    )
    # Enrollments that passed this step without its e-mail (condition false, `skip`).
    skipped: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Enrollment(TenantMixin, CrmBase):
    """A contact going through a sequence: the next step to run (`position`) and when
    (`next_run_at`), until it is `completed` or `exited` (with the reason and the step it
    was at). Unique per sequence, contact and trigger `occurrence` (`''`: the sequence's
    only one for the contact, under `reentry = never`, and every enrollment made before
    re-entry existed); at most one active per sequence and contact unless `overlapping`
    (made under `reentry = always`)."""

    __tablename__ = "email_sequence_enrollments"
    __table_args__ = (
        UniqueConstraint("sequence_id", "contact_id", "occurrence"),
        Index(
            "uq_email_sequence_enrollments_one_active",
            "sequence_id",
            "contact_id",
            unique=True,
            postgresql_where=text("status = 'active' AND NOT overlapping"),
        ),
        _known("status", ENROLLMENT_STATUSES, "status_known"),
        CheckConstraint(
            "exit_reason IS NULL OR exit_reason IN ("
            + ", ".join(f"'{reason}'" for reason in EXIT_REASONS)
            + ")",
            name="exit_reason_known",
        ),
        Index(
            "ix_email_sequence_enrollments_due",
            "next_run_at",
            postgresql_where=text("status = 'active'"),
        ),
        Index("ix_email_sequence_enrollments_contact_id", "contact_id"),
        Index(
            "ix_email_sequence_enrollments_source_ref",
            "source_ref",
            postgresql_where=text("source_ref IS NOT NULL"),
        ),
    )

    enrollment_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    sequence_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("email_sequences.sequence_id", ondelete="CASCADE")
    )
    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("email_contacts.contact_id", ondelete="CASCADE")
    )
    lead_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("leads.lead_id", ondelete="SET NULL")
    )
    # What enrolled it beyond the lead (the PIX payment's id for `pix_unpaid`).
    source_ref: Mapped[str | None] = mapped_column(String(64))
    # The trigger occurrence (`lead:<id>`, `stage:<stage change id>`, `payment:<id>`,
    # `checkout:<ref>`), so a redelivered trigger enrolls once.
    occurrence: Mapped[str] = mapped_column(String(80), server_default="")
    overlapping: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # Merge fields the trigger carried for this contact's e-mails (a recovery's
    # `resume_url`, `product_name`, `amount`, `pix_copy_paste`), copied onto each message.
    fields: Mapped[dict[str, str]] = mapped_column(JSONB, server_default="{}")
    position: Mapped[int] = mapped_column(Integer, server_default="1")
    next_run_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(10), server_default="active")
    exit_reason: Mapped[str | None] = mapped_column(String(20))
    enrolled_at: Mapped[datetime] = mapped_column(server_default=func.now())
    finished_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
