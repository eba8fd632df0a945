"""`POST /api/leads`: lead capture from landing-page forms (site key + allowed origin) and
from servers (API key or user token with `crm:write`).

Forms post JSON or `application/x-www-form-urlencoded` with the field names the tracker
fills (`rastro_session_id`, `rastro_visitor_id`, `utm_*`, click ids, `fbc`, `fbp`); a form
post may name a `_next` page on an allowed origin to be redirected to (303).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.routing import BaseRoute

from rastro.core.errors import ERROR_RESPONSES, BadRequest
from rastro.core.inputs import check_body
from rastro.core.principal import require
from rastro.core.routing import PlainRoute, read_fields
from rastro.core.units import TransactionBoundary
from rastro.crm.permissions import CRM_WRITE
from rastro.crm.schemas import LeadWarning
from rastro.crm.service.capture import Submission, capture
from rastro.tracking.service import config
from rastro.tracking.service.consent import parse_consent
from rastro.tracking.service.conversions import TOUCH_FIELDS
from rastro.tracking.service.sites import cors_headers, resolve_site, site_cache

MAX_BODY = 64 * 1024
MAX_EXTRA_FIELDS = 50
_Short = Annotated[str | None, Field(max_length=255)]


class LeadIn(BaseModel):
    """A lead as a form or a server sends it. Any other field is kept in
    `metadata.form` (at most 50 fields of 1,000 characters)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    site: Annotated[str | None, Field(max_length=64, description="Site key (forms)")] = None
    name: _Short = None
    email: Annotated[str | None, Field(max_length=320)] = None
    phone: Annotated[str | None, Field(max_length=40)] = None
    company: _Short = None
    message: Annotated[str | None, Field(max_length=5000)] = None
    extensions: Annotated[int | None, Field(ge=0, le=1_000_000)] = None
    form_location: Annotated[str | None, Field(max_length=500)] = None
    page_url: Annotated[str | None, Field(max_length=2000)] = None
    page_id: uuid.UUID | None = None
    session_id: Annotated[
        str | None, Field(max_length=80, validation_alias="rastro_session_id")
    ] = None
    visitor_id: Annotated[
        str | None, Field(max_length=64, validation_alias="rastro_visitor_id")
    ] = None
    external_id: _Short = None
    qualification: dict[str, str] | None = None
    consent: Annotated[
        bool | dict[str, bool] | str | None,
        Field(
            validation_alias="rastro_consent",
            description="The person's consent: {analytics, ad_user_data, ad_personalization} "
            "booleans, true/false for all, or the tracker's hidden field "
            "(`analytics,ad_user_data`, `none`). A site in consent mode `required` that sends "
            "none stores the lead as not consenting: it is never sent to ad platforms.",
        ),
    ] = None
    utm_source: _Short = None
    utm_medium: _Short = None
    utm_campaign: _Short = None
    utm_id: _Short = None
    utm_term: _Short = None
    utm_content: _Short = None
    gclid: _Short = None
    gbraid: _Short = None
    wbraid: _Short = None
    fbclid: _Short = None
    fbc: _Short = None
    fbp: _Short = None
    ttclid: _Short = None
    li_fat_id: _Short = None
    msclkid: _Short = None
    src: _Short = None
    sck: _Short = None
    xcod: _Short = None
    # A Rastro e-mail click's message and recipient, from the tracker's hidden fields (kept
    # as submitted; the e-mail attribution reads the stored touch, not these).
    mid: _Short = None
    rid: _Short = None

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_missing(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    @field_validator("consent")
    @classmethod
    def _consent_parses(cls, value: Any) -> Any:
        if value is not None and parse_consent(value) is None:
            raise ValueError("not a consent: analytics, ad_user_data, ad_personalization or none")
        return value

    @field_validator("page_url")
    @classmethod
    def _host_parses(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                urlsplit(value).hostname  # noqa: B018  (raises for `http://[::1/x`)
            except ValueError:
                raise ValueError("not a URL with a valid host") from None
        return value


_LEAD_SCHEMA = LeadIn.model_json_schema()
# Both spellings of the tracker's ids are accepted (`session_id` for servers).
_ALIASES = {
    "session_id": "rastro_session_id",
    "visitor_id": "rastro_visitor_id",
    "consent": "rastro_consent",
}


class LeadCaptured(BaseModel):
    lead_id: uuid.UUID
    duplicate: bool
    # For authenticated callers only (a public form learns nothing about its scoring).
    contact_id: uuid.UUID | None = None
    lead_score: str | None = None
    current_stage: str | None = None
    attribution_status: str | None = None
    utm_tracking_id: uuid.UUID | None = None
    time_to_conversion: int | None = None
    # What the lead was stored without (an invalid phone beside a valid e-mail).
    warnings: list[LeadWarning] | None = None


async def _read(request: Request) -> tuple[dict[str, Any], bool]:
    """The body as a dict, and whether it came from an HTML form."""
    return await read_fields(request, MAX_BODY, "A lead is at most 64 KB.")


def _parse(body: dict[str, Any]) -> tuple[LeadIn, dict[str, Any]]:
    check_body(body)  # no NUL characters, numbers a JSON column holds (422 naming the field)
    for name, alias in _ALIASES.items():
        if name in body and alias not in body:
            body[alias] = body.pop(name)
    try:
        lead = LeadIn.model_validate(body)
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in error.errors()]
        ) from None
    extra = {k: v for k, v in (lead.model_extra or {}).items() if not k.startswith("_")}
    if len(extra) > MAX_EXTRA_FIELDS or any(
        not isinstance(v, str | int | float | bool | None) or len(str(v)) > 1000
        for v in extra.values()
    ):
        raise RequestValidationError(
            [
                {
                    "loc": ("body", "fields"),
                    "msg": "At most 50 extra fields, each a value of at most 1,000 characters.",
                    "type": "value_error",
                }
            ]
        )
    return lead, extra


def _submission(
    lead: LeadIn,
    extra: dict[str, Any],
    idempotency_key: str | None,
    *,
    consent_required: bool = False,
) -> Submission:
    attribution = {
        name: value
        for name in (*TOUCH_FIELDS, "mid", "rid")
        if (value := getattr(lead, name)) is not None
    }
    return Submission(
        name=lead.name,
        email=lead.email,
        phone=lead.phone,
        company=lead.company,
        message=lead.message,
        extensions=lead.extensions,
        form_location=lead.form_location,
        page_url=lead.page_url,
        page_id=lead.page_id,
        session_id=lead.session_id,
        visitor_id=lead.visitor_id,
        external_id=lead.external_id,
        idempotency_key=idempotency_key,
        attribution=attribution,
        fields=extra,
        qualification=lead.qualification,
        consent=parse_consent(lead.consent)
        if lead.consent is not None
        else (parse_consent(False) if consent_required else None),
    )


async def capture_lead(request: Request) -> Response:
    """Capture a lead. Forms authenticate with the site key (`site` field or query
    parameter) from an allowed origin; servers with an API key holding `crm:write`.
    A repeated `Idempotency-Key`, or the same person on the same page within 10 minutes,
    answers 200 with the lead already stored."""
    # A plain route (rastro.core.routing), matched before the module routers, so this
    # endpoint owns its transactions: the key check is one unit of work, and the capture
    # service's database calls are committed (each its own) before this answers.
    body, from_form = await _read(request)
    lead_in, extra = _parse(body)
    origin = request.headers.get("origin")
    headers: dict[str, str] = {}
    pages: dict[str, uuid.UUID] = {}
    domain_id = None
    consent_required = False
    databases = request.app.state.databases
    crm, bi = TransactionBoundary(databases.crm), TransactionBoundary(databases.bi)
    authenticated = "authorization" in request.headers
    if authenticated:
        async with crm.unit(None) as session:  # committed: the key's last use
            principal = await require(CRM_WRITE)(request, session)
        organization_id = principal.organization_id
    else:
        site, headers = await resolve_site(
            request, lead_in.site or request.query_params.get("site"), origin
        )
        organization_id, pages, domain_id = site.organization_id, site.pages, site.domain_id
        consent_required = site.consent_required
    key = request.headers.get("idempotency-key")
    if key is not None and not 0 < len(key) <= 255:
        raise BadRequest("Idempotency-Key must be 1 to 255 characters.")
    lead = await capture(
        crm,
        bi,
        organization_id,
        _submission(lead_in, extra, key, consent_required=consent_required),
        pages=pages,
        domain_id=domain_id,
    )
    status = 200 if lead.duplicate else 201
    live = getattr(request.app.state, "live", None)
    if live is not None and not lead.duplicate:  # committed: dashboards may count it
        await live.publish(organization_id, "lead_created", {"lead_id": str(lead.lead_id)})
    next_url = body.get("_next") if from_form else None
    if isinstance(next_url, str) and not authenticated:
        # Only to the site's own origins (no open redirect).
        site_key = lead_in.site or request.query_params.get("site") or ""
        found = await site_cache(request).resolve(crm, site_key)
        if found is not None and config.origin_of(next_url) in found[1]:
            return RedirectResponse(next_url, status_code=303, headers=headers)
    warnings = list(lead.warnings) or None
    out = LeadCaptured(lead_id=lead.lead_id, duplicate=lead.duplicate, warnings=warnings)
    if authenticated:
        out = LeadCaptured(
            lead_id=lead.lead_id,
            duplicate=lead.duplicate,
            contact_id=lead.contact_id,
            lead_score=lead.lead_score,
            current_stage=lead.current_stage,
            attribution_status=lead.attribution_status,
            utm_tracking_id=lead.utm_tracking_id,
            time_to_conversion=lead.time_to_conversion,
            warnings=warnings,
        )
    return JSONResponse(
        out.model_dump(mode="json", exclude_none=True), status_code=status, headers=headers
    )


async def leads_preflight(request: Request) -> Response:
    """CORS preflight for forms that post JSON from the browser."""
    return Response(
        status_code=204,
        headers={
            **cors_headers(request.headers.get("origin")),
            "access-control-allow-methods": "POST, OPTIONS",
            "access-control-allow-headers": "content-type, idempotency-key",
            "access-control-max-age": "86400",
        },
    )


# Matched before the module routers (lead capture is the CRM's public hot path).
capture_routes: list[BaseRoute] = [
    PlainRoute(
        "/api/leads",
        capture_lead,
        methods=["POST"],
        status_code=201,
        response_model=LeadCaptured,
        tags=["leads"],
        responses={
            **ERROR_RESPONSES,
            200: {"model": LeadCaptured, "description": "Already stored (a duplicate)"},
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": _LEAD_SCHEMA},
                    "application/x-www-form-urlencoded": {"schema": _LEAD_SCHEMA},
                },
            }
        },
    ),
    PlainRoute("/api/leads", leads_preflight, methods=["OPTIONS"], include_in_schema=False),
]
