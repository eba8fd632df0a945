"""Daily exchange rates and creative insights' history (BI database).

Exchange rates, for spend and revenue in another currency than the organization's:
`rate` units of `base` (the organization's currency) buy one unit of `quote`, on `day`.
Fetched rates (`ptax`: the Banco Central do Brasil's closing PTAX, cross rates through
BRL) and the organization's own (`manual`, which a fetch never overwrites). Rates are kept
per organization: one organization's manual rates never change another's reports."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, Numeric, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from rastro.core.db import BiBase, TenantMixin


class FxRate(TenantMixin, BiBase):
    __tablename__ = "fx_rates"
    __table_args__ = (CheckConstraint("rate > 0", name="rate_positive"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    base: Mapped[str] = mapped_column(String(3), primary_key=True)
    quote: Mapped[str] = mapped_column(String(3), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    rate: Mapped[Decimal] = mapped_column(Numeric(20, 10))
    source: Mapped[str] = mapped_column(String(10))
    fetched_at: Mapped[datetime] = mapped_column(server_default=func.now())


class CreativeInsight(TenantMixin, BiBase):
    """One ad's recommendation as computed on `day` (the daily job): the history that
    shows when a recommendation changed (`rastro.analytics.insights`)."""

    __tablename__ = "creative_insights"

    organization_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ad_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    recommendation: Mapped[str] = mapped_column(String(20))
    rule: Mapped[int]
    rules_version: Mapped[int]
    figures: Mapped[dict[str, Any]] = mapped_column(JSONB)
