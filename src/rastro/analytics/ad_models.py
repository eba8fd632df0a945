"""The ad spend tables (BI database, issue 18): ad accounts, daily metrics per ad, the
current and past names of campaigns, ad sets and ads, import runs, and how spend joins
visits (touch combinations and mappings)."""

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


class CampaignMetricMonth(TenantMixin, BiBase):
    """`campaign_metrics` summed per ad, campaign, ad set, calendar month (of the rows'
    days) and currency, kept in step by statement-level triggers on `campaign_metrics`
    (`spend_rollup`): reports read whole months here and the days at a range's edges from
    the daily rows. Money stays in its currency, summed exactly (`numeric`); `day_count` is
    how many daily rows it holds."""

    __tablename__ = "campaign_metrics_monthly"

    organization_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)  # the month's first day
    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ad_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The ad set in the key: '' for none, '=' and the id otherwise (a key column cannot
    # be NULL, and no id is confused with none).
    ad_set_key: Mapped[str] = mapped_column(String(65), primary_key=True)
    ad_set_id: Mapped[str | None] = mapped_column(String(64))
    day_count: Mapped[int] = mapped_column(Integer)
    spend: Mapped[Decimal] = mapped_column(Numeric)
    conversion_value: Mapped[Decimal] = mapped_column(Numeric)
    impressions: Mapped[int] = mapped_column(BigInteger)
    clicks: Mapped[int] = mapped_column(BigInteger)
    # Impressions of the days that report 3-second views, those views, and those days.
    hooked_impressions: Mapped[int] = mapped_column(BigInteger)
    video_3s_views: Mapped[int] = mapped_column(BigInteger)
    video_3s_days: Mapped[int] = mapped_column(Integer)
    conversions: Mapped[Decimal] = mapped_column(Numeric)


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
    # A Google click id standing alone (tracking's `standalone_click_id`): a combination
    # of its own, reached through `ad_clicks`.
    click_id: Mapped[str | None] = mapped_column(Text)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]


class CombinationTarget(TenantMixin, BiBase):
    """The campaign, ad set and ad that one combination of a lead's credited touch reaches
    by the join's rules (`spend_join.resolve`), all NULL when it reaches none, written by
    the refresh (`fact_targets.store`) so that reports join facts to it instead of
    resolving every combination on every request. Triggers on the tables the rules read
    (`rastro_combination_targets_stale()`) delete the rows a change could alter; a report
    resolves the combinations it finds no row for itself."""

    __tablename__ = "combination_targets"

    organization_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    combination_key: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # The combination's click id (a new click of it changes only these rows).
    click_id: Mapped[str | None] = mapped_column(Text)
    platform: Mapped[str | None] = mapped_column(String(20))
    account_id: Mapped[str | None] = mapped_column(String(64))
    campaign_id: Mapped[str | None] = mapped_column(String(64))
    ad_set_id: Mapped[str | None] = mapped_column(String(64))
    ad_id: Mapped[str | None] = mapped_column(String(64))
    rule: Mapped[str | None] = mapped_column(String(20))


class AdClick(TenantMixin, BiBase):
    """A click's campaign, ad group and ad as the platform reports them (Google's
    `click_view`: gclid per day, kept by the platform for 90 days): the first join rule
    for touches whose only campaign parameter is the click id."""

    __tablename__ = "ad_clicks"

    organization_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    click_id: Mapped[str] = mapped_column(Text, primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64))
    campaign_id: Mapped[str] = mapped_column(String(64))
    ad_set_id: Mapped[str | None] = mapped_column(String(64))
    ad_id: Mapped[str | None] = mapped_column(String(64))
    day: Mapped[date]


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
