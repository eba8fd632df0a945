"""Domains, landing pages and A/B tests (CRM database), and site-key resolution."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.db import SYSTEM
from rastro.core.errors import Conflict, NotFound, UnprocessableEntity
from rastro.core.pagination import PageParams, paginate
from rastro.core.references import check_referenced, referenced
from rastro.core.units import TransactionBoundary
from rastro.tracking.enrichment import url_key
from rastro.tracking.models import AbTest, Domain, LandingPage
from rastro.tracking.service.collector import SiteContext
from rastro.tracking.tracker import COOKIE_DAYS


def origin_of(url: str) -> str:
    """The scheme and host of a URL, lower-cased; "" for one that does not parse (`http://[`)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


def default_origins(domain_url: str) -> list[str]:
    parts = urlsplit(domain_url)
    host = (parts.hostname or "").lower()
    bare = host.removeprefix("www.")
    port = f":{parts.port}" if parts.port else ""
    return sorted({f"{parts.scheme}://{bare}{port}", f"{parts.scheme}://www.{bare}{port}"})


def consent_mode(domain: Domain) -> str:
    """The domain's consent mode (`schemas.DomainSettings.consent_mode`): off | required."""
    settings = (domain.metadata_ or {}).get("settings") or {}
    return "required" if settings.get("consent_mode") == "required" else "off"


def snippet(base_url: str, domain: Domain) -> str:
    """The one tag a site adds to its pages (with the cookie lifetime when it is not the
    tracker's default of 90 days, and `data-require-consent` when the domain asks for
    consent)."""
    settings = (domain.metadata_ or {}).get("settings") or {}
    days = settings.get("cookie_days", COOKIE_DAYS)
    extra = f' data-cookie-days="{int(days)}"' if days != COOKIE_DAYS else ""
    if consent_mode(domain) == "required":
        extra += " data-require-consent"
    return (
        f'<script defer src="{base_url.rstrip("/")}/t.js" data-site="{domain.site_key}"'
        f"{extra}></script>"
    )


async def create_domain(
    session: AsyncSession,
    *,
    domain_url: str,
    domain_name: str | None,
    allowed_origins: list[str] | None,
    metadata: dict[str, Any],
    is_active: bool,
) -> Domain:
    host = (urlsplit(domain_url).hostname or "").lower()
    name = domain_name or host.removeprefix("www.")
    await _check_name_free(session, name)
    domain = Domain(
        domain_name=name,
        domain_url=domain_url.rstrip("/"),
        site_key="rs_" + secrets.token_urlsafe(18),
        allowed_origins=allowed_origins
        if allowed_origins is not None
        else default_origins(domain_url),
        metadata_=metadata,
        is_active=is_active,
    )
    session.add(domain)
    await session.flush()
    await session.refresh(domain)
    return domain


async def _check_name_free(
    session: AsyncSession, name: str, domain_id: uuid.UUID | None = None
) -> None:
    """409 naming `domain_name` when another domain of the organization has this name."""
    other = select(Domain.domain_id).where(Domain.domain_name == name)
    if domain_id is not None:
        other = other.where(Domain.domain_id != domain_id)
    if await session.scalar(other):
        raise Conflict(
            f"The domain {name!r} is already registered.",
            details=[
                {"loc": "body.domain_name", "message": "already registered", "type": "unique"}
            ],
        )


async def get_domain(session: AsyncSession, domain_id: uuid.UUID) -> Domain:
    domain = await session.get(Domain, domain_id)
    if domain is None:
        raise NotFound("Domain not found.")
    return domain


async def check_domain(
    session: AsyncSession, domain_id: uuid.UUID | None, *, field: str = "domain_id"
) -> None:
    """422 `unknown_reference` unless the domain is the session's organization's."""
    await check_referenced(session, Domain, domain_id, field=field)


_HOST = re.compile(r"^[a-z0-9.-]{1,253}(?::\d{1,5})?$")


async def domains_on_host(session: AsyncSession, host: str) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(organization id, domain id) of the active domains whose URL is on `host` (a
    `Host` header: name and optional port), in the session's scope (SYSTEM for a public
    page that does not know its organization yet)."""
    host = host.strip().lower()
    if not _HOST.fullmatch(host):
        return []
    urls = [f"{scheme}://{host}" for scheme in ("http", "https")]
    rows = await session.execute(
        select(Domain.organization_id, Domain.domain_id).where(
            Domain.is_active.is_(True),
            or_(
                func.lower(Domain.domain_url).in_(urls),
                *(func.lower(Domain.domain_url).startswith(url + "/") for url in urls),
            ),
        )
    )
    return [(org, domain) for org, domain in rows]


async def list_domains(session: AsyncSession, params: PageParams) -> tuple[list[Domain], int]:
    rows, total = await paginate(session, select(Domain).order_by(Domain.domain_name), params)
    return list(rows), total


async def update_domain(
    session: AsyncSession, domain_id: uuid.UUID, changes: dict[str, Any]
) -> Domain:
    domain = await get_domain(session, domain_id)
    if "domain_name" in changes:
        await _check_name_free(session, changes["domain_name"], domain_id)
    if "metadata" in changes:
        domain.metadata_ = changes.pop("metadata")
    for key, value in changes.items():
        setattr(domain, key, value)
    await session.flush()
    await session.refresh(domain)
    return domain


async def delete_domain(session: AsyncSession, domain_id: uuid.UUID) -> None:
    await session.delete(await get_domain(session, domain_id))
    await session.flush()


# --- landing pages and A/B tests -----------------------------------------------------------


async def _check_page_fields(
    session: AsyncSession, domain_id: uuid.UUID, ab_test_id: uuid.UUID | None
) -> None:
    await referenced(session, Domain, domain_id, field="domain_id")
    if ab_test_id is not None:
        test = await referenced(session, AbTest, ab_test_id, field="ab_test_id")
        if test.domain_id != domain_id:
            raise UnprocessableEntity(
                "The A/B test does not exist on this domain.",
                details=[
                    {"loc": "body.ab_test_id", "message": "unknown A/B test", "type": "value"}
                ],
            )


async def create_landing_page(session: AsyncSession, **fields: Any) -> LandingPage:
    await _check_page_fields(session, fields["domain_id"], fields.get("ab_test_id"))
    page = LandingPage(**fields, url_key=url_key(fields["page_url"]))
    session.add(page)
    await session.flush()
    await session.refresh(page)
    return page


async def get_landing_page(session: AsyncSession, page_id: uuid.UUID) -> LandingPage:
    page = await session.get(LandingPage, page_id)
    if page is None:
        raise NotFound("Landing page not found.")
    return page


async def check_landing_page(
    session: AsyncSession, page_id: uuid.UUID | None, *, field: str = "page_id"
) -> None:
    """422 `unknown_reference` unless the landing page is the session's organization's."""
    await check_referenced(session, LandingPage, page_id, field=field)


async def list_landing_pages(
    session: AsyncSession, params: PageParams, *, domain_id: uuid.UUID | None = None
) -> tuple[list[LandingPage], int]:
    statement = select(LandingPage).order_by(LandingPage.page_name)
    if domain_id is not None:
        statement = statement.where(LandingPage.domain_id == domain_id)
    rows, total = await paginate(session, statement, params)
    return list(rows), total


async def update_landing_page(
    session: AsyncSession, page_id: uuid.UUID, changes: dict[str, Any]
) -> LandingPage:
    page = await get_landing_page(session, page_id)
    if "ab_test_id" in changes:
        await _check_page_fields(session, page.domain_id, changes["ab_test_id"])
    for key, value in changes.items():
        setattr(page, key, value)
    if "page_url" in changes:
        page.url_key = url_key(changes["page_url"])
    await session.flush()
    await session.refresh(page)
    return page


async def delete_landing_page(session: AsyncSession, page_id: uuid.UUID) -> None:
    await session.delete(await get_landing_page(session, page_id))
    await session.flush()


async def create_ab_test(
    session: AsyncSession, *, domain_id: uuid.UUID, name: str, variants: list[dict[str, Any]]
) -> tuple[AbTest, list[LandingPage]]:
    """Group existing landing pages of one domain as the variants of a test."""
    await referenced(session, Domain, domain_id, field="domain_id")
    if sum(1 for v in variants if v["is_control"]) != 1:
        raise UnprocessableEntity(
            "An A/B test needs exactly one control variant.",
            details=[
                {"loc": "body.variants", "message": "exactly one is_control", "type": "value"}
            ],
        )
    if not any(v["variant_weight"] > 0 for v in variants):
        raise UnprocessableEntity("At least one variant needs a weight above zero.")
    test = AbTest(domain_id=domain_id, name=name)
    session.add(test)
    await session.flush()
    pages = []
    for variant in variants:
        page = await referenced(session, LandingPage, variant["page_id"], field="page_id")
        if page.domain_id != domain_id:
            raise UnprocessableEntity("Every variant must be a landing page of the test's domain.")
        page.ab_test_id = test.ab_test_id
        page.page_variant = variant["page_variant"]
        page.is_control = variant["is_control"]
        page.variant_weight = variant["variant_weight"]
        pages.append(page)
    await session.flush()
    await session.refresh(test)
    return test, pages


async def get_ab_test(
    session: AsyncSession, ab_test_id: uuid.UUID
) -> tuple[AbTest, list[LandingPage]]:
    test = await session.get(AbTest, ab_test_id)
    if test is None:
        raise NotFound("A/B test not found.")
    pages = list(
        await session.scalars(
            select(LandingPage)
            .where(LandingPage.ab_test_id == ab_test_id)
            .order_by(LandingPage.is_control.desc(), LandingPage.page_variant)
        )
    )
    return test, pages


async def update_ab_test(
    session: AsyncSession, ab_test_id: uuid.UUID, changes: dict[str, Any]
) -> tuple[AbTest, list[LandingPage]]:
    test, pages = await get_ab_test(session, ab_test_id)
    for key, value in changes.items():
        if value is not None:
            setattr(test, key, value)
    await session.flush()
    return test, pages


async def delete_ab_test(session: AsyncSession, ab_test_id: uuid.UUID) -> None:
    """Delete a test; its landing pages stay, no longer variants of anything."""
    test, pages = await get_ab_test(session, ab_test_id)
    for page in pages:
        page.ab_test_id, page.page_variant, page.is_control = None, None, False
    await session.delete(test)
    await session.flush()


async def list_ab_tests(
    session: AsyncSession, params: PageParams, *, domain_id: uuid.UUID | None = None
) -> tuple[list[tuple[AbTest, list[LandingPage]]], int]:
    """A/B tests with their variants (two queries for the page, whatever its size)."""
    statement = select(AbTest).order_by(AbTest.created_at.desc())
    if domain_id is not None:
        statement = statement.where(AbTest.domain_id == domain_id)
    tests, total = await paginate(session, statement, params)
    ids = [t.ab_test_id for t in tests]
    variants: dict[uuid.UUID, list[LandingPage]] = {i: [] for i in ids}
    if ids:
        pages = await session.scalars(
            select(LandingPage)
            .where(LandingPage.ab_test_id.in_(ids))
            .order_by(LandingPage.is_control.desc(), LandingPage.page_variant)
        )
        for page in pages:
            assert page.ab_test_id is not None
            variants[page.ab_test_id].append(page)
    return [(t, variants[t.ab_test_id]) for t in tests], total


def choose_variant(
    ab_test_id: uuid.UUID, visitor_id: str, variants: list[LandingPage]
) -> LandingPage:
    """Deterministic weighted choice: the same visitor always gets the same variant."""
    active = [v for v in variants if v.is_active and v.variant_weight > 0]
    if not active:
        raise NotFound("The A/B test has no active variant.")
    active.sort(key=lambda v: str(v.page_id))
    digest = hashlib.sha256(f"{ab_test_id}:{visitor_id}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") % sum(v.variant_weight for v in active)
    for variant in active:
        if point < variant.variant_weight:
            return variant
        point -= variant.variant_weight
    return active[-1]


async def assign_variant(
    session: AsyncSession, *, ab_test_id: uuid.UUID, domain_id: uuid.UUID, visitor_id: str
) -> LandingPage:
    test, pages = await get_ab_test(session, ab_test_id)
    if test.domain_id != domain_id or not test.is_active:
        raise NotFound("A/B test not found.")
    return choose_variant(ab_test_id, visitor_id, pages)


# --- site keys -----------------------------------------------------------------------------------


class SiteCache:
    """Site key → domain, for the collector's hot path. Entries live `ttl` seconds, so a
    disabled domain or a changed origin list takes effect within that time."""

    def __init__(self, ttl: float = 30.0) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, SiteContext | None, tuple[str, ...]]] = {}

    async def resolve(
        self, crm: TransactionBoundary, site_key: str
    ) -> tuple[SiteContext, tuple[str, ...]] | None:
        """The site and its allowed origins; None for an unknown or disabled key.

        A miss reads in a short SYSTEM-scope unit of work of the caller's boundary: the key
        is what tells the organization.
        """
        now = time.monotonic()
        hit = self._entries.get(site_key)
        if hit is None or hit[0] < now:
            async with crm.unit(SYSTEM) as session:
                loaded = await load_site(session, site_key)
            hit = (now + self.ttl, *loaded)
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[site_key] = hit
        _, site, origins = hit
        return None if site is None else (site, origins)

    def clear(self) -> None:
        self._entries.clear()


async def load_site(
    session: AsyncSession, site_key: str
) -> tuple[SiteContext | None, tuple[str, ...]]:
    domain = await session.scalar(
        select(Domain).where(Domain.site_key == site_key, Domain.is_active.is_(True))
    )
    if domain is None:
        return None, ()
    pages = await session.execute(
        select(LandingPage.url_key, LandingPage.page_id).where(
            LandingPage.domain_id == domain.domain_id, LandingPage.is_active.is_(True)
        )
    )
    site = SiteContext(
        organization_id=domain.organization_id,
        domain_id=domain.domain_id,
        host=(urlsplit(domain.domain_url).hostname or "").lower() or None,
        pages={key: page_id for key, page_id in pages},
        consent_required=consent_mode(domain) == "required",
    )
    origins = tuple(o.lower() for o in domain.allowed_origins) or tuple(
        default_origins(domain.domain_url)
    )
    return site, origins


def origin_allowed(origin: str | None, allowed: tuple[str, ...]) -> bool:
    """No Origin header (server-to-server, no-JS pixel) is allowed; a foreign one is not."""
    return origin is None or origin_of(origin) in allowed
