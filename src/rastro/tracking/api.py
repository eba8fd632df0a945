"""Routes of the tracking module: the public collector and tracker script, and the
configuration (domains, landing pages, A/B tests). The read API is `reads_api.py`."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, Response, status
from starlette.routing import BaseRoute

from rastro.core.db import Scope, libpq_url, set_scope
from rastro.core.deps import BiSession, CrmSession, Pagination
from rastro.core.errors import ERROR_RESPONSES, BadRequest
from rastro.core.pagination import Page
from rastro.core.routing import PlainRoute, read_body
from rastro.core.session import TransactionalRoute
from rastro.tracking import schemas
from rastro.tracking.enrichment import visitor_id_for
from rastro.tracking.errors import BatchTooLarge
from rastro.tracking.models import Domain, LandingPage
from rastro.tracking.permissions import Read, Write
from rastro.tracking.service import collector, config, hooks
from rastro.tracking.service.sites import cors_headers, resolve_site, site_cache
from rastro.tracking.service.writer import GroupWriter
from rastro.tracking.tracker import tracker_script

MAX_BODY = 1024 * 1024
GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_STORE = {"cache-control": "no-store"}

public = APIRouter(tags=["collector"], route_class=TransactionalRoute)
router = APIRouter(prefix="/api", route_class=TransactionalRoute, responses=ERROR_RESPONSES)


def _writer(request: Request) -> GroupWriter:
    state = request.app.state
    writer: GroupWriter | None = getattr(state, "collector_writer", None)
    if writer is None:
        writer = state.collector_writer = GroupWriter(
            libpq_url(state.databases.bi.url), writers=state.settings.collector_writers
        )
        state.closers.append(writer.close)
    return writer


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def read_batch(request: Request) -> dict[str, Any]:
    """The body of a collector request, checked for shape and size (400/413 otherwise)."""
    body = await read_body(request, MAX_BODY, "The batch is larger than 1 MB.")
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadRequest("The body is not valid UTF-8 JSON.", details=None) from None
    if not isinstance(payload, dict):
        raise BadRequest("The body must be a JSON object.")
    events = payload.get("events")
    if not isinstance(events, list) or not events:
        raise BadRequest("`events` must be a non-empty list.")
    if len(events) > collector.MAX_EVENTS:
        raise BatchTooLarge(details={"max_events": collector.MAX_EVENTS, "received": len(events)})
    return payload


async def prepare_batch(
    request: Request, payload: dict[str, Any]
) -> tuple[collector.Prepared, dict[str, str]]:
    """The batch validated and enriched for its site, and the CORS headers of the answer."""
    site, headers = await resolve_site(request, payload.get("site"), request.headers.get("origin"))
    prepared = collector.prepare(
        site=site,
        payload=payload,
        hit=collector.Hit(ip=_client_ip(request), user_agent=request.headers.get("user-agent", "")),
        secret=request.app.state.settings.secret_key_value,
    )
    return prepared, headers


def batch_answer(result: collector.BatchResult, headers: dict[str, str]) -> Response:
    body = {
        "session_id": result.session_id,
        "accepted": result.count("stored"),
        "duplicates": result.count("duplicate"),
        "rejected": result.count("rejected"),
        "results": [r.as_dict() for r in result.results],
    }
    return Response(
        orjson.dumps(body), media_type="application/json", headers={**headers, **NO_STORE}
    )


async def collect(request: Request) -> Response:
    """Store a batch of tracker events (site key in the body; answered after commit)."""
    prepared, headers = await prepare_batch(request, await read_batch(request))
    outcome = await _writer(request).submit(prepared) if prepared.batch is not None else None
    result = collector.finish(prepared, outcome)
    live = getattr(request.app.state, "live", None)
    if live is not None:  # the batch is committed: watchers may hear of it
        for name, data in result.live_events:
            await live.publish(prepared.site.organization_id, name, data)
    if result.page_view is not None and result.session_id is not None:
        url, new = result.page_view
        view = hooks.PageViewed(prepared.site.organization_id, result.session_id, url, new)
        publish = live.publish if live is not None else hooks.publish_nowhere
        await hooks.notify(request.app.state.databases, publish, view)
    return batch_answer(result, headers)


async def collect_preflight(request: Request) -> Response:
    """CORS preflight for trackers that send `application/json`."""
    origin = request.headers.get("origin")
    return Response(
        status_code=204,
        headers={
            **cors_headers(origin),
            "access-control-allow-methods": "POST, OPTIONS",
            "access-control-allow-headers": "content-type",
            "access-control-max-age": "86400",
        },
    )


# The collector's hot path: direct routes, served before the middleware (`core.routing`),
# and no request session (its writes go through the group writer; a site-key cache miss
# reads in a short transaction of its own).
collector_routes: list[BaseRoute] = [
    PlainRoute(
        "/api/collect",
        collect,
        methods=["POST"],
        response_model=schemas.CollectResponse,
        tags=["collector"],
        direct=True,
    ),
    PlainRoute(
        "/api/collect",
        collect_preflight,
        methods=["OPTIONS"],
        include_in_schema=False,
        direct=True,
    ),
]


@public.get("/api/collect/pixel.gif", response_class=Response)
async def pixel(
    request: Request,
    crm: CrmSession,
    bi: BiSession,
    site: Annotated[str, Query(max_length=64)],
    url: Annotated[str | None, Query(max_length=2000)] = None,
    ref: Annotated[str | None, Query(max_length=2000)] = None,
    title: Annotated[str | None, Query(max_length=500)] = None,
    vid: Annotated[str | None, Query(max_length=64)] = None,
    sid: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """1x1 GIF that records a page view for clients without JavaScript."""
    page_url = url or request.headers.get("referer")
    referer_origin = (
        config.origin_of(request.headers["referer"]) if request.headers.get("referer") else None
    )
    context, _ = await resolve_site(request, site, referer_origin)
    if page_url:
        await set_scope(bi, Scope.organization(context.organization_id))
        visitor = vid or visitor_id_for(
            client_id=None,
            secret=request.app.state.settings.secret_key_value,
            organization_id=context.organization_id,
            ip=_client_ip(request),
            user_agent=request.headers.get("user-agent", ""),
            domain_id=context.domain_id,
        )
        now = datetime.now(UTC)
        await collector.ingest(
            bi,
            site=context,
            payload={
                "visitor_id": visitor,
                "session_id": sid or "px_" + visitor[-24:],
                "events": [
                    {
                        "event_id": str(uuid.uuid4()),
                        "type": "page_view",
                        "ts": int(now.timestamp() * 1000),
                        "url": page_url,
                        "referrer": ref,
                        "title": title,
                    }
                ],
            },
            hit=collector.Hit(
                ip=_client_ip(request), user_agent=request.headers.get("user-agent", "")
            ),
            secret=request.app.state.settings.secret_key_value,
            now=now,
        )
    return Response(GIF, media_type="image/gif", headers=NO_STORE)


@public.get("/api/collect/variant", response_model=schemas.VariantAssignment)
async def variant(
    request: Request,
    crm: CrmSession,
    site: Annotated[str, Query(max_length=64)],
    test: uuid.UUID,
    visitor: Annotated[str, Query(min_length=1, max_length=64)],
) -> Response:
    """The A/B variant a visitor sees: always the same one for the same visitor."""
    origin = request.headers.get("origin")
    context, headers = await resolve_site(request, site, origin)
    await set_scope(crm, Scope.organization(context.organization_id))
    page = await config.assign_variant(
        crm, ab_test_id=test, domain_id=context.domain_id, visitor_id=visitor
    )
    body = schemas.VariantAssignment(
        ab_test_id=test,
        page_id=page.page_id,
        page_url=page.page_url,
        page_variant=page.page_variant,
        is_control=page.is_control,
    )
    return Response(body.model_dump_json(), media_type="application/json", headers=headers)


@public.get("/t.js", include_in_schema=False)
async def tracker(request: Request) -> Response:
    """The tracker script."""
    script = tracker_script().for_request(request.headers)
    headers = {
        "cache-control": "public, max-age=3600",
        "etag": script.etag,
        "vary": "Accept-Encoding",
    }
    if request.headers.get("if-none-match") == script.etag:
        return Response(status_code=304, headers=headers)
    if script.encoding:
        headers["content-encoding"] = script.encoding
    return Response(script.body, media_type="application/javascript", headers=headers)


# --- configuration -----------------------------------------------------------------------------


def _domain(request: Request, domain: Domain) -> schemas.Domain:
    return schemas.Domain(
        domain_id=domain.domain_id,
        domain_name=domain.domain_name,
        domain_url=domain.domain_url,
        site_key=domain.site_key,
        allowed_origins=list(domain.allowed_origins),
        metadata=domain.metadata_,
        is_active=domain.is_active,
        created_at=domain.created_at,
        snippet=config.snippet(str(request.base_url), domain),
    )


@router.get("/domains", response_model=Page[schemas.Domain], tags=["tracking"])
async def list_domains(
    request: Request, _: Read, session: CrmSession, params: Pagination
) -> Page[schemas.Domain]:
    """Tracked sites, with their tracking snippet."""
    rows, total = await config.list_domains(session, params)
    return Page.of([_domain(request, d) for d in rows], total, params)


@router.post(
    "/domains",
    response_model=schemas.Domain,
    status_code=status.HTTP_201_CREATED,
    tags=["tracking"],
)
async def create_domain(
    request: Request, body: schemas.DomainCreate, _: Write, session: CrmSession
) -> schemas.Domain:
    """Register a site; its public site key goes into the snippet."""
    domain = await config.create_domain(
        session,
        domain_url=str(body.domain_url),
        domain_name=body.domain_name,
        allowed_origins=body.allowed_origins,
        metadata=body.metadata.model_dump(),
        is_active=body.is_active,
    )
    return _domain(request, domain)


@router.get("/domains/{domain_id}", response_model=schemas.Domain, tags=["tracking"])
async def get_domain(
    request: Request, domain_id: uuid.UUID, _: Read, session: CrmSession
) -> schemas.Domain:
    """One site."""
    return _domain(request, await config.get_domain(session, domain_id))


@router.patch("/domains/{domain_id}", response_model=schemas.Domain, tags=["tracking"])
async def update_domain(
    request: Request,
    domain_id: uuid.UUID,
    body: schemas.DomainUpdate,
    _: Write,
    session: CrmSession,
) -> schemas.Domain:
    """Change a site's name, allowed origins, metadata or state."""
    changes = body.model_dump(exclude_unset=True)
    domain = await config.update_domain(session, domain_id, changes)
    site_cache(request).clear()
    return _domain(request, domain)


@router.delete("/domains/{domain_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["tracking"])
async def delete_domain(
    request: Request, domain_id: uuid.UUID, _: Write, session: CrmSession
) -> Response:
    """Delete a site and its landing pages (collected events stay in BI)."""
    await config.delete_domain(session, domain_id)
    site_cache(request).clear()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _page(page: LandingPage) -> schemas.LandingPage:
    return schemas.LandingPage.model_validate(page)


@router.get("/landing-pages", response_model=Page[schemas.LandingPage], tags=["tracking"])
async def list_landing_pages(
    _: Read, session: CrmSession, params: Pagination, domain_id: uuid.UUID | None = None
) -> Page[schemas.LandingPage]:
    """Landing pages, optionally of one domain."""
    rows, total = await config.list_landing_pages(session, params, domain_id=domain_id)
    return Page.of([_page(p) for p in rows], total, params)


@router.post(
    "/landing-pages",
    response_model=schemas.LandingPage,
    status_code=status.HTTP_201_CREATED,
    tags=["tracking"],
)
async def create_landing_page(
    request: Request, body: schemas.LandingPageCreate, _: Write, session: CrmSession
) -> schemas.LandingPage:
    """Register a landing page of a domain."""
    fields = body.model_dump()
    fields["page_url"] = str(body.page_url)
    page = await config.create_landing_page(session, **fields)
    site_cache(request).clear()
    return _page(page)


@router.patch("/landing-pages/{page_id}", response_model=schemas.LandingPage, tags=["tracking"])
async def update_landing_page(
    request: Request,
    page_id: uuid.UUID,
    body: schemas.LandingPageUpdate,
    _: Write,
    session: CrmSession,
) -> schemas.LandingPage:
    """Change a landing page."""
    changes = body.model_dump(exclude_unset=True)
    if changes.get("page_url") is not None:
        changes["page_url"] = str(changes["page_url"])
    page = await config.update_landing_page(session, page_id, changes)
    site_cache(request).clear()
    return _page(page)


@router.delete(
    "/landing-pages/{page_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["tracking"]
)
async def delete_landing_page(
    request: Request, page_id: uuid.UUID, _: Write, session: CrmSession
) -> Response:
    """Delete a landing page."""
    await config.delete_landing_page(session, page_id)
    site_cache(request).clear()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/ab-tests",
    response_model=schemas.AbTest,
    status_code=status.HTTP_201_CREATED,
    tags=["tracking"],
)
async def create_ab_test(
    body: schemas.AbTestCreate, _: Write, session: CrmSession
) -> schemas.AbTest:
    """Group landing pages as the weighted variants of an A/B test."""
    test, pages = await config.create_ab_test(
        session,
        domain_id=body.domain_id,
        name=body.name,
        variants=[v.model_dump() for v in body.variants],
    )
    return _ab_test(test, pages)


def _ab_test(test: Any, pages: list[LandingPage]) -> schemas.AbTest:
    return schemas.AbTest(
        ab_test_id=test.ab_test_id,
        domain_id=test.domain_id,
        name=test.name,
        is_active=test.is_active,
        created_at=test.created_at,
        variants=[_page(p) for p in pages],
    )


@router.get("/ab-tests", response_model=Page[schemas.AbTest], tags=["tracking"])
async def list_ab_tests(
    _: Read, session: CrmSession, params: Pagination, domain_id: uuid.UUID | None = None
) -> Page[schemas.AbTest]:
    """A/B tests with their variants, optionally of one domain."""
    rows, total = await config.list_ab_tests(session, params, domain_id=domain_id)
    return Page.of([_ab_test(t, pages) for t, pages in rows], total, params)


@router.get("/ab-tests/{ab_test_id}", response_model=schemas.AbTest, tags=["tracking"])
async def get_ab_test(ab_test_id: uuid.UUID, _: Read, session: CrmSession) -> schemas.AbTest:
    """An A/B test and its variants."""
    return _ab_test(*await config.get_ab_test(session, ab_test_id))


@router.patch("/ab-tests/{ab_test_id}", response_model=schemas.AbTest, tags=["tracking"])
async def update_ab_test(
    ab_test_id: uuid.UUID, body: schemas.AbTestUpdate, _: Write, session: CrmSession
) -> schemas.AbTest:
    """Rename, stop or resume an A/B test (variants and weights are landing-page fields)."""
    changes = body.model_dump(exclude_unset=True)
    return _ab_test(*await config.update_ab_test(session, ab_test_id, changes))


@router.delete("/ab-tests/{ab_test_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["tracking"])
async def delete_ab_test(ab_test_id: uuid.UUID, _: Write, session: CrmSession) -> Response:
    """Delete an A/B test; its landing pages stay as plain pages."""
    await config.delete_ab_test(session, ab_test_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
