"""Tables of the tracking module (seed 000). Column names follow the seed.

Configuration lives in the CRM database; the high-volume event tables live in BI, where
`utm_tracking`, `page_views` and `events` are range-partitioned by month on `created_at`
(their primary keys therefore include `created_at`), beside each lead's attribution
(seed 003 `lead_attribution`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Computed,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, INET, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from rastro.core.db import BiBase, CrmBase, TenantMixin
from rastro.core.ids import uuid7

# --- configuration (CRM) -------------------------------------------------------------------


class Domain(TenantMixin, CrmBase):
    """A tracked site (seed 000 `domains`); `site_key` is the public key in the snippet."""

    __tablename__ = "domains"

    domain_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    domain_name: Mapped[str] = mapped_column(String(255))
    domain_url: Mapped[str] = mapped_column(String(500))
    is_active: Mapped[bool] = mapped_column(server_default="true")
    site_key: Mapped[str] = mapped_column(String(40), unique=True)
    allowed_origins: Mapped[list[str]] = mapped_column(ARRAY(String(255)), server_default="{}")
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())

    __table_args__ = (UniqueConstraint("organization_id", "domain_name"),)


class AbTest(TenantMixin, CrmBase):
    """Groups landing-page variants; each variant carries its weight."""

    __tablename__ = "ab_tests"

    ab_test_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    domain_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("domains.domain_id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(server_default="true")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class LandingPage(TenantMixin, CrmBase):
    """A landing page of a domain (seed 000 `landing_pages`), possibly an A/B variant."""

    __tablename__ = "landing_pages"

    page_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    domain_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("domains.domain_id", ondelete="CASCADE"), index=True
    )
    page_url: Mapped[str] = mapped_column(Text)
    # The URL without scheme, query or fragment: what collected page URLs are matched on.
    url_key: Mapped[str] = mapped_column(Text)
    page_name: Mapped[str] = mapped_column(String(255))
    page_variant: Mapped[str | None] = mapped_column(String(50))
    is_control: Mapped[bool] = mapped_column(server_default="false")
    ab_test_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ab_tests.ab_test_id", ondelete="SET NULL"), index=True
    )
    variant_weight: Mapped[int] = mapped_column(Integer, server_default="1")
    is_active: Mapped[bool] = mapped_column(server_default="true")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (Index("ix_landing_pages_domain_id_url_key", "domain_id", "url_key"),)


# --- events (BI) -------------------------------------------------------------------------------


class TrackedSession(TenantMixin, BiBase):
    """A visit (seed 000 `sessions`; seed 002's funnel visitors are these rows)."""

    __tablename__ = "sessions"

    session_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    domain_id: Mapped[uuid.UUID] = mapped_column(index=True)
    first_page_id: Mapped[uuid.UUID | None]
    visitor_id: Mapped[str] = mapped_column(String(64), index=True)
    client_session_id: Mapped[str] = mapped_column(String(64), index=True)
    # The tracker's reference code (in WhatsApp messages): the client session id's first 6
    # characters in lower case (codes are compared without case), stored so that an index
    # can serve it under row-level security.
    ref_code: Mapped[str | None] = mapped_column(
        String(6), Computed("lower(left(client_session_id, 6))", persisted=True), index=True
    )
    started_at: Mapped[datetime] = mapped_column(index=True)
    last_activity_at: Mapped[datetime]
    total_page_views: Mapped[int] = mapped_column(server_default="0")
    total_events: Mapped[int] = mapped_column(server_default="0")
    converted: Mapped[bool] = mapped_column(server_default="false", index=True)
    return_visits: Mapped[int] = mapped_column(server_default="0")
    is_bot: Mapped[bool] = mapped_column(server_default="false")
    channel: Mapped[str | None] = mapped_column(String(40))
    campaign_key: Mapped[str | None] = mapped_column(String(64))
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB, server_default="{}")
    # Seed 002 `visitors`: the funnel a visit is going through and its current step (set
    # by the funnels' public pages, `service.funnel_steps`).
    funnel_id: Mapped[uuid.UUID | None]
    current_step_id: Mapped[uuid.UUID | None]

    # No index may name `last_activity_at`, `total_page_views` or `total_events`: the
    # collector updates them on every batch, and an indexed column would turn each of those
    # updates from HOT into a new entry in every index of the table.
    __table_args__ = (
        Index(
            "ix_sessions_funnel_id_started_at",
            "funnel_id",
            "started_at",
            postgresql_where=text("funnel_id IS NOT NULL"),
        ),
    )


class UtmTracking(TenantMixin, BiBase):
    """One touch: the campaign parameters and click ids a visit arrived with (seed 000)."""

    __tablename__ = "utm_tracking"
    __table_args__ = (
        Index("ix_utm_tracking_created_at", "created_at"),
        Index("ix_utm_tracking_utm_source", "utm_source"),
        Index("ix_utm_tracking_utm_campaign", "utm_campaign"),
        Index("ix_utm_tracking_session_id", "session_id"),
        Index("ix_utm_tracking_gclid", "gclid"),
        Index("ix_utm_tracking_fbclid", "fbclid"),
        Index("ix_utm_tracking_visitor_id", "visitor_id"),
        {"postgresql_partition_by": "RANGE (created_at)"},
    )

    tracking_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    created_at: Mapped[datetime] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(String(80))
    visitor_id: Mapped[str] = mapped_column(String(64))
    domain_id: Mapped[uuid.UUID]
    page_id: Mapped[uuid.UUID | None]
    utm_source: Mapped[str | None] = mapped_column(String(255))
    utm_medium: Mapped[str | None] = mapped_column(String(255))
    utm_campaign: Mapped[str | None] = mapped_column(String(255))
    utm_id: Mapped[str | None] = mapped_column(String(255))
    utm_term: Mapped[str | None] = mapped_column(String(255))
    utm_content: Mapped[str | None] = mapped_column(String(255))
    gclid: Mapped[str | None] = mapped_column(String(255))
    gbraid: Mapped[str | None] = mapped_column(String(255))
    wbraid: Mapped[str | None] = mapped_column(String(255))
    fbclid: Mapped[str | None] = mapped_column(String(255))
    fbc: Mapped[str | None] = mapped_column(String(255))
    fbp: Mapped[str | None] = mapped_column(String(255))
    ttclid: Mapped[str | None] = mapped_column(String(255))
    li_fat_id: Mapped[str | None] = mapped_column(String(255))
    msclkid: Mapped[str | None] = mapped_column(String(255))
    src: Mapped[str | None] = mapped_column(String(255))
    sck: Mapped[str | None] = mapped_column(String(255))
    xcod: Mapped[str | None] = mapped_column(String(255))
    # A Rastro e-mail click's `mid` (the message) and `rid` (the recipient, a CRM contact).
    email_message_id: Mapped[uuid.UUID | None]
    email_contact_id: Mapped[uuid.UUID | None]
    channel: Mapped[str] = mapped_column(String(40))
    device: Mapped[str | None] = mapped_column(String(20))
    match_type: Mapped[str | None] = mapped_column(String(20))
    attribution_model: Mapped[str | None] = mapped_column(String(20))
    referrer: Mapped[str | None] = mapped_column(Text)
    page_url: Mapped[str | None] = mapped_column(Text)
    url_params: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    user_agent: Mapped[str | None] = mapped_column(Text)
    client_ip: Mapped[str | None] = mapped_column(INET)


class PageView(TenantMixin, BiBase):
    """A page seen in a session (seed 000 `page_views`)."""

    __tablename__ = "page_views"
    __table_args__ = (
        Index("ix_page_views_session_id", "session_id", "view_order"),
        Index("ix_page_views_created_at", "created_at"),
        {"postgresql_partition_by": "RANGE (created_at)"},
    )

    view_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(String(80))
    page_id: Mapped[uuid.UUID | None]
    client_view_id: Mapped[str | None] = mapped_column(String(64))
    page_url: Mapped[str] = mapped_column(Text)
    # `rastro_page_path(page_url)`, stored by `rastro_collect` (BI migration 0031) so the
    # rollups never run the path regexp again; NULL for a row written by other means.
    page_path: Mapped[str | None] = mapped_column(Text)
    page_title: Mapped[str | None] = mapped_column(Text)
    referrer: Mapped[str | None] = mapped_column(Text)
    view_order: Mapped[int] = mapped_column(Integer)
    time_on_page: Mapped[int | None] = mapped_column(Integer)
    exit_page: Mapped[bool] = mapped_column(server_default="false")


class Event(TenantMixin, BiBase):
    """An interaction (seed 000 `events`; seed 002's visitor events)."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_created_at", "created_at"),
        Index("ix_events_event_type", "event_type"),
        Index("ix_events_session_id", "session_id"),
        {"postgresql_partition_by": "RANGE (created_at)"},
    )

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(String(80))
    page_id: Mapped[uuid.UUID | None]
    event_type: Mapped[str] = mapped_column(String(40))
    event_category: Mapped[str | None] = mapped_column(String(255))
    event_action: Mapped[str | None] = mapped_column(String(255))
    event_label: Mapped[str | None] = mapped_column(String(500))
    event_value: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    element_id: Mapped[str | None] = mapped_column(String(255))
    element_class: Mapped[str | None] = mapped_column(String(500))
    event_data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")


class SeenEventId(TenantMixin, BiBase):
    """An event id the collector has stored (page views and interactions), remembered for
    `EVENT_ID_MEMORY` whatever time the client claims: `events` and `page_views` are
    partitioned by that claimed time, so their keys cannot make an id unique on their own."""

    __tablename__ = "event_ids"
    __table_args__ = (Index("ix_event_ids_seen_at", "seen_at", postgresql_using="brin"),)

    # The key leads with the organization: no separate index to maintain per event.
    organization_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    client_session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(server_default=func.now())


class VisitorJourney(TenantMixin, BiBase):
    """All sessions of one visitor on one domain (seed 000 `visitor_journeys`)."""

    __tablename__ = "visitor_journeys"
    __table_args__ = (UniqueConstraint("domain_id", "visitor_id"),)

    journey_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    visitor_id: Mapped[str] = mapped_column(String(64))
    domain_id: Mapped[uuid.UUID]
    first_visit_at: Mapped[datetime]
    last_visit_at: Mapped[datetime]
    total_sessions: Mapped[int] = mapped_column(server_default="1")
    total_page_views: Mapped[int] = mapped_column(server_default="0")
    converted: Mapped[bool] = mapped_column(server_default="false")
    conversion_session_id: Mapped[str | None] = mapped_column(String(80))


class LeadAttribution(TenantMixin, BiBase):
    """A lead's attribution in the BI database (seed 003 `lead_attribution`), one per lead:
    the credited touch and the journey up to the conversion (written by
    `service.attribution` when the CRM reports new leads)."""

    __tablename__ = "lead_attribution"
    __table_args__ = (
        UniqueConstraint("lead_id"),
        Index(
            "ix_lead_attribution_organization_id_conversion_date",
            "organization_id",
            "conversion_date",
        ),
        Index("ix_lead_attribution_organization_id_campaign_id", "organization_id", "campaign_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    lead_id: Mapped[uuid.UUID]
    campaign_id: Mapped[str] = mapped_column(Text)
    ad_id: Mapped[str | None] = mapped_column(Text)
    ad_set_id: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    medium: Mapped[str | None] = mapped_column(Text)
    utm_campaign: Mapped[str | None] = mapped_column(Text)
    utm_content: Mapped[str | None] = mapped_column(Text)
    utm_term: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(40))
    session_id: Mapped[str | None] = mapped_column(String(80))
    visitor_id: Mapped[str | None] = mapped_column(String(64))
    utm_tracking_id: Mapped[uuid.UUID | None]
    # The e-mail message of the journey's latest e-mail click (its touch's `mid`), if any.
    email_message_id: Mapped[uuid.UUID | None]
    cpa_at_conversion: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    roas: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    touchpoints: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    first_touch: Mapped[datetime | None]
    last_touch: Mapped[datetime | None]
    conversion_date: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
