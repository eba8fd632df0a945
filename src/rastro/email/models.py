"""The e-mail module's tables (seed 004 `mtrk`), CRM database: the e-mail side of the
CRM's canonical contacts (`email_contacts`: status, attributes, tags, consent), audiences
(static lists and saved filters), templates, senders, campaigns and their audiences, one
message per contact and campaign, the campaign's links, unsubscribes by scope, the
organization's suppression list, CSV imports of contacts with their skipped rows, and
subscription forms. The events and their daily aggregates are in the BI database
(`event_models.py`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from rastro.core.db import CrmBase, TenantMixin
from rastro.core.ids import uuid7

CONTACT_STATUSES = ("active", "unconfirmed", "suppressed", "bounced", "complained", "unsubscribed")
CAMPAIGN_STATUSES = ("draft", "scheduled", "sending", "sent", "paused", "cancelled")
# `held`: an A/B test's rest, waiting for the winning subject.
MESSAGE_STATUSES = ("queued", "sending", "held", "sent", "failed")
UNSUBSCRIBE_SCOPES = ("global", "campaign", "list")
SUPPRESSION_REASONS = ("manual", "hard_bounce", "soft_bounces", "complaint", "imported")
SENDER_KINDS = ("simulated", "smtp", "ses", "sendgrid", "postmark", "mailgun")
# Kinds whose vault credential is of the service of the same name.
CREDENTIAL_SENDER_KINDS = SENDER_KINDS[1:]
IMPORT_STATUSES = ("uploaded", "queued", "running", "done", "failed")
AB_METRICS = ("opens", "clicks")
FORM_LANGUAGES = ("pt-BR", "en")


def _org_fk() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)


def _known(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    listed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({listed})", name=name)


class EmailContact(TenantMixin, CrmBase):
    """A CRM contact (`contacts`, the canonical person) as a recipient: its status, its
    attributes and tags, and the consent (time and IP) of a double opt-in."""

    __tablename__ = "email_contacts"
    __table_args__ = (
        _known("status", CONTACT_STATUSES, "status_known"),
        Index("ix_email_contacts_organization_id_status", "organization_id", "status"),
        Index("ix_email_contacts_tags", "tags", postgresql_using="gin"),
    )

    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contacts.contact_id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[uuid.UUID] = _org_fk()
    status: Mapped[str] = mapped_column(String(20), server_default="active")
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(60)), server_default="{}")
    soft_bounces: Mapped[int] = mapped_column(Integer, server_default="0")
    # Double opt-in proof: the subscription (time, IP, form) and its confirmation.
    consent_at: Mapped[datetime | None]
    consent_ip: Mapped[str | None] = mapped_column(String(45))
    consent_form_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("email_forms.form_id", ondelete="SET NULL")
    )
    confirmed_at: Mapped[datetime | None]
    confirmed_ip: Mapped[str | None] = mapped_column(String(45))
    # The last confirmation e-mail sent (repeated submits do not send another at once).
    confirmation_sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class Audience(TenantMixin, CrmBase):
    """Who a campaign reaches: a static list (`email_audience_contacts`) or a saved filter
    evaluated when messages are generated."""

    __tablename__ = "email_audiences"
    __table_args__ = (_known("kind", ("static", "filter"), "kind_known"),)

    audience_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    filter: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class AudienceContact(TenantMixin, CrmBase):
    """A contact on a static audience (seed 004 `mkt.AudienceContacts`)."""

    __tablename__ = "email_audience_contacts"
    __table_args__ = (Index("ix_email_audience_contacts_contact_id", "contact_id"),)

    audience_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("email_audiences.audience_id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("email_contacts.contact_id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    added_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Template(TenantMixin, CrmBase):
    """Reusable content: subject, HTML and text with `{{ merge_fields }}`."""

    __tablename__ = "email_templates"

    template_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    html: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text, server_default="")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class Sender(TenantMixin, CrmBase):
    """How a campaign's mail leaves: simulated, SMTP (host, port and login in a vault
    credential) or a provider's API (Amazon SES, SendGrid, Postmark, Mailgun: the key in a
    vault credential of that service). `webhook_token` names the organization in the
    providers' webhook URLs."""

    __tablename__ = "email_senders"
    __table_args__ = (
        _known("kind", SENDER_KINDS, "kind_known"),
        UniqueConstraint("webhook_token"),
    )

    sender_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    credential_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("credentials.id", ondelete="RESTRICT")
    )
    rate_per_second: Mapped[int] = mapped_column(Integer, server_default="10")
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    webhook_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Campaign(TenantMixin, CrmBase):
    """A mass sending (seed 004 Campanhas): objective, content, period, sender, status, and
    the figures of its message generation (`generated`, `exclusions` by reason)."""

    __tablename__ = "email_campaigns"
    __table_args__ = (
        _known("status", CAMPAIGN_STATUSES, "status_known"),
        Index("ix_email_campaigns_organization_id_created_at", "organization_id", "created_at"),
    )

    campaign_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    name: Mapped[str] = mapped_column(String(200))
    objective: Mapped[str | None] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(300))
    from_name: Mapped[str] = mapped_column(String(200))
    from_address: Mapped[str] = mapped_column(String(320))
    reply_to: Mapped[str | None] = mapped_column(String(320))
    template_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("email_templates.template_id", ondelete="SET NULL")
    )
    sender_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("email_senders.sender_id", ondelete="SET NULL")
    )
    html: Mapped[str] = mapped_column(Text, server_default="")
    text: Mapped[str] = mapped_column(Text, server_default="")
    landing_page_id: Mapped[uuid.UUID | None]  # tracking's landing page (1:1, seed 004)
    utm_source: Mapped[str] = mapped_column(String(255), server_default="newsletter")
    utm_campaign: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(12), server_default="draft")
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    scheduled_at: Mapped[datetime | None]
    # Generation: queued / running / done; the last contact id reached (restart point).
    generation_status: Mapped[str | None] = mapped_column(String(10))
    generation_cursor: Mapped[uuid.UUID | None]
    generated: Mapped[int] = mapped_column(Integer, server_default="0")
    exclusions: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    # A/B subjects (2 to 4, empty when there is no test): a sample of `ab_sample_percent` of the
    # messages gets them evenly, the rest is held until `ab_wait_minutes` after the sample
    # was sent, then gets the variant with the best rate of `ab_metric` (`ab_winner`).
    subject_variants: Mapped[list[str]] = mapped_column(ARRAY(String(300)), server_default="{}")
    ab_sample_percent: Mapped[int | None] = mapped_column(Integer)
    ab_metric: Mapped[str | None] = mapped_column(String(10))
    ab_wait_minutes: Mapped[int | None] = mapped_column(Integer)
    ab_winner: Mapped[int | None] = mapped_column(Integer)
    ab_decided_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class CampaignAudience(TenantMixin, CrmBase):
    """An audience a campaign reaches (seed 004 `mkt.CampaignAudiences`)."""

    __tablename__ = "email_campaign_audiences"

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("email_campaigns.campaign_id", ondelete="CASCADE"), primary_key=True
    )
    audience_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("email_audiences.audience_id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )


class Message(TenantMixin, CrmBase):
    """One contact receiving one campaign (seed 004 Mensagens): unique per campaign and
    contact, or, for a sequence step's campaign, per campaign and enrollment (a contact who
    enters a sequence again gets its e-mails again). The first open and click times are
    set once."""

    __tablename__ = "email_messages"
    __table_args__ = (
        Index(
            "uq_email_messages_campaign_id_contact_id",
            "campaign_id",
            "contact_id",
            unique=True,
            postgresql_where=text("enrollment_id IS NULL"),
        ),
        Index(
            "uq_email_messages_campaign_id_enrollment_id",
            "campaign_id",
            "enrollment_id",
            unique=True,
            postgresql_where=text("enrollment_id IS NOT NULL"),
        ),
        _known("status", MESSAGE_STATUSES, "status_known"),
        Index("ix_email_messages_campaign_id_status", "campaign_id", "status", "message_id"),
        Index("ix_email_messages_contact_id", "contact_id"),
        Index(
            "ix_email_messages_provider_message_id",
            "provider_message_id",
            postgresql_where=text("provider_message_id IS NOT NULL"),
        ),
    )

    message_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("email_campaigns.campaign_id", ondelete="CASCADE")
    )
    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("email_contacts.contact_id", ondelete="CASCADE")
    )
    status: Mapped[str] = mapped_column(String(10), server_default="queued")
    variant: Mapped[int | None] = mapped_column(Integer)  # index in subject_variants
    # This recipient's own merge fields (a sequence enrollment's, e.g. a recovery's
    # `resume_url`); empty for a campaign's messages.
    fields: Mapped[dict[str, str]] = mapped_column(JSONB, server_default="{}")
    # The sequence enrollment a step's message belongs to (None for a campaign's).
    enrollment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("email_sequence_enrollments.enrollment_id", ondelete="CASCADE")
    )
    provider_message_id: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    # After a temporary failure: not tried again before this time.
    retry_at: Mapped[datetime | None]
    # When the message was claimed for sending (status `sending`, committed before the
    # sender is called): a message still `sending` long after this was interrupted.
    sending_since: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    sent_at: Mapped[datetime | None]
    first_opened_at: Mapped[datetime | None]
    first_clicked_at: Mapped[datetime | None]


class Link(TenantMixin, CrmBase):
    """A trackable link (CTA) of a campaign's HTML: the click redirect reads its URL from
    here, never from the request (no open redirect)."""

    __tablename__ = "email_links"
    __table_args__ = (UniqueConstraint("campaign_id", "url"),)

    link_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("email_campaigns.campaign_id", ondelete="CASCADE")
    )
    url: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str | None] = mapped_column(String(200))


class Unsubscribe(TenantMixin, CrmBase):
    """A contact's decision not to receive mail (seed 004 Unsubscribes): from everything
    (`global`), from one campaign, or from one list; kept with its time, source and reason
    as LGPD proof. Unique per contact and scope target."""

    __tablename__ = "email_unsubscribes"
    __table_args__ = (
        _known("scope", UNSUBSCRIBE_SCOPES, "scope_known"),
        CheckConstraint(
            "(scope = 'global' AND campaign_id IS NULL AND audience_id IS NULL)"
            " OR (scope = 'campaign' AND campaign_id IS NOT NULL AND audience_id IS NULL)"
            " OR (scope = 'list' AND audience_id IS NOT NULL AND campaign_id IS NULL)",
            name="scope_target",
        ),
        Index(
            "uq_email_unsubscribes_target",
            "contact_id",
            "scope",
            text("coalesce(campaign_id, audience_id, '00000000-0000-0000-0000-000000000000')"),
            unique=True,
        ),
    )

    unsubscribe_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("email_contacts.contact_id", ondelete="CASCADE")
    )
    scope: Mapped[str] = mapped_column(String(10))
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("email_campaigns.campaign_id", ondelete="CASCADE")
    )
    audience_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("email_audiences.audience_id", ondelete="CASCADE")
    )
    message_id: Mapped[uuid.UUID | None]
    # one_click | page | admin | complaint | a provider (sendgrid, mailgun…)
    source: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(500))
    ip: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Suppression(TenantMixin, CrmBase):
    """An address the organization never sends to (seed 004 ops.SuppressionList)."""

    __tablename__ = "email_suppressions"
    __table_args__ = (
        UniqueConstraint("organization_id", "contact_id"),
        _known("reason", SUPPRESSION_REASONS, "reason_known"),
    )

    suppression_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("email_contacts.contact_id", ondelete="CASCADE")
    )
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class EmailSettings(TenantMixin, CrmBase):
    """The organization's e-mail settings: soft bounces before an address is suppressed
    (None: the server's `EMAIL_SOFT_BOUNCE_LIMIT`)."""

    __tablename__ = "email_settings"
    __table_args__ = (
        CheckConstraint("soft_bounce_limit BETWEEN 1 AND 100", name="soft_bounce_limit_range"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    soft_bounce_limit: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class WebhookToken(TenantMixin, CrmBase):
    """A provider webhook's one-time token already received (Mailgun's `signature.token`):
    a second delivery carrying it is a replay and is refused. Kept while its timestamp is
    within the accepted window; older ones are refused as stale anyway."""

    __tablename__ = "email_webhook_tokens"
    __table_args__ = (Index("ix_email_webhook_tokens_received_at", "received_at"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    provider: Mapped[str] = mapped_column(String(20), primary_key=True)
    token: Mapped[str] = mapped_column(String(200), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ContactImportRun(TenantMixin, CrmBase):
    """A CSV of contacts being imported: the uploaded file (dropped once done), its column
    mapping, and the progress the page polls. The job walks the rows in order and commits
    `rows_done` with each batch, so a restart continues where the last commit left off."""

    __tablename__ = "email_imports"
    __table_args__ = (
        _known("status", IMPORT_STATUSES, "status_known"),
        _known("contact_status", ("active", "unconfirmed"), "contact_status_known"),
    )

    import_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    file_name: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    columns: Mapped[list[str]] = mapped_column(JSONB)
    total_rows: Mapped[int] = mapped_column(Integer)
    mapping: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    audience_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("email_audiences.audience_id", ondelete="SET NULL")
    )
    contact_status: Mapped[str] = mapped_column(String(12), server_default="active")
    status: Mapped[str] = mapped_column(String(10), server_default="uploaded")
    rows_done: Mapped[int] = mapped_column(Integer, server_default="0")
    created: Mapped[int] = mapped_column(Integer, server_default="0")
    updated: Mapped[int] = mapped_column(Integer, server_default="0")
    skipped: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class ContactImportError(TenantMixin, CrmBase):
    """A skipped row of an import: its number in the file and why (a code, never the
    row's content)."""

    __tablename__ = "email_import_errors"

    import_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("email_imports.import_id", ondelete="CASCADE"), primary_key=True
    )
    row: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    code: Mapped[str] = mapped_column(String(30))


class SubscriptionForm(TenantMixin, CrmBase):
    """A public subscription form (double opt-in): its token names it in the form's URL;
    confirmed subscribers join its audience with its tags. The confirmation e-mail goes
    through its sender (simulated when none) in its language."""

    __tablename__ = "email_forms"
    __table_args__ = (
        UniqueConstraint("token"),
        _known("language", FORM_LANGUAGES, "language_known"),
    )

    form_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = _org_fk()
    name: Mapped[str] = mapped_column(String(200))
    token: Mapped[str] = mapped_column(String(64))
    audience_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("email_audiences.audience_id", ondelete="SET NULL")
    )
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(60)), server_default="{}")
    sender_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("email_senders.sender_id", ondelete="SET NULL")
    )
    from_name: Mapped[str] = mapped_column(String(200))
    from_address: Mapped[str] = mapped_column(String(320))
    language: Mapped[str] = mapped_column(String(5), server_default="pt-BR")
    redirect_url: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
