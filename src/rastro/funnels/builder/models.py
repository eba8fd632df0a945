"""Tables of the funnels (seed 002 `funnels`, `funnel_steps`, `checkout_configs`,
`tracking_pixels`).

Slugs are unique per organization (funnels) and per funnel (steps). A funnel's steps are
ordered by `order_index`, unique per funnel and checked at commit (`DEFERRABLE`), so a
reorder may swap positions inside one transaction. `domain_id` names the tracked site
whose tracker (site key) the public pages load and whose host serves them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from rastro.core.db import CrmBase, TenantMixin
from rastro.core.ids import uuid7
from rastro.funnels.builder.steps import PIXEL_TYPES, STEP_TYPES

_STEP_TYPES = ", ".join(f"'{kind}'" for kind in STEP_TYPES)
_PIXEL_TYPES = ", ".join(f"'{kind}'" for kind in PIXEL_TYPES)


class Funnel(TenantMixin, CrmBase):
    """A sales funnel (seed 002 `funnels`)."""

    __tablename__ = "funnels"
    __table_args__ = (UniqueConstraint("organization_id", "slug"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    niche: Mapped[str | None] = mapped_column(String(100))
    is_active: Mapped[bool] = mapped_column(server_default="true")
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    # The tracked site of the public pages (its tracker's site key, its host).
    domain_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("domains.domain_id", ondelete="SET NULL"), index=True
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class FunnelStep(TenantMixin, CrmBase):
    """One page of a funnel (seed 002 `funnel_steps`): its type's `settings` and
    `content` are validated by the type's models (`steps.py`)."""

    __tablename__ = "funnel_steps"
    __table_args__ = (
        UniqueConstraint("funnel_id", "slug"),
        UniqueConstraint("funnel_id", "order_index", deferrable=True, initially="DEFERRED"),
        CheckConstraint(f"step_type IN ({_STEP_TYPES})", name="step_type_known"),
        CheckConstraint("order_index >= 0", name="order_index_positive"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    funnel_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("funnels.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(100))
    step_type: Mapped[str] = mapped_column(String(20))
    order_index: Mapped[int]
    is_active: Mapped[bool] = mapped_column(server_default="true")
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    content: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class CheckoutConfig(TenantMixin, CrmBase):
    """The offer of a checkout, upsell or downsell step (seed 002 `checkout_configs`):
    one per step."""

    __tablename__ = "checkout_configs"
    __table_args__ = (
        UniqueConstraint("step_id"),
        CheckConstraint("product_price > 0", name="price_positive"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    funnel_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("funnels.id", ondelete="CASCADE"), index=True
    )
    step_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("funnel_steps.id", ondelete="CASCADE"))
    product_name: Mapped[str] = mapped_column(String(255))
    product_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3), server_default="BRL")
    payment_methods: Mapped[list[str]] = mapped_column(JSONB, server_default='["pix"]')
    fields_config: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    design_config: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    upsell_config: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class TrackingPixel(TenantMixin, CrmBase):
    """An ad platform's pixel on a funnel's pages, or one step's (seed 002
    `tracking_pixels`); `custom` pixels carry their own snippet."""

    __tablename__ = "tracking_pixels"
    __table_args__ = (CheckConstraint(f"pixel_type IN ({_PIXEL_TYPES})", name="pixel_type_known"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    funnel_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("funnels.id", ondelete="CASCADE"), index=True
    )
    step_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("funnel_steps.id", ondelete="CASCADE"), index=True
    )
    pixel_type: Mapped[str] = mapped_column(String(20))
    pixel_id: Mapped[str] = mapped_column(String(255))
    event_name: Mapped[str | None] = mapped_column(String(100))
    snippet: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(server_default="true")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
