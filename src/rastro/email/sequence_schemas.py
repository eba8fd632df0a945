"""Request and response bodies of the sequences (`/api/email/sequences`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from rastro.crm.schemas import Stage
from rastro.email.schemas import RevenueFigure

SequenceTrigger = Literal[
    "lead_created", "stage_changed", "deal_won", "pix_unpaid", "checkout_abandoned"
]
SequenceStatus = Literal["draft", "active", "paused"]
EnrollmentStatus = Literal["active", "completed", "exited"]
Reentry = Literal["never", "after_exit", "always"]
ExitReason = Literal[
    "replied", "stage", "won", "unsubscribed", "suppressed", "paid", "condition", "manual"
]
Grade = Literal["A", "B", "C", "D"]

MAX_WAIT_MINUTES = 365 * 24 * 60


class _Row(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- conditions ------------------------------------------------------------------------------


class SequenceStageCondition(BaseModel):
    """The lead is (or, `negate`, is not) in one of `stages`."""

    kind: Literal["stage"]
    stages: list[Stage] = Field(min_length=1, max_length=6)
    negate: bool = False


class SequenceScoreCondition(BaseModel):
    """The lead's score grade is one of `grades` (A best … D)."""

    kind: Literal["score"]
    grades: list[Grade] = Field(min_length=1, max_length=4)


class SequenceTagCondition(BaseModel):
    """The contact has (or, `negate`, lacks) the tag."""

    kind: Literal["tag"]
    tag: str = Field(min_length=1, max_length=60)
    negate: bool = False


class SequencePreviousEmailCondition(BaseModel):
    """What the contact did with the previous step's e-mail: `opened`, `clicked`, or
    not (`not_opened`, `not_clicked`; a previous step that was skipped was neither)."""

    kind: Literal["previous_email"]
    event: Literal["opened", "clicked", "not_opened", "not_clicked"]


Condition = Annotated[
    SequenceStageCondition
    | SequenceScoreCondition
    | SequenceTagCondition
    | SequencePreviousEmailCondition,
    Field(discriminator="kind"),
]


# --- sequences and steps -----------------------------------------------------------------------


class SequenceIn(BaseModel):
    """A sequence. `trigger_stage` is required for `stage_changed`; `trigger_minutes` is
    how long a PIX stays unpaid before `pix_unpaid` enrolls its buyer. `checkout_abandoned`
    enrolls the buyer of a checkout started and not finished once the funnel's recovery
    detects it. Recovery e-mails (`pix_unpaid` once the recovery detected the PIX,
    `checkout_abandoned`) can use the merge fields `{{ resume_url }}` (back to the
    checkout with the buyer's data, or to the pending PIX), `{{ product_name }}`,
    `{{ amount }}` and `{{ pix_copy_paste }}`.

    `reentry`: whether a person who triggers the sequence again (a second lead, a move to
    the stage again, a second unpaid PIX or abandoned checkout) enters again — `never`,
    `after_exit` (once the previous enrollment completed or exited) or `always` (also
    while one is active: e.g. a recovery per PIX). The same trigger delivered twice
    enrolls once whatever the setting."""

    name: str = Field(min_length=1, max_length=200)
    trigger: SequenceTrigger
    trigger_stage: Stage | None = None
    trigger_minutes: int = Field(0, ge=0, le=10_080)
    reentry: Reentry = "after_exit"
    exit_on_reply: bool = True
    exit_stages: list[Stage] = Field(default_factory=list, max_length=6)
    from_name: str = Field(min_length=1, max_length=200)
    from_address: str = Field(min_length=3, max_length=320)
    reply_to: str | None = Field(None, max_length=320)
    sender_id: uuid.UUID | None = None


class SequenceStepIn(BaseModel):
    """A step: its wait after the previous one, its condition and what happens when the
    condition is false, and its content (from a template unless given)."""

    wait_minutes: int = Field(0, ge=0, le=MAX_WAIT_MINUTES)
    condition: Condition | None = None
    otherwise: Literal["skip", "exit"] = "skip"
    template_id: uuid.UUID | None = None
    subject: str | None = Field(None, max_length=300)
    html: str | None = Field(None, max_length=500_000)
    text: str | None = Field(None, max_length=200_000)
    sender_id: uuid.UUID | None = None


class SequenceStep(BaseModel):
    step_id: uuid.UUID
    position: int
    wait_minutes: int
    condition: Condition | None
    otherwise: Literal["skip", "exit"]
    campaign_id: uuid.UUID
    template_id: uuid.UUID | None
    subject: str
    html: str
    text: str
    sender_id: uuid.UUID | None


class Sequence(_Row):
    sequence_id: uuid.UUID
    name: str
    trigger: SequenceTrigger
    trigger_stage: Stage | None
    trigger_minutes: int
    reentry: Reentry
    status: SequenceStatus
    exit_on_reply: bool
    exit_stages: list[Stage]
    from_name: str
    from_address: str
    reply_to: str | None
    sender_id: uuid.UUID | None
    activated_at: datetime | None
    created_at: datetime
    steps: list[SequenceStep] = Field(default_factory=list)
    active_enrollments: int = 0


class SequenceEnrollment(_Row):
    enrollment_id: uuid.UUID
    sequence_id: uuid.UUID
    contact_id: uuid.UUID
    email: str = ""
    lead_id: uuid.UUID | None
    occurrence: str  # what enrolled it: `lead:<id>`, `stage:<id>`, `payment:<id>`, …
    position: int
    next_run_at: datetime | None
    status: EnrollmentStatus
    exit_reason: ExitReason | None
    enrolled_at: datetime
    finished_at: datetime | None


class SequenceReplyIn(BaseModel):
    """A contact answered (a person marked it, or an inbound-mail integration saw it)."""

    contact_id: uuid.UUID


class SequenceReplyResult(BaseModel):
    exited: int


# --- report ------------------------------------------------------------------------------------


class SequenceStepFigures(BaseModel):
    step_id: uuid.UUID
    position: int
    campaign_id: uuid.UUID
    subject: str
    waiting: int  # active enrollments whose next step is this one
    sent: int
    skipped: int
    refused: int
    unique_opens: int
    human_opens: int
    unique_clicks: int
    unsubscribes: int
    exited: int  # enrollments that ended here before this step's e-mail
    leads: int
    won_leads: int
    revenue: list[RevenueFigure]


class SequenceReport(BaseModel):
    sequence_id: uuid.UUID
    enrolled: int
    active: int
    completed: int
    exited: int
    exits: dict[str, int]
    steps: list[SequenceStepFigures]
