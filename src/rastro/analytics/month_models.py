"""Month levels of the conversion and event rollups: each day level's rows summed per
local month (`month`: the month's first day, in the organization's timezone), with the
same dimensions and measures; the page path rollup's two levels likewise (a page view
counts in its own day, so its month). `daily_conversions_summary` has none: per month it still
held 222,655 of its 593,900 rows on the benchmark's data (content and term barely
repeat), and writing them was most of the month levels' cost in a full refresh; its
questions (content, term, a campaign with a landing page) read its days, a campaign's
through the campaign index.

A report that does not group by day reads the whole months of its period here and only
the edge days from the day level (`rollup_months`): over 12 months, about a month's
worth of rows per level instead of 365 days'. The refresh sums the months whose days it
rewrote from the day levels, in the same transaction, so a month row always equals the
sum of its days' rows.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import BigInteger, Index
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from rastro.analytics.models import (
    _Campaign,
    _Conversions,
    _EventTypes,
    _Page,
    _PagePaths,
    _Site,
    _Traffic,
)
from rastro.core.db import BiBase, TenantMixin


class _Month:
    """A month-level row: one organization's local month and a combination of dimension
    values (NULL ones included, so no natural key)."""

    row_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    month: Mapped[date]  # the first local day of the month
    organization_id: Mapped[uuid.UUID] = mapped_column()

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Index, ...]:
        name = cls.__tablename__  # type: ignore[attr-defined]
        return (Index(f"ix_{name}_organization_id_month", "organization_id", "month"),)


class MonthlyConversionsByChannel(_Month, _Traffic, _Conversions, TenantMixin, BiBase):
    """`daily_conversions_by_channel` per local month."""

    __tablename__ = "monthly_conversions_by_channel"


class MonthlyConversionsByPage(_Month, _Traffic, _Page, _Conversions, TenantMixin, BiBase):
    """`daily_conversions_by_page` per local month."""

    __tablename__ = "monthly_conversions_by_page"


class MonthlyConversionsByCampaign(_Month, _Traffic, _Campaign, _Conversions, TenantMixin, BiBase):
    """`daily_conversions_by_campaign` per local month."""

    __tablename__ = "monthly_conversions_by_campaign"


class MonthlyEventTypesByChannel(_Month, _Traffic, _EventTypes, TenantMixin, BiBase):
    """`event_type_by_channel` per local month (of the events' sessions' start)."""

    __tablename__ = "monthly_event_type_by_channel"


class MonthlyEventTypesByPage(_Month, _Traffic, _Page, _EventTypes, TenantMixin, BiBase):
    """`event_type_by_page` per local month (of the events' sessions' start)."""

    __tablename__ = "monthly_event_type_by_page"


class MonthlyPagePathsBySite(_Month, _Site, _PagePaths, TenantMixin, BiBase):
    """`page_path_by_site` per local month (of the page views)."""

    __tablename__ = "monthly_page_path_by_site"


class MonthlyPagePathsByChannel(_Month, _Traffic, _PagePaths, TenantMixin, BiBase):
    """`page_path_by_channel` per local month (of the page views): the behaviour report
    with a channel, source/medium or device filter over 12 months read 365 days' rows."""

    __tablename__ = "monthly_page_path_by_channel"
