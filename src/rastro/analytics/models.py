"""The analytics module's tables (BI database): the CRM's lead outcomes copied beside the
events (`conversion_facts`), one row per human session with its dimensions
(`session_facts`: the rollups' source), the rollups the reports read, per local day of
the organization, the visitor sets that give exact distinct visitors (`visitor_numbers`,
`visitor_sets_*`), each lead's first touch and touches (`lead_first_touches`,
`lead_journeys`), and what they hold (`rollup_state`: every moment before `through`, in
the days of `timezone`).

Design (figures in bench/README.md, "Analytics rollups"):
- Tables maintained incrementally, not materialized views: a refresh re-aggregates only
  the days that may have changed (0.9 s on the benchmark's 13 months, against a full
  rebuild of about a minute, which is what `REFRESH MATERIALIZED VIEW` would cost every
  five minutes).
- Per local day, not per UTC hour: hourly rows did not compress (887,551 rows for 970,000
  sessions); per day the smallest conversion level holds 21,249 rows for 13 months. A
  change of the organization's timezone makes the next refresh a full one; until then the
  reports read the raw rows (`rollups.rollup_through`).
- Levels of each rollup ("cube"): the smallest one with the dimensions a report groups by
  and filters on is read; the complete level is aggregated from the facts and the others
  are summed from it (one code path, `rollup_refresh.write_levels`).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Computed,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from rastro.core.db import BiBase, TenantMixin

# `spend_join.combination_key` of a fact's credited touch, as an immutable expression (a
# stored generated column cannot call concat_ws): the seven parameters with NULL as \x01,
# joined by \x1f, then \x1f and the click id only when there is one.
FACT_COMBINATION_KEY = (
    "md5("
    + " || E'\\x1f' || ".join(
        f"coalesce({c}, E'\\x01')"
        for c in ("channel::text", "source", "medium", "campaign", "content", "term", "utm_id")
    )
    + " || coalesce(E'\\x1f' || click_id, ''))::uuid"
)


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
        # The newest minutes' qualified leads (every report read adds them from the facts).
        Index(
            "ix_conversion_facts_organization_id_qualified_at",
            "organization_id",
            "qualified_at",
            postgresql_where=text("qualified_at IS NOT NULL"),
        ),
        *(  # money given back in a period (profit)
            Index(
                f"ix_conversion_facts_organization_id_{m}",
                "organization_id",
                m,
                postgresql_where=text(f"{m} IS NOT NULL"),
            )
            for m in ("refunded_at", "chargeback_at")
        ),
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
    # Its Google click id when that is its only campaign parameter (joined by click_view).
    click_id: Mapped[str | None] = mapped_column(Text)
    device: Mapped[str | None] = mapped_column(String(20))
    score_points: Mapped[int] = mapped_column(Integer)  # A=4, B=3, C=2, D=1
    time_to_conversion: Mapped[int | None] = mapped_column(Integer)  # seconds
    stage: Mapped[str] = mapped_column(String(20))
    qualified_at: Mapped[datetime | None]
    won_at: Mapped[datetime | None]
    lost_at: Mapped[datetime | None]
    revenue: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # when won
    currency: Mapped[str] = mapped_column(String(3))
    # The won sale's details and the money given back (`profit_models`), when won.
    product: Mapped[str | None] = mapped_column(String(255))
    payment_method: Mapped[str | None] = mapped_column(String(40))
    affiliate_commission: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    refunded_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    refunded_at: Mapped[datetime | None]
    chargeback_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    chargeback_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # The credited touch's combination key (what `combination_targets` is keyed by).
    combination_key: Mapped[uuid.UUID] = mapped_column(
        Computed(FACT_COMBINATION_KEY, persisted=True)
    )


class LeadFirstTouch(TenantMixin, BiBase):
    """A lead's first touch (the earliest touch of its visitors up to its creation, however
    old; all NULL when it has none), kept by the rollup refresh for the cohorts report. A
    row counts only while `fact_updated_at` equals its fact's `updated_at`: a lead copied
    again since is recounted from the raw touches."""

    __tablename__ = "lead_first_touches"

    lead_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    fact_updated_at: Mapped[datetime]
    touched_at: Mapped[datetime | None]
    channel: Mapped[str | None] = mapped_column(String(40))
    source: Mapped[str | None] = mapped_column(Text)
    medium: Mapped[str | None] = mapped_column(Text)
    campaign: Mapped[str | None] = mapped_column(Text)
    content: Mapped[str | None] = mapped_column(Text)


class LeadJourney(TenantMixin, BiBase):
    """A lead's touches (those of its visitors from a year before its earliest conversion
    moment to its latest: every journey a report can ask of it), in time order as parallel
    arrays, kept by the rollup refresh for the attribution and journeys reports. Like
    `LeadFirstTouch`, a row counts only while `fact_updated_at` equals its fact's
    `updated_at`. NULL arrays: no touch."""

    __tablename__ = "lead_journeys"

    lead_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    fact_updated_at: Mapped[datetime]
    touched_at: Mapped[list[datetime] | None] = mapped_column(ARRAY(DateTime(timezone=True)))
    channel: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    source: Mapped[list[str | None] | None] = mapped_column(ARRAY(Text))
    medium: Mapped[list[str | None] | None] = mapped_column(ARRAY(Text))
    campaign: Mapped[list[str | None] | None] = mapped_column(ARRAY(Text))
    content: Mapped[list[str | None] | None] = mapped_column(ARRAY(Text))
    term: Mapped[list[str | None] | None] = mapped_column(ARRAY(Text))
    utm_id: Mapped[list[str | None] | None] = mapped_column(ARRAY(Text))
    click_id: Mapped[list[str | None] | None] = mapped_column(ARRAY(Text))


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
        # The visitors entering an A/B test (sessions begun on its pages): an index-only
        # scan of those pages' sessions instead of reading every session of the period.
        Index(
            "ix_session_facts_organization_id_landing_page_id_started_at",
            "organization_id",
            "landing_page_id",
            "started_at",
            postgresql_include=["visitor_key"],
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


class _Day:
    """A rollup row: one organization's local day (the timezone in `rollup_state`) and a
    combination of dimension values (NULL ones included, so no natural key)."""

    row_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    day: Mapped[date]
    # Indexed with the day below (TenantMixin's own index would only slow the refresh).
    organization_id: Mapped[uuid.UUID] = mapped_column()

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Index, ...]:
        name = cls.__tablename__  # type: ignore[attr-defined]
        return (Index(f"ix_{name}_organization_id_day", "organization_id", "day"),)


class _Traffic:
    """The dimensions of every level: site, channel, source/medium and device."""

    domain_id: Mapped[uuid.UUID | None]
    channel: Mapped[str] = mapped_column(String(40))
    source: Mapped[str | None] = mapped_column(Text)
    medium: Mapped[str | None] = mapped_column(Text)
    device: Mapped[str | None] = mapped_column(String(20))


class _Page:
    landing_page_id: Mapped[uuid.UUID | None]


class _Campaign:
    campaign: Mapped[str | None] = mapped_column(Text)


class _Creative:
    content: Mapped[str | None] = mapped_column(Text)
    term: Mapped[str | None] = mapped_column(Text)


class _Conversions:
    """Seed 000 `daily_conversions_summary`'s measures: sessions by their start, leads by
    their creation, qualified leads by the first qualified stage, won deals and revenue
    (per currency) by the won move."""

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


class _EventTypes:
    """Seed 000 `visitor_behavior_summary`, its event half: interaction events by type,
    counted in their session's start day with the session's dimensions (so that they add
    up with the sessions and take the same filters): how many events, and how many
    sessions had one."""

    event_type: Mapped[str] = mapped_column(String(40))
    events: Mapped[int] = mapped_column(Integer)
    sessions_with_event: Mapped[int] = mapped_column(Integer)


class _PagePaths:
    """Seed 000 `visitor_behavior_summary`, its page half: page views by their own day and
    page path (the URL without scheme, host, query or fragment), with their session's
    dimensions; the sessions that entered on the path (first view) and left from it."""

    page_path: Mapped[str] = mapped_column(Text)
    views: Mapped[int] = mapped_column(Integer, server_default="0")
    entries: Mapped[int] = mapped_column(Integer, server_default="0")
    exits: Mapped[int] = mapped_column(Integer, server_default="0")


# Each rollup at a few levels, smallest first (their rows on the benchmark's 13 months are
# in bench/README.md): conversions by channel (site, channel, source/medium, device), by
# landing page (the same and the landing page), by campaign (the channel level and the
# campaign) and by every dimension (`daily_conversions_summary`); events by type by channel
# and by landing page; page paths by site and by channel. Events and paths stop there:
# their rows multiply by types and paths, and a level with every dimension held nearly one
# row per event or page view (1.7 M and 3.3 M rows, most of the refresh's time). A report
# reads the smallest level that has the dimensions it groups by and filters on
# (`rollups.Rollup.level_for`); a question no level answers (events of one campaign) is
# aggregated from the raw rows of its period, driven by the filtered sessions.


class ConversionsByChannel(_Day, _Traffic, _Conversions, TenantMixin, BiBase):
    """Conversions per local day, site, channel, source/medium and device."""

    __tablename__ = "daily_conversions_by_channel"


class ConversionsByPage(_Day, _Traffic, _Page, _Conversions, TenantMixin, BiBase):
    """Conversions per local day, the channel level's dimensions and landing page."""

    __tablename__ = "daily_conversions_by_page"


class ConversionsByCampaign(_Day, _Traffic, _Campaign, _Conversions, TenantMixin, BiBase):
    """Conversions per local day, the channel level's dimensions and campaign."""

    __tablename__ = "daily_conversions_by_campaign"


class ConversionSummary(
    _Day, _Traffic, _Page, _Campaign, _Creative, _Conversions, TenantMixin, BiBase
):
    """Seed 000 `daily_conversions_summary`: conversions per local day and every dimension
    (a campaign filter with a landing page or creative reads one campaign's rows)."""

    __tablename__ = "daily_conversions_summary"
    __table_args__ = (
        Index("ix_daily_conversions_summary_organization_id_day", "organization_id", "day"),
        Index(
            "ix_daily_conversions_summary_organization_id_campaign_day",
            "organization_id",
            "campaign",
            "day",
        ),
    )


class EventTypesByChannel(_Day, _Traffic, _EventTypes, TenantMixin, BiBase):
    """Events by type per local day, site, channel, source/medium and device."""

    __tablename__ = "event_type_by_channel"


class EventTypesByPage(_Day, _Traffic, _Page, _EventTypes, TenantMixin, BiBase):
    """Events by type per local day, the channel level's dimensions and landing page."""

    __tablename__ = "event_type_by_page"


class _Site:
    domain_id: Mapped[uuid.UUID | None]


class PagePathsBySite(_Day, _Site, _PagePaths, TenantMixin, BiBase):
    """Page paths per local day and site (the unfiltered behaviour report)."""

    __tablename__ = "page_path_by_site"


class PagePathsByChannel(_Day, _Traffic, _PagePaths, TenantMixin, BiBase):
    """Page paths per local day, site, channel, source/medium and device."""

    __tablename__ = "page_path_by_channel"


class VisitorNumber(TenantMixin, BiBase):
    """A dense number per visitor (`session_facts.visitor_key`) of an organization, given
    by the refresh the first time it sees the visitor: the visitor sets hold these."""

    __tablename__ = "visitor_numbers"
    __table_args__ = (
        Index(
            "uq_visitor_numbers_organization_id_number", "organization_id", "number", unique=True
        ),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    visitor_key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    number: Mapped[int] = mapped_column(Integer)


class _VisitorSet:
    """The visitors of the sessions started in a local day with these dimensions: their
    numbers (`VisitorNumber`), one per session, each four bytes big-endian (PostgreSQL's
    `int4send`), so that a report unions them in memory; and the page views of those
    sessions, in the same order (the n-th page-view count belongs to the n-th number), so
    that a report counts sessions and page views per visitor (new vs returning)."""

    sessions: Mapped[int] = mapped_column(Integer)
    visitors: Mapped[bytes] = mapped_column(LargeBinary)
    page_views: Mapped[bytes] = mapped_column(LargeBinary)


# Distinct visitors over a range do not add up across days or dimension values: the
# reports read these sets (`service.visitor_sets`), the smallest level first.
class VisitorSetsByChannel(_Day, _Traffic, _VisitorSet, TenantMixin, BiBase):
    """Visitor sets per local day, site, channel, source/medium and device."""

    __tablename__ = "visitor_sets_by_channel"


class VisitorSetsByPage(_Day, _Traffic, _Page, _VisitorSet, TenantMixin, BiBase):
    """Visitor sets per local day, the channel level's dimensions and landing page (the
    landing-page report: without the campaign split, about a fifth of the campaign
    level's rows)."""

    __tablename__ = "visitor_sets_by_page"


class VisitorSetsByCampaign(_Day, _Traffic, _Page, _Campaign, _VisitorSet, TenantMixin, BiBase):
    """Visitor sets per local day, the channel level's dimensions, landing page and
    campaign (a campaign filter reads one campaign's rows through its index)."""

    __tablename__ = "visitor_sets_by_campaign"
    __table_args__ = (
        Index("ix_visitor_sets_by_campaign_organization_id_day", "organization_id", "day"),
        Index(
            "ix_visitor_sets_by_campaign_organization_id_campaign_day",
            "organization_id",
            "campaign",
            "day",
        ),
    )


class LeadVisitorSet(TenantMixin, BiBase):
    """The visitors of the leads created in a local day (`conversion_facts.visitor_ids`),
    written by the refresh beside the visitor sets: the numbers of those numbered then
    (four bytes each, as the sets; repeats allowed) and the keys of the others (a visitor
    without a session yet), which a report looks up again (new vs returning)."""

    __tablename__ = "lead_visitor_sets"

    organization_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    numbers: Mapped[bytes] = mapped_column(LargeBinary)
    unnumbered_keys: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))


class RollupState(TenantMixin, BiBase):
    """What an organization's rollups hold: every moment before `through` (the start of
    the refresh that wrote them), grouped into the days of `timezone`."""

    __tablename__ = "rollup_state"

    organization_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    through: Mapped[datetime]
    refreshed_at: Mapped[datetime]
    timezone: Mapped[str | None] = mapped_column(String(64))  # NULL: rebuild in full


class AnalyticsSettings(TenantMixin, BiBase):
    """An organization's analytics choices: the attribution model of the Overview, and the
    lookback and time-decay half-life the attribution reports start from."""

    __tablename__ = "analytics_settings"

    organization_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    overview_model: Mapped[str] = mapped_column(String(20))
    lookback_days: Mapped[int] = mapped_column(Integer)
    half_life_days: Mapped[float]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


# These tables have their own files (this one would be long); importing them here registers
# them with the BI metadata.
from rastro.analytics import (  # noqa: E402
    ad_models,
    fx_models,
    health_models,
    month_models,
    profit_models,
)

__all__ = ["ad_models", "fx_models", "health_models", "month_models", "profit_models"]
