"""Public endpoints authenticated by a site key (the collector, the pixel, lead forms):
the key resolves to its domain through a per-process cache, and the request's Origin must
be one of the domain's allowed origins."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from rastro.core.units import TransactionBoundary
from rastro.tracking.enrichment import url_key
from rastro.tracking.errors import OriginNotAllowed, UnknownSite
from rastro.tracking.service import config
from rastro.tracking.service.collector import SiteContext


def site_cache(request: Request) -> config.SiteCache:
    cache: config.SiteCache | None = getattr(request.app.state, "site_cache", None)
    if cache is None:
        cache = request.app.state.site_cache = config.SiteCache()
    return cache


def landing_page_key(url: str) -> str:
    """The key a URL is matched to a site's landing page on (`SiteContext.pages`): host and
    path, lower-cased, no query, no trailing slash."""
    return url_key(url)


def cors_headers(origin: str | None) -> dict[str, str]:
    if not origin:
        return {}
    return {"access-control-allow-origin": origin, "vary": "Origin"}


async def resolve_site(
    request: Request, site_key: Any, origin: str | None
) -> tuple[SiteContext, dict[str, str]]:
    """The site of `site_key` and the CORS headers to answer `origin` with; 401 for an
    unknown or disabled key, 403 for an origin the domain does not allow."""
    if not isinstance(site_key, str) or not site_key or len(site_key) > 64 or "\x00" in site_key:
        raise UnknownSite()  # (no key holds a NUL, and PostgreSQL could not compare one)
    crm = TransactionBoundary(request.app.state.databases.crm)
    found = await site_cache(request).resolve(crm, site_key)
    if found is None:
        raise UnknownSite()
    site, origins = found
    if not config.origin_allowed(origin, origins):
        raise OriginNotAllowed(details={"origin": origin})
    return site, cors_headers(origin)
