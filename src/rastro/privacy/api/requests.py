"""Data-subject requests for administrators: record, list, run or reject, and download an
export's JSON."""

from __future__ import annotations

import uuid

import orjson
from fastapi import APIRouter, Depends, Request, Response, status

from rastro.core.audit import EXPORT, audited
from rastro.core.deps import BiSession, CrmSession, Pagination
from rastro.core.errors import ERROR_RESPONSES
from rastro.core.pagination import Page
from rastro.core.security import Keyring
from rastro.core.session import TransactionalRoute
from rastro.privacy.permissions import Admin
from rastro.privacy.schemas import SubjectRequestCreate, SubjectRequestOut, SubjectRequestReject
from rastro.privacy.service import requests

router = APIRouter(prefix="/api/privacy", route_class=TransactionalRoute, responses=ERROR_RESPONSES)


@router.get("/requests", response_model=Page[SubjectRequestOut], tags=["privacy"])
async def list_requests(
    _: Admin, session: CrmSession, params: Pagination
) -> Page[SubjectRequestOut]:
    """Data-subject requests, newest first, each with its status and days left to answer."""
    rows, total = await requests.list_requests(session, page=params)
    return Page.of([requests.request_out(row) for row in rows], total, params)


@router.post(
    "/requests",
    response_model=SubjectRequestOut,
    status_code=status.HTTP_201_CREATED,
    tags=["privacy"],
)
async def create_request(
    body: SubjectRequestCreate, principal: Admin, session: CrmSession
) -> SubjectRequestOut:
    """Record a person's request to export or erase their data, by e-mail and/or phone
    (422 when either is malformed). It waits, received, until it is run or rejected."""
    row = await requests.create_request(
        session,
        kind=body.kind,
        email=body.email,
        phone=body.phone,
        requested_by=principal.user_id,
    )
    return requests.request_out(row)


@router.get("/requests/{request_id}", response_model=SubjectRequestOut, tags=["privacy"])
async def get_request(request_id: uuid.UUID, _: Admin, session: CrmSession) -> SubjectRequestOut:
    """One request with its proof: what was found and erased per store, and forwarded."""
    return requests.request_out(await requests.get_request(session, request_id))


@router.post("/requests/{request_id}/run", response_model=SubjectRequestOut, tags=["privacy"])
async def run_request(
    request_id: uuid.UUID, request: Request, _: Admin, crm: CrmSession, bi: BiSession
) -> SubjectRequestOut:
    """Answer the request now: find the person in every store; export keeps a JSON to
    download, erase anonymises them everywhere and forwards the deletion to the CRMs that
    take one (409 when it is already closed)."""
    keyring: Keyring = request.app.state.keyring
    row = await requests.run_request(crm, bi, keyring, request_id=request_id)
    return requests.request_out(row)


@router.post("/requests/{request_id}/reject", response_model=SubjectRequestOut, tags=["privacy"])
async def reject_request(
    request_id: uuid.UUID, body: SubjectRequestReject, _: Admin, session: CrmSession
) -> SubjectRequestOut:
    """Refuse an open request, saying why (e.g. the asker's identity was not confirmed)."""
    row = await requests.reject_request(session, request_id=request_id, reason=body.reason)
    return requests.request_out(row)


@router.get(
    "/requests/{request_id}/export",
    tags=["privacy"],
    response_class=Response,
    responses={200: {"content": {"application/json": {}}, "description": "The export"}},
    dependencies=[Depends(audited(EXPORT, "subject_request", "request_id"))],
)
async def download_export(request_id: uuid.UUID, _: Admin, session: CrmSession) -> Response:
    """The JSON of a finished export request, as a file (409 before it is done)."""
    document = await requests.export_document(session, request_id=request_id)
    return Response(
        orjson.dumps(document, option=orjson.OPT_INDENT_2),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="data-subject-{request_id}.json"',
            "Cache-Control": "no-store",
        },
    )
