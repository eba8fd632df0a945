"""The analytics module's tables (BI database): the CRM's lead outcomes copied beside the
events (`conversion_facts`), one row per human session with its dimensions
(`session_facts`), and the hourly rollup the reports read (`daily_conversions_summary`,
seed 000's view of that name, kept per UTC hour so that any organization's days are whole
hours of it), with how far each rollup has been refreshed (`rollup_state`).

Why tables maintained incrementally rather than materialized views: `bench/README.md`
("Analytics rollups") has the figures. In short, a refresh re-aggregates only the hours
that changed, and an hour bucket serves every timezone without a re-aggregation.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from rastro.core.db import BiBase, TenantMixin


class ConversionFact(TenantMixin, BiBase):
    """A lead and how far it went, copied from the CRM through the outbox (idempotent:
    each copy overwrites the row with the lead's current state)."""

    __tablename__ = "conversion_facts"
    __table_args__ = (
        Index("ix_conversion_facts_organization_id_created_at", "organization_id", "created_at"),
        Index(
            "ix_conversion_facts_organization_id_won_at",
            "organization_id",
            "won_at",
            postgresql_where=text("won_at IS NOT NULL"),
        ),
        Index("ix_conversion_facts_organization_id_updated_at", "organization_id", "updated_at"),
    )

    lead_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    session_id: Mapped[str | None] = mapped_column(String(80))
    visitor_ids: Mapped[list[str]] = mapped_column(ARRAY(String(64)), server_default="{}")
    domain_id: Mapped[uuid.UUID | None]
    landing_page_id: Mapped[uuid.UUID | None]
    channel: Mapped[str] = mapped_column(String(40))
    source: Mapped[str | None] = mapped_column(Text)
    medium: Mapped[str | None] = mapped_column(Text)
    campaign: Mapped[str | None] = mapped_column(Text)
    content: Mapped[str | None] = mapped_column(Text)
    term: Mapped[str | None] = mapped_column(Text)
    # The credited touch's utm_id (GA4's campaign id): joins the lead to ad spend.
    utm_id: Mapped[str | None] = mapped_column(Text)
    device: Mapped[str | None] = mapped_column(String(20))
    score_points: Mapped[int] = mapped_column(Integer)  # A=4, B=3, C=2, D=1
    time_to_conversion: Mapped[int | None] = mapped_column(Integer)  # seconds
    stage: Mapped[str] = mapped_column(String(20))
    qualified_at: Mapped[datetime | None]
    won_at: Mapped[datetime | None]
    lost_at: Mapped[datetime | None]
    revenue: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # when won
    currency: Mapped[str] = mapped_column(String(3))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class SessionFact(TenantMixin, BiBase):
    """A human session with its touch's dimensions (refreshed with the rollups)."""

    __tablename__ = "session_facts"
    __table_args__ = (
        # Distinct visitors over a range: an index-only scan.
        Index(
            "ix_session_facts_organization_id_started_at",
            "organization_id",
            "started_at",
            "visitor_key",
        ),
    )

    session_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    started_at: Mapped[datetime]
    visitor_id: Mapped[str] = mapped_column(String(64))
    visitor_key: Mapped[int] = mapped_column(BigInteger)  # hash of visitor_id, for counts
    domain_id: Mapped[uuid.UUID]
    landing_page_id: Mapped[uuid.UUID | None]
    channel: Mapped[str] = mapped_column(String(40))
    source: Mapped[str | None] = mapped_column(Text)
    medium: Mapped[str | None] = mapped_column(Text)
    campaign: Mapped[str | None] = mapped_column(Text)
    content: Mapped[str | None] = mapped_column(Text)
    term: Mapped[str | None] = mapped_column(Text)
    device: Mapped[str | None] = mapped_column(String(20))
    page_views: Mapped[int] = mapped_column(Integer)
    events: Mapped[int] = mapped_column(Integer)
    duration: Mapped[int] = mapped_column(Integer)  # seconds from start to last activity
    converted: Mapped[bool]
    is_new: Mapped[bool]


class ConversionSummary(TenantMixin, BiBase):
    """Seed 000 `daily_conversions_summary`, per UTC hour: sessions by their start hour,
    leads by their creation, qualified leads by the first qualified stage, won deals and
    revenue (per currency) by the won move, for each combination of dimensions."""

    __tablename__ = "daily_conversions_summary"
    __table_args__ = (
        Index("ix_daily_conversions_summary_organization_id_hour", "organization_id", "hour"),
    )

    # No natural key (NULL dimensions): a refresh deletes an hour's rows and writes them.
    row_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    hour: Mapped[datetime]
    domain_id: Mapped[uuid.UUID | None]
    landing_page_id: Mapped[uuid.UUID | None]
    channel: Mapped[str] = mapped_column(String(40))
    source: Mapped[str | None] = mapped_column(Text)
    medium: Mapped[str | None] = mapped_column(Text)
    campaign: Mapped[str | None] = mapped_column(Text)
    content: Mapped[str | None] = mapped_column(Text)
    term: Mapped[str | None] = mapped_column(Text)
    device: Mapped[str | None] = mapped_column(String(20))
    currency: Mapped[str | None] = mapped_column(String(3))  # of `revenue`; NULL: no revenue
    sessions: Mapped[int] = mapped_column(Integer, server_default="0")
    new_sessions: Mapped[int] = mapped_column(Integer, server_default="0")
    bounces: Mapped[int] = mapped_column(Integer, server_default="0")
    page_views: Mapped[int] = mapped_column(Integer, server_default="0")
    events: Mapped[int] = mapped_column(Integer, server_default="0")
    duration: Mapped[int] = mapped_column(BigInteger, server_default="0")
    converted_sessions: Mapped[int] = mapped_column(Integer, server_default="0")
    leads: Mapped[int] = mapped_column(Integer, server_default="0")
    score_points: Mapped[int] = mapped_column(Integer, server_default="0")
    conversion_seconds: Mapped[int] = mapped_column(BigInteger, server_default="0")
    conversion_timed: Mapped[int] = mapped_column(Integer, server_default="0")
    qualified: Mapped[int] = mapped_column(Integer, server_default="0")
    won: Mapped[int] = mapped_column(Integer, server_default="0")
    revenue: Mapped[Decimal] = mapped_column(Numeric(16, 2), server_default="0")
    sales_cycle_seconds: Mapped[int] = mapped_column(BigInteger, server_default="0")


class RollupState(TenantMixin, BiBase):
    """How far an organization's rollups are complete: every hour before `through`."""

    __tablename__ = "rollup_state"

    organization_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    through: Mapped[datetime]
    refreshed_at: Mapped[datetime]


class PagePathSummary(TenantMixin, BiBase):
    """Seed 000 `visitor_behavior_summary`, its page half: per UTC hour, session dimensions
    and page path (the URL without scheme, host, query or fragment), the page views, the
    sessions that entered on the path (first view) and left from it (last view)."""

    __tablename__ = "page_path_summary"
    __table_args__ = (
        Index("ix_page_path_summary_organization_id_hour", "organization_id", "hour"),
    )

    row_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    hour: Mapped[datetime]
    domain_id: Mapped[uuid.UUID | None]
    landing_page_id: Mapped[uuid.UUID | None]
    channel: Mapped[str] = mapped_column(String(40))
    source: Mapped[str | None] = mapped_column(Text)
    medium: Mapped[str | None] = mapped_column(Text)
    campaign: Mapped[str | None] = mapped_column(Text)
    content: Mapped[str | None] = mapped_column(Text)
    term: Mapped[str | None] = mapped_column(Text)
    device: Mapped[str | None] = mapped_column(String(20))
    page_path: Mapped[str] = mapped_column(Text)
    views: Mapped[int] = mapped_column(Integer, server_default="0")
    entries: Mapped[int] = mapped_column(Integer, server_default="0")
    exits: Mapped[int] = mapped_column(Integer, server_default="0")


class EventTypeSummary(TenantMixin, BiBase):
    """Interaction events by type, per UTC hour of their session's start and the session's
    dimensions (so that they add up with `daily_conversions_summary`'s sessions and take the
    same filters): how many events, and how many sessions had one (`form_start` → the
    landing-page funnel's form starts; every type → visitor behaviour)."""

    __tablename__ = "event_type_summary"
    __table_args__ = (
        Index("ix_event_type_summary_organization_id_hour", "organization_id", "hour"),
    )

    row_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    hour: Mapped[datetime]
    domain_id: Mapped[uuid.UUID | None]
    landing_page_id: Mapped[uuid.UUID | None]
    channel: Mapped[str] = mapped_column(String(40))
    source: Mapped[str | None] = mapped_column(Text)
    medium: Mapped[str | None] = mapped_column(Text)
    campaign: Mapped[str | None] = mapped_column(Text)
    content: Mapped[str | None] = mapped_column(Text)
    term: Mapped[str | None] = mapped_column(Text)
    device: Mapped[str | None] = mapped_column(String(20))
    event_type: Mapped[str] = mapped_column(String(40))
    events: Mapped[int] = mapped_column(Integer)
    sessions_with_event: Mapped[int] = mapped_column(Integer)


class AnalyticsSettings(TenantMixin, BiBase):
    """An organization's analytics choices: the attribution model of the Overview, and the
    lookback and time-decay half-life the attribution reports start from."""

    __tablename__ = "analytics_settings"

    organization_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    overview_model: Mapped[str] = mapped_column(String(20))
    lookback_days: Mapped[int] = mapped_column(Integer)
    half_life_days: Mapped[float]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


# --- ad spend (issue 18): accounts, daily metrics per ad, names, import runs ---------------


class AdAccount(TenantMixin, BiBase):
    """An ad account whose spend is imported: the platform, the account's id there, the
    vault credential that reads it (a CRM row: no cross-database foreign key), the
    account's timezone (its days) and currency, and the conversion types counted as the
    platform-reported conversions."""

    __tablename__ = "ad_accounts"
    __table_args__ = (UniqueConstraint("organization_id", "platform", "account_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    account_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(Text)
    credential_id: Mapped[uuid.UUID]
    timezone: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    conversion_types: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    is_active: Mapped[bool] = mapped_column(server_default=text("true"))
    last_imported_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class CampaignMetric(TenantMixin, BiBase):
    """Seed 003 `campaignMetrics`: one ad's figures on one day of its account's timezone,
    as the platform reports them. Re-imports overwrite the row (the platforms restate
    recent days); spend keeps its currency (never summed across currencies)."""

    __tablename__ = "campaign_metrics"
    __table_args__ = (
        Index("ix_campaign_metrics_organization_id_day", "organization_id", "day"),
        Index(
            "ix_campaign_metrics_organization_id_campaign_id",
            "organization_id",
            "platform",
            "campaign_id",
        ),
    )

    # The natural key: one row per organization, platform, account, ad and day.
    organization_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ad_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    campaign_id: Mapped[str] = mapped_column(String(64))
    ad_set_id: Mapped[str | None] = mapped_column(String(64))
    spend: Mapped[Decimal] = mapped_column(Numeric(18, 6))
    currency: Mapped[str] = mapped_column(String(3))
    impressions: Mapped[int] = mapped_column(BigInteger, server_default="0")
    # NULL: the platform does not report the figure at this level.
    reach: Mapped[int | None] = mapped_column(BigInteger)
    clicks: Mapped[int] = mapped_column(BigInteger, server_default="0")
    link_clicks: Mapped[int | None] = mapped_column(BigInteger)
    video_plays: Mapped[int | None] = mapped_column(BigInteger)
    video_3s_views: Mapped[int | None] = mapped_column(BigInteger)
    thruplays: Mapped[int | None] = mapped_column(BigInteger)
    conversions: Mapped[Decimal] = mapped_column(Numeric(18, 4), server_default="0")
    conversion_value: Mapped[Decimal] = mapped_column(Numeric(18, 4), server_default="0")
    attribution_setting: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(10))  # api | csv
    import_id: Mapped[uuid.UUID | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class _AdName:
    organization_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class AdCampaign(_AdName, TenantMixin, BiBase):
    """A campaign's current name (campaigns are renamed on the platforms)."""

    __tablename__ = "ad_campaigns"

    campaign_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class AdSet(_AdName, TenantMixin, BiBase):
    """An ad set's (Google: ad group; LinkedIn: campaign) current name and campaign."""

    __tablename__ = "ad_sets"

    ad_set_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(String(64))


class Ad(_AdName, TenantMixin, BiBase):
    """An ad's (LinkedIn: creative's) current name, ad set and campaign."""

    __tablename__ = "ads"

    ad_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ad_set_id: Mapped[str | None] = mapped_column(String(64))
    campaign_id: Mapped[str] = mapped_column(String(64))


class AdSpendImport(TenantMixin, BiBase):
    """One import run: an ad account's range (daily, backfill) or a CSV upload, with its
    rows, errors, duration, status and progress (days done of days)."""

    __tablename__ = "ad_spend_imports"
    __table_args__ = (
        Index("ix_ad_spend_imports_organization_id_created_at", "organization_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    ad_account_id: Mapped[uuid.UUID | None]
    platform: Mapped[str] = mapped_column(String(20))
    account_id: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(10))  # daily | backfill | csv
    date_from: Mapped[date | None]
    date_to: Mapped[date | None]
    # queued | running | succeeded | failed
    status: Mapped[str] = mapped_column(String(10))
    rows: Mapped[int] = mapped_column(Integer, server_default="0")
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    error: Mapped[str | None] = mapped_column(Text)
    days_total: Mapped[int] = mapped_column(Integer, server_default="0")
    days_done: Mapped[int] = mapped_column(Integer, server_default="0")
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


# --- joining spend to visits (issue 18 part 3) ---------------------------------------------


class TouchCombination(TenantMixin, BiBase):
    """One combination of a touch's campaign parameters as seen in `utm_tracking` (kept
    up to date by the refresh): the join to ad spend resolves each combination once per
    query instead of each touch."""

    __tablename__ = "touch_combinations"

    organization_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # md5 of the parameters (`spend_join.combination_key`): NULLs are part of the identity.
    combination_key: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(40))
    source: Mapped[str | None] = mapped_column(Text)
    medium: Mapped[str | None] = mapped_column(Text)
    campaign: Mapped[str | None] = mapped_column(Text)
    content: Mapped[str | None] = mapped_column(Text)
    term: Mapped[str | None] = mapped_column(Text)
    utm_id: Mapped[str | None] = mapped_column(Text)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]


class SpendMapping(TenantMixin, BiBase):
    """A user's mapping of UTM values (compared trimmed and without case; a NULL value
    matches anything) to a platform campaign, ad set or ad: the last join rule."""

    __tablename__ = "spend_mappings"
    __table_args__ = (UniqueConstraint("organization_id", "utm_key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    utm_key: Mapped[str] = mapped_column(Text)  # the normalized values, for uniqueness
    utm_source: Mapped[str | None] = mapped_column(Text)
    utm_campaign: Mapped[str | None] = mapped_column(Text)
    utm_content: Mapped[str | None] = mapped_column(Text)
    utm_term: Mapped[str | None] = mapped_column(Text)
    platform: Mapped[str] = mapped_column(String(20))
    account_id: Mapped[str] = mapped_column(String(64))
    campaign_id: Mapped[str] = mapped_column(String(64))
    ad_set_id: Mapped[str | None] = mapped_column(String(64))
    ad_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class AdNameHistory(TenantMixin, BiBase):
    """Every name a campaign, ad set or ad has had (trimmed, lower case in `name_key`):
    touches tagged with a name from before a rename still reach the campaign."""

    __tablename__ = "ad_name_history"
    __table_args__ = (
        Index(
            "ix_ad_name_history_organization_id_name_key", "organization_id", "level", "name_key"
        ),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    level: Mapped[str] = mapped_column(String(10), primary_key=True)  # campaign | ad_set | ad
    object_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_key: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    last_seen_at: Mapped[datetime] = mapped_column(server_default=func.now())
