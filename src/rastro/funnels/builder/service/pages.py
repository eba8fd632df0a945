"""What a public step page shows, read for one request: the organization from the URL
(its slug) or from the `Host` (a tracked domain of the organization), the funnel and
step by their slugs (active ones only), the step that follows, the step's offer, the
pixels that apply to it, and the tracker's site key.

Organization look-ups cross tenant lines (`SYSTEM`): they return only the organization's
id, and every read after them runs in that organization's scope.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.auth.service import accounts
from rastro.core.db import SYSTEM, TenantScopeMissing, get_scope, scoped
from rastro.core.errors import NotFound, field_error
from rastro.funnels.builder import offers
from rastro.funnels.builder.models import Funnel, FunnelStep, TrackingPixel
from rastro.funnels.builder.service import funnels, steps
from rastro.funnels.builder.service.checkout import find_checkout_config
from rastro.funnels.builder.steps import OFFER_STEPS
from rastro.funnels.payments.service import payments
from rastro.tracking.schemas import DomainSettings
from rastro.tracking.service import config as tracking_config

_COOKIE_DAYS = DomainSettings.model_fields["cookie_days"].default  # the tracker's own


@dataclass(frozen=True)
class PixelTag:
    pixel_type: str
    pixel_id: str
    event_name: str | None
    snippet: str | None


@dataclass(frozen=True)
class Offer:
    product_name: str
    price: Decimal
    currency: str
    fields: offers.CheckoutFields = field(default_factory=offers.CheckoutFields)
    design: offers.CheckoutDesign = field(default_factory=offers.CheckoutDesign)
    bump: offers.OrderBump | None = None


def offer_of(
    step_type: str,
    *,
    product_name: str,
    price: Decimal,
    currency: str,
    fields_config: dict[str, Any] | None,
    design_config: dict[str, Any] | None,
    upsell_config: dict[str, Any] | None,
) -> Offer:
    """The offer a page shows from a checkout config's values (stored or previewed)."""
    return Offer(
        product_name,
        price,
        currency,
        fields=offers.read_config(offers.CheckoutFields, fields_config),
        design=offers.read_config(offers.CheckoutDesign, design_config),
        # The order bump is the checkout's (an upsell is one click: no tick box).
        bump=offers.read_config(offers.UpsellConfig, upsell_config).order_bump
        if step_type == "checkout"
        else None,
    )


def stored_offer(step_type: str, config: Any) -> Offer:
    return offer_of(
        step_type,
        product_name=config.product_name,
        price=config.product_price,
        currency=config.currency,
        fields_config=config.fields_config,
        design_config=config.design_config,
        upsell_config=config.upsell_config,
    )


@dataclass(frozen=True)
class Tracker:
    site_key: str
    cookie_days: int | None


@dataclass(frozen=True)
class PublicStep:
    organization_id: uuid.UUID
    funnel_id: uuid.UUID
    funnel_slug: str
    funnel_name: str
    step_id: uuid.UUID
    step_slug: str
    step_type: str
    settings: dict[str, Any]
    content: dict[str, Any]
    domain_id: uuid.UUID | None
    next_slug: str | None  # the next active step
    accept_slug: str | None  # where a paid offer goes (its `accept_step`, else next)
    decline_slug: str | None  # where a declined offer goes (its `decline_step`, else next)
    offer: Offer | None
    pixels: tuple[PixelTag, ...]
    tracker: Tracker | None
    require_consent: bool


async def find_organization(
    session: AsyncSession, *, organization_slug: str | None, host: str | None
) -> uuid.UUID | None:
    """The organization a public URL names: by its slug, or else by the request's host
    when exactly one organization has an active domain there."""
    async with scoped(session, SYSTEM):
        if organization_slug is not None:
            organization = await accounts.find_organization_by_slug(session, organization_slug)
            return organization.id if organization else None
        if not host:
            return None
        organizations = {org for org, _ in await tracking_config.domains_on_host(session, host)}
    return organizations.pop() if len(organizations) == 1 else None


# The page data of each step this process served, keyed by organization and slugs, with
# the fingerprint of the rows it was read from. Every request reads the fingerprint (one
# indexed query: the funnel's `updated_at`, and the count and latest `updated_at` of its
# steps, checkout configs and pixels), so an edit made through any process — an update,
# an insert or a delete changes one of them — is seen by the next request everywhere.
# The tracked domain (the tracking module's) is read on every request, as before.
_CACHE_SIZE = 4096
_cache: dict[tuple[uuid.UUID, str, str], tuple[tuple[Any, ...], PublicStep]] = {}
_FINGERPRINT = text(
    """
    SELECT f.id, f.updated_at,
      (SELECT count(*) || ':' || coalesce(max(updated_at)::text, '')
         FROM funnel_steps WHERE funnel_id = f.id),
      (SELECT count(*) || ':' || coalesce(max(updated_at)::text, '')
         FROM checkout_configs WHERE funnel_id = f.id),
      (SELECT count(*) || ':' || coalesce(max(updated_at)::text, '')
         FROM tracking_pixels WHERE funnel_id = f.id)
    FROM funnels f
    WHERE f.organization_id = :organization_id AND f.slug = :slug AND f.is_active
    """
)


async def get_public_step(
    session: AsyncSession, *, funnel_slug: str, step_slug: str, cached: bool = False
) -> PublicStep:
    """The active step of the organization's active funnel (404 otherwise); the session
    is in the organization's scope. `cached`: from this process's cache when the rows
    it was read from are unchanged (see `_cache`)."""
    if not cached:
        return await _read_public_step(session, funnel_slug=funnel_slug, step_slug=step_slug)
    organization_id = _scope_organization(session)
    row = (
        await session.execute(
            _FINGERPRINT, {"organization_id": organization_id, "slug": funnel_slug}
        )
    ).first()
    if row is None:
        raise NotFound("Page not found.")
    key = (organization_id, funnel_slug, step_slug)
    fingerprint = tuple(row)
    hit = _cache.get(key)
    if hit is not None and hit[0] == fingerprint:
        found = hit[1]
    else:
        found = await _read_public_step(session, funnel_slug=funnel_slug, step_slug=step_slug)
        if len(_cache) >= _CACHE_SIZE:
            _cache.clear()
        _cache[key] = (fingerprint, found)
    return replace(found, tracker=await _tracker(session, found.domain_id))


def _scope_organization(session: AsyncSession) -> uuid.UUID:
    scope = get_scope(session)
    if scope is None or scope.organization_id is None:
        raise TenantScopeMissing("a public step is read in its organization's scope")
    return scope.organization_id


async def _tracker(session: AsyncSession, domain_id: uuid.UUID | None) -> Tracker | None:
    if domain_id is None:
        return None
    domain = await tracking_config.get_domain(session, domain_id)
    if not domain.is_active:
        return None
    days = ((domain.metadata_ or {}).get("settings") or {}).get("cookie_days")
    return Tracker(domain.site_key, int(days) if days and days != _COOKIE_DAYS else None)


async def _read_public_step(
    session: AsyncSession, *, funnel_slug: str, step_slug: str
) -> PublicStep:
    funnel = await session.scalar(
        select(Funnel).where(Funnel.slug == funnel_slug, Funnel.is_active.is_(True))
    )
    if funnel is None:
        raise NotFound("Page not found.")
    steps = list(
        await session.scalars(
            select(FunnelStep)
            .where(FunnelStep.funnel_id == funnel.id, FunnelStep.is_active.is_(True))
            .order_by(FunnelStep.order_index)
        )
    )
    position = next((i for i, s in enumerate(steps) if s.slug == step_slug), None)
    if position is None:
        raise NotFound("Page not found.")
    step = steps[position]
    next_slug = steps[position + 1].slug if position + 1 < len(steps) else None
    active = {s.slug for s in steps}

    def target(setting: str) -> str | None:
        wanted = step.settings.get(setting)
        return wanted if wanted in active else next_slug

    config = await find_checkout_config(session, step.id)
    offer = stored_offer(step.step_type, config) if config is not None else None
    pixels = await session.scalars(
        select(TrackingPixel)
        .where(
            TrackingPixel.funnel_id == funnel.id,
            TrackingPixel.is_active.is_(True),
            or_(TrackingPixel.step_id.is_(None), TrackingPixel.step_id == step.id),
        )
        .order_by(TrackingPixel.created_at, TrackingPixel.id)
    )
    tracker = await _tracker(session, funnel.domain_id)
    return PublicStep(
        organization_id=funnel.organization_id,
        funnel_id=funnel.id,
        funnel_slug=funnel.slug,
        funnel_name=funnel.name,
        step_id=step.id,
        step_slug=step.slug,
        step_type=step.step_type,
        settings=step.settings,
        content=step.content,
        domain_id=funnel.domain_id,
        next_slug=next_slug,
        accept_slug=target("accept_step"),
        decline_slug=target("decline_step"),
        offer=offer,
        pixels=tuple(PixelTag(p.pixel_type, p.pixel_id, p.event_name, p.snippet) for p in pixels),
        tracker=tracker,
        require_consent=bool(funnel.settings.get("require_consent")),
    )


async def payment_status(session: AsyncSession, payment_id: uuid.UUID) -> str | None:
    """A funnel payment's status, for its buyer's page (None for an unknown id or a
    payment that is no funnel's); the id is the buyer's capability."""
    async with scoped(session, SYSTEM):
        try:
            payment = await payments.get_payment(session, payment_id)
        except NotFound:
            return None
        return payment.status if payment.funnel_id is not None else None


async def preview_step(
    session: AsyncSession,
    funnel_id: uuid.UUID,
    step_id: uuid.UUID,
    *,
    settings: dict[str, Any] | None = None,
    content: dict[str, Any] | None = None,
    offer: Offer | None = None,
) -> tuple[PublicStep, str]:
    """A step as its public page would show it with the settings, content or offer given
    (validated for its type, nothing saved), without the tracker and the pixels (a
    preview sends no events), and the URL prefix of the funnel's pages; inactive steps
    and funnels preview too. 404 for another organization's step."""
    funnel = await funnels.get_funnel_row(session, funnel_id)
    step = await steps.get_step_row(session, funnel_id, step_id)
    if offer is not None and step.step_type not in OFFER_STEPS:
        raise field_error(
            "step_id", "Only checkout, upsell and downsell steps have a checkout config."
        )
    checked_settings, checked_content = steps.checked_config(
        step.step_type,
        step.settings if settings is None else settings,
        step.content if content is None else content,
    )
    ordered = list(
        await session.scalars(
            select(FunnelStep)
            .where(FunnelStep.funnel_id == funnel.id)
            .order_by(FunnelStep.order_index)
        )
    )
    position = next(i for i, s in enumerate(ordered) if s.id == step.id)
    next_slug = ordered[position + 1].slug if position + 1 < len(ordered) else None
    if offer is None:
        config = await find_checkout_config(session, step.id)
        if config is not None:
            offer = stored_offer(step.step_type, config)
    elif step.step_type != "checkout":
        offer = replace(offer, bump=None)
    preview = PublicStep(
        organization_id=funnel.organization_id,
        funnel_id=funnel.id,
        funnel_slug=funnel.slug,
        funnel_name=funnel.name,
        step_id=step.id,
        step_slug=step.slug,
        step_type=step.step_type,
        settings=checked_settings,
        content=checked_content,
        domain_id=funnel.domain_id,
        next_slug=next_slug,
        accept_slug=next_slug,
        decline_slug=next_slug,
        offer=offer,
        pixels=(),
        tracker=None,
        require_consent=False,
    )
    organization_slug = await funnels.organization_slug(session)
    return preview, f"/f/{organization_slug}/{funnel.slug}"
